"""What the dashboard's requests share: the store (the server is its one writer), the sync
runner, the login form signer and throttle, and the answers kept until the data changes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from catherd.config import Config
from catherd.errors import InputError
from catherd.store.database import Store
from catherd.web.auth import LoginForms
from catherd.web.syncing import SyncRunner
from catherd.web.throttle import LoginThrottle, trusted_networks

CACHE_ENTRIES = 256  # answers kept per server (a few kB each)
T = TypeVar("T")


class Dashboard:
    """State shared by requests: the store, the login form signer, the login throttle."""

    def __init__(
        self,
        db: Path,
        public: tuple[str, ...],
        triage: dict[str, Any] | None = None,
        config: Config | None = None,
    ) -> None:
        # The server is the store's one writer while it runs (see web/syncing.py).
        self.store = Store(db)
        self.runner = SyncRunner(
            self.store, config or Config(root=db.parent, db=db), after=self.prepare
        )
        self.local_token: str | None = None  # set by `catherd serve` for CLI-requested syncs
        secret = self.store.scalar("SELECT value FROM meta WHERE key = 'web_secret'")
        if not secret:
            raise InputError(f"{db}: this store has no web secret (open it once with catherd 2)")
        self.login_forms = LoginForms(str(secret))
        self.throttle = LoginThrottle()
        self.trusted = trusted_networks(self.runner.config.web.get("trusted_proxies"))
        self.public = set(public)
        self.triage = triage or {}
        # answers the pages ask for first, computed after each sync (page modules add theirs)
        self.warm_ups: list[Callable[[], Any]] = []
        self._cache: OrderedDict[tuple[int, Hashable], Any] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def config(self) -> Config:
        return self.runner.config

    @contextmanager
    def handle(self) -> Iterator[Store]:
        """A handle of its own for one request: a DuckDB connection is not safe to share
        between threads, its cursors are."""
        handle = Store.on_cursor(self.store)
        try:
            yield handle
        finally:
            handle.close()

    def prepare(self) -> None:
        """Compute the answers asked for first (the home page, the metrics explorer's
        default, the report), so that the first visitor after a sync does not wait."""
        for warm_up in self.warm_ups:
            warm_up()

    def query(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        with self.handle() as handle:
            return handle.rows(sql, params)

    def cached(self, key: Hashable, compute: Callable[[Store], T]) -> T:
        """``compute(store)``, remembered until the store's data changes.

        The version and the computation read one snapshot, so an answer is never filed
        under a version it was not computed from. Callers must not modify what they get.
        """
        with self.handle() as handle:
            handle.con.execute("BEGIN TRANSACTION")
            try:
                entry = (handle.data_version(), key)
                with self._cache_lock:
                    if entry in self._cache:
                        self._cache.move_to_end(entry)
                        return cast(T, self._cache[entry])
                value = compute(handle)
            finally:
                handle.con.execute("ROLLBACK")
        with self._cache_lock:
            self._cache[entry] = value
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return value
