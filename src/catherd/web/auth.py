"""Accounts, sessions, CSRF and login throttling for the web dashboard.

- Passwords are hashed with argon2 (argon2-cffi); only hashes are stored (``users`` table).
- A session is a cookie signed with the store's own secret (itsdangerous), HttpOnly,
  SameSite=Lax, Secure when served over TLS, expiring after ``SESSION_SECONDS``. It holds the
  username and a CSRF token; every form carries that token and every POST is refused
  without it, so the dashboard keeps no session table and can read the store read-only.
- Failed logins are throttled per client address and per username: after
  ``MAX_FAILURES`` in ``FAILURE_WINDOW`` seconds, further attempts are refused until the
  window has passed.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException
from itsdangerous import BadSignature, URLSafeTimedSerializer

from catherd.errors import InputError
from catherd.store.database import Store

ROLES = ("viewer", "team", "admin")  # each one can do what the ones before it can
SESSION_COOKIE = "catherd_session"
SESSION_SECONDS = 12 * 3600
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    username: str
    role: str
    csrf: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def add_user(store: Store, username: str, password: str, role: str) -> None:
    """Create or replace an account (run by the CLI, which may write the store)."""
    if role not in ROLES:
        raise InputError(f"--role {role!r}: choose one of {', '.join(ROLES)}")
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise InputError(f"{username!r}: a username is letters, digits, '-', '_' or '.'")
    if len(password) < 10:
        raise InputError("the password must have at least 10 characters")
    with store.transaction():
        store.con.execute(
            "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?, FALSE)",
            [username, _hasher.hash(password), role, datetime.now(UTC)],
        )


def check_password(store: Store, username: str, password: str) -> str | None:
    """The user's role if the password is right and the account enabled, else None."""
    rows = store.rows(
        "SELECT password_hash, role FROM users WHERE username = ? AND NOT disabled", [username]
    )
    if not rows:
        _hasher.hash(password)  # same cost whether or not the account exists
        return None
    try:
        _hasher.verify(rows[0]["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return str(rows[0]["role"])


class Sessions:
    """Signed session cookies: (username, role, csrf) with an age limit."""

    def __init__(self, secret: str) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="catherd-session")

    def issue(self, username: str, role: str) -> str:
        return self.serializer.dumps({"u": username, "r": role, "c": secrets.token_urlsafe(16)})

    def read(self, cookie: str | None) -> User | None:
        if not cookie:
            return None
        try:
            data = self.serializer.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("r") not in ROLES:
            return None
        return User(str(data["u"]), str(data["r"]), str(data["c"]))


class LoginThrottle:
    """Counts failed logins by key (client address, username) in a sliding window."""

    def __init__(self) -> None:
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        for key in keys:
            attempts = self.failures[key]
            while attempts and now - attempts[0] > FAILURE_WINDOW:
                attempts.popleft()
            if len(attempts) >= MAX_FAILURES:
                return True
        return False

    def failed(self, *keys: str) -> None:
        for key in keys:
            self.failures[key].append(time.monotonic())


def require_csrf(user: User | None, token: str) -> None:
    """Refuse a form post that does not carry the session's CSRF token."""
    if user is None or not token or token != user.csrf:
        raise HTTPException(403, "missing or wrong CSRF token")


def require_admin(user: User | None) -> User:
    if user is None or not user.can("admin"):
        raise HTTPException(403, "administrators only")
    return user
