"""Login throttling that slows an attacker without locking the owner out, and who the client is.

- Failures count per (client address, username) pair: the first ``FREE_FAILURES`` cost
  nothing, then each one doubles the wait before that pair may try again (2 s, 4 s, 8 s...,
  at most ``MAX_DELAY``). A success clears the pair. Someone guessing from elsewhere never
  slows the owner's own address.
- Many failures for one username from all addresses together (``LOCK_FAILURES`` within
  ``LOCK_WINDOW``: a guess spread over many addresses) lock the account for addresses it
  never logged in from; the owner's right password from a known address still opens it.
- Behind a reverse proxy every request comes from the proxy: the client's address is then
  read from ``X-Forwarded-For``, but only when the peer is one of ``[web] trusted_proxies``
  (anyone else could write that header).

State is kept in memory by the server process: a restart forgets it, which costs an
attacker nothing they could not get by waiting.
"""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from catherd.errors import InputError

FREE_FAILURES = 3
MAX_DELAY = 15 * 60.0
PAIR_MEMORY = 24 * 3600.0  # a pair's failures are forgotten after a day without one
LOCK_FAILURES = 20
LOCK_WINDOW = 15 * 60.0
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class _Pair:
    failures: int
    last: float


class LoginThrottle:
    """Failed logins by (address, username) and by username; times from ``clock``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.pairs: dict[tuple[str, str], _Pair] = {}
        self.by_user: dict[str, deque[float]] = {}

    def wait(self, address: str, username: str) -> float:
        """Seconds before this address may try this username again (0: now)."""
        pair = self.pairs.get((address, username.lower()))
        if pair is None or pair.failures < FREE_FAILURES:
            return 0.0
        delay = min(2.0 ** (pair.failures - FREE_FAILURES + 1), MAX_DELAY)
        return max(0.0, pair.last + delay - self.clock())

    def locked(self, username: str) -> bool:
        """Too many failures for this username lately, from all addresses together."""
        recent = self._recent(username.lower())
        return recent is not None and len(recent) >= LOCK_FAILURES

    def failed(self, address: str, username: str) -> None:
        now, key = self.clock(), username.lower()
        self._forget_old(now)
        pair = self.pairs.setdefault((address, key), _Pair(0, now))
        pair.failures, pair.last = pair.failures + 1, now
        self.by_user.setdefault(key, deque()).append(now)

    def succeeded(self, address: str, username: str) -> None:
        self.pairs.pop((address, username.lower()), None)

    def _recent(self, key: str) -> deque[float] | None:
        attempts = self.by_user.get(key)
        if attempts is not None:
            while attempts and self.clock() - attempts[0] > LOCK_WINDOW:
                attempts.popleft()
        return attempts

    def _forget_old(self, now: float) -> None:
        if len(self.pairs) > 10_000:  # bounded memory, whatever an attacker sends
            self.pairs = {k: p for k, p in self.pairs.items() if now - p.last < PAIR_MEMORY}
            self.by_user = {
                k: d for k, d in self.by_user.items() if d and now - d[-1] < LOCK_WINDOW
            }


def trusted_networks(values: object) -> list[Network]:
    """``[web] trusted_proxies`` (addresses or networks such as "10.0.0.0/8"), checked."""
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InputError('[web] trusted_proxies must be a list such as ["127.0.0.1"]')
    try:
        return [ipaddress.ip_network(v.strip(), strict=False) for v in values]
    except ValueError as exc:
        raise InputError(f"[web] trusted_proxies: {exc}") from None


def client_address(peer: str, forwarded_for: str | None, trusted: Iterable[Network]) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the last
    address in ``X-Forwarded-For`` that is not a trusted proxy too (each proxy appends the
    address it was called from, so what comes before is whatever the client wrote)."""
    networks = list(trusted)
    if not forwarded_for or not is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, networks):
            return hop
    return hops[0] if hops else peer


def is_trusted(address: str, trusted: Iterable[Network]) -> bool:
    """Is ``address`` one of the trusted proxies?"""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
