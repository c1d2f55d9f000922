"""The GitHub client against a local server replaying real recorded API exchanges."""

from __future__ import annotations

import json

import pytest

from catherd.demo.replay import ReplayServer, read_recording
from catherd.sources.github.client import Clock, GitHubClient, GitHubError

from .conftest import recording_file, shared_file


class FakeClock(Clock):
    """Synthetic time: sleeping only moves the clock forward."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start
        self.slept: list[float] = []
        super().__init__(now=lambda: self.t, sleep=self._sleep)

    def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def recording(name: str) -> list:
    return read_recording(recording_file(name))


def client_for(server: ReplayServer, clock: FakeClock | None = None) -> GitHubClient:
    return GitHubClient(api_url=server.url, token="test-token", clock=clock or FakeClock())


def test_pagination_follows_link_headers_to_the_last_page() -> None:
    exchanges = recording("PaginatedList.testIteration")
    served = sum(len(json.loads(e.body)) for e in exchanges)
    with ReplayServer(exchanges) as server:
        client = client_for(server)
        pages = list(
            client.paginate("/repos/openframeworks/openFrameworks/issues", {"state": "all"})
        )
    assert len(pages) == 14 == len(exchanges)
    assert sum(len(page.data) for page, _ in pages) == served
    assert pages[1][1].endswith("issues?page=2")  # each page names where it came from
    assert server.requests[0][2]["authorization"] == "Bearer test-token"


def test_conditional_request_costs_a_304() -> None:
    with ReplayServer(recording("PaginatedList.testIteration")) as server:
        client = client_for(server)
        first = client.get("/repos/openframeworks/openFrameworks/issues")
        again = client.get("/repos/openframeworks/openFrameworks/issues", etag=first.etag)
    assert first.status == 200 and first.etag
    assert again.status == 304 and again.data is None


def test_primary_rate_limit_waits_for_the_reset() -> None:
    clock = FakeClock()
    reset = int(clock.t) + 120
    # Synthetic: the first answer says the hourly budget is spent.
    limit = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
    script = {"/users/jacquev6": [(403, limit,
                                   b'{"message": "API rate limit exceeded"}')]}  # fmt: skip
    waits: list[tuple[float, str]] = []
    with ReplayServer(recording("Exceptions.testJSONParseError"), script) as server:
        client = client_for(server, clock)
        client.on_wait = lambda seconds, reason: waits.append((seconds, reason))
        with pytest.raises(GitHubError, match="malformed JSON"):
            client.get("/users/jacquev6")
    assert waits[0] == (121.0, "primary rate limit reached")
    assert clock.t >= reset


def test_secondary_limits_wait_as_told() -> None:
    abuse = shared_file("github-api", "perceval", "abuse_rate_limit").read_bytes()
    clock = FakeClock()
    script = {"/user": [(429, {"Retry-After": "30"}, b'{"message": "secondary rate limit"}'),
                        (403, {}, abuse)]}  # fmt: skip
    with ReplayServer(recording("Exceptions.testBadAuthentication"), script) as server:
        client = client_for(server, clock)
        with pytest.raises(GitHubError) as raised:
            client.get("/user")
    assert clock.slept == [30.0, 60.0]  # Retry-After, then the real abuse answer: a minute
    assert raised.value.status == 401 and "bad credentials" in str(raised.value)


def test_transient_errors_are_retried_with_backoff() -> None:
    html_503 = recording("Exceptions.testNonJsonDataReturnedByGithub")[0].body
    clock = FakeClock()
    script = {
        "/repos/openframeworks/openFrameworks/issues": [(503, {}, html_503), (502, {}, html_503)]
    }
    exchanges = recording("PaginatedList.testIteration")
    with ReplayServer(exchanges, script) as server:
        page = client_for(server, clock).get("/repos/openframeworks/openFrameworks/issues")
    assert clock.slept == [2.0, 4.0] and page.data == json.loads(exchanges[0].body)


def test_permanent_errors_are_not_retried() -> None:
    with ReplayServer(recording("Exceptions.testUnknownObject")) as server:
        client = client_for(server)
        with pytest.raises(GitHubError, match="404 not found"):
            client.get("/repos/jacquev6/Xxx")
    assert [r[1] for r in server.requests] == ["/repos/jacquev6/Xxx"]


def test_malformed_json_is_retried_then_reported() -> None:
    clock = FakeClock()
    with ReplayServer(recording("Exceptions.testJSONParseError")) as server:
        client = client_for(server, clock)
        client.max_retries = 2
        with pytest.raises(GitHubError, match="malformed JSON"):
            client.get("/users/jacquev6")
    assert len(server.requests) == 3
