"""A small GitHub REST client: pagination, conditional requests, rate limits, retries.

Built on httpx (see docs/architecture.md for why not githubkit or PyGithub). It never
exceeds a rate limit on purpose: when ``X-RateLimit-Remaining`` reaches 0 it waits until
``X-RateLimit-Reset`` before the next request; a secondary limit (403/429 with
``Retry-After`` or an abuse message) waits as told; transient failures (5xx, network
errors) are retried with exponential back-off; permanent ones (401, 403 without a limit,
404, 410, 422) raise ``GitHubError`` at once. Time is injectable so tests run instantly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from catherd.errors import SourceError
from catherd.sources.github import DEFAULT_API_URL

_RETRY_STATUSES = {500, 502, 503, 504}
_PERMANENT = {400: "bad request", 401: "bad credentials (check GITHUB_TOKEN)",
              403: "forbidden", 404: "not found (or private)", 410: "gone",
              422: "rejected as invalid"}  # fmt: skip

Waiter = Callable[[float, str], None]  # (seconds, reason): told before every wait


class GitHubError(SourceError):
    """A request that will not succeed by trying again."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Clock:
    """Time and sleep, replaceable by a fake clock in tests."""

    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


@dataclass
class Page:
    """One answer: its JSON, its validator, and the URL of the next page (if any)."""

    data: Any
    status: int
    etag: str | None
    next_url: str | None


@dataclass
class GitHubClient:
    api_url: str = DEFAULT_API_URL
    token: str | None = None
    clock: Clock = field(default_factory=Clock)
    on_wait: Waiter | None = None
    max_retries: int = 5
    backoff: float = 2.0
    transport: httpx.BaseTransport | None = None
    requests_made: int = 0
    _remaining: int | None = None
    _reset_at: float | None = None

    def __post_init__(self) -> None:
        headers = {
            "Accept": "application/vnd.github+json",
            "User-Agent": "catherd",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self.http = httpx.Client(
            base_url=self.api_url.rstrip("/"), headers=headers, timeout=30.0,
            transport=self.transport, follow_redirects=True,
        )  # fmt: skip

    def close(self) -> None:
        self.http.close()

    # -- requests -------------------------------------------------------------------------
    def get(self, url: str, params: dict[str, Any] | None = None, etag: str | None = None) -> Page:
        """GET one page. A 304 (unchanged since ``etag``) comes back with ``data=None``."""
        headers = {"If-None-Match": etag} if etag else {}
        return self._request("GET", url, params=params, headers=headers, etag=etag)

    @property
    def graphql_url(self) -> str:
        """github.com: /graphql beside the REST root; Enterprise: /api/graphql for /api/v3."""
        root = self.api_url.rstrip("/")
        return root[: -len("/v3")] + "/graphql" if root.endswith("/api/v3") else root + "/graphql"

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run one GraphQL query; errors other than missing objects raise ``GitHubError``."""
        page = self._request(
            "POST", self.graphql_url, json={"query": query, "variables": variables}
        )
        body = page.data if isinstance(page.data, dict) else {}
        problems = [e for e in body.get("errors", []) if e.get("type") != "NOT_FOUND"]
        if problems or "data" not in body:
            message = "; ".join(str(e.get("message")) for e in problems) or "no data"
            raise GitHubError(f"{self.graphql_url}: GraphQL query failed: {message}")
        return dict(body["data"] or {})

    def _request(self, method: str, url: str, etag: str | None = None, **kw: Any) -> Page:
        attempt = 0
        while True:
            self._respect_primary_limit()
            try:
                response = self.http.request(method, url, **kw)
                self.requests_made += 1
            except httpx.TransportError as exc:
                attempt = self._retry(attempt, f"network error on {url}: {exc}")
                continue
            self._note_limits(response)
            if response.status_code == 304:
                return Page(None, 304, etag, None)
            if response.status_code in (403, 429) and self._secondary_wait(response):
                continue
            if response.status_code in _RETRY_STATUSES:
                attempt = self._retry(attempt, f"{url} answered {response.status_code}")
                continue
            if response.status_code >= 400:
                reason = _PERMANENT.get(response.status_code, "failed")
                raise GitHubError(
                    f"{url}: {response.status_code} {reason}: {_message(response)}",
                    response.status_code,
                )
            try:
                data = response.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                attempt = self._retry(attempt, f"{url} answered malformed JSON")
                continue
            return Page(data, response.status_code, response.headers.get("etag"),
                        response.links.get("next", {}).get("url"))  # fmt: skip

    def paginate(
        self, url: str, params: dict[str, Any] | None = None
    ) -> Iterator[tuple[Page, str]]:
        """Every page of a listing, each with the URL it came from (a resume point)."""
        next_url: str | None = url
        while next_url:
            page = self.get(next_url, params if next_url == url else None)
            yield page, next_url
            next_url = page.next_url

    # -- limits and retries ---------------------------------------------------------------
    def _note_limits(self, response: httpx.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.isdigit():
            self._remaining = int(remaining)
        if reset is not None and reset.isdigit():
            self._reset_at = float(reset)

    def _respect_primary_limit(self) -> None:
        if self._remaining == 0 and self._reset_at is not None:
            seconds = self._reset_at - self.clock.now() + 1
            if seconds > 0:
                self._wait(seconds, "primary rate limit reached")
            self._remaining = None

    def _secondary_wait(self, response: httpx.Response) -> bool:
        """Wait out a rate limit answer and say so; False if the 403 is not a limit."""
        retry_after = response.headers.get("retry-after")
        if retry_after is not None and retry_after.isdigit():
            self._wait(float(retry_after), "secondary rate limit (Retry-After)")
            return True
        if response.headers.get("x-ratelimit-remaining") == "0" and self._reset_at:
            self._wait(max(self._reset_at - self.clock.now() + 1, 1), "primary rate limit reached")
            return True
        text = _message(response).lower()
        if "rate limit" in text or "abuse" in text:
            self._wait(60.0, "secondary rate limit")
            return True
        return False

    def _retry(self, attempt: int, problem: str) -> int:
        if attempt >= self.max_retries:
            raise GitHubError(f"{problem} (gave up after {attempt + 1} tries)")
        self._wait(self.backoff * 2**attempt, problem)
        return attempt + 1

    def _wait(self, seconds: float, reason: str) -> None:
        if self.on_wait:
            self.on_wait(seconds, reason)
        self.clock.sleep(seconds)


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:120].strip()
    return str(data.get("message", ""))[:200] if isinstance(data, dict) else ""
