"""Dashboard accounts (``users``) and their sessions (``sessions``), kept on the server.

- Passwords are hashed with argon2 (argon2-cffi); only hashes are stored.
- A session's cookie holds a random id (256 bits) and nothing else; the store keeps its
  SHA-256, the user, the role it was issued for, its CSRF token and the client's address.
  Each request reads the user's role and state from ``users``: a disabled account, or a
  role that is not the session's any more, ends the session there and then. Logging out
  revokes the session; disabling an account, changing its role or its password revokes all
  of its sessions in the same transaction as the change.
- Accounts and sessions are bookkeeping, not data: their transactions leave the store's
  data version alone (no kept answer reads them).

No web framework here: the CLI changes accounts with the same functions as the dashboard.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from catherd.errors import InputError

if TYPE_CHECKING:
    from catherd.store.database import Store

ROLES = ("viewer", "team", "admin")  # each one can do what the ones before it can
ACTIONS = ("disable", "enable", "role", "password")
SESSION_SECONDS = 12 * 3600
TOUCH_SECONDS = 60  # a session's last_seen is written at most this often
KNOWN_DAYS = 30  # a user's addresses are "known" for this long after a login from them


@dataclass(frozen=True)
class User:
    username: str
    role: str
    csrf: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def _hasher() -> Any:
    from argon2 import PasswordHasher  # imported when a password is handled, not on start-up

    return PasswordHasher()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InputError(f"role {role!r}: choose one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise InputError("the password must have at least 10 characters")


def add_user(store: Store, username: str, password: str, role: str) -> None:
    """Create an account, or replace one (its role and password: its sessions end)."""
    _check_role(role)
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise InputError(f"{username!r}: a username is letters, digits, '-', '_' or '.'")
    _check_password(password)
    with store.transaction(versioned=False) as con:
        con.execute(
            "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?, FALSE)",
            [username, _hasher().hash(password), role, datetime.now(UTC)],
        )
        _revoke_all(con, username)


def change_account(
    store: Store, username: str, action: str, role: str = "", password: str = ""
) -> str:
    """Disable, enable, change the role or the password of an account; say what was done.

    Every change but ``enable`` ends the account's open sessions in the same transaction.
    """
    if action not in ACTIONS:
        raise InputError(f"{action!r}: choose one of {', '.join(ACTIONS)}")
    if not store.scalar("SELECT count(*) FROM users WHERE username = ?", [username]):
        raise InputError(f"{username!r}: no such account (see `catherd users list`)")
    if action == "role":
        _check_role(role)
    if action == "password":
        _check_password(password)
    with store.transaction(versioned=False) as con:
        if action in ("disable", "enable"):
            con.execute(
                "UPDATE users SET disabled = ? WHERE username = ?", [action == "disable", username]
            )
        elif action == "role":
            con.execute("UPDATE users SET role = ? WHERE username = ?", [role, username])
        else:
            con.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?",
                [_hasher().hash(password), username],
            )
        ended = 0 if action == "enable" else _revoke_all(con, username)
    done = {"disable": "disabled", "enable": "enabled", "role": f"now {role}",
            "password": "has a new password"}[action]  # fmt: skip
    return f"account {username} {done}" + (f"; {ended} open session(s) ended" if ended else "")


def list_accounts(store: Store) -> list[dict[str, Any]]:
    """Every account: name, role, creation, state and how many sessions are open now."""
    return store.rows(
        "SELECT username, role, created_at, disabled, (SELECT count(*) FROM sessions s "
        "WHERE s.username = u.username AND s.revoked_at IS NULL AND s.created_at > ?) "
        "AS open_sessions FROM users u ORDER BY username",
        [datetime.now(UTC) - timedelta(seconds=SESSION_SECONDS)],
    )


def check_password(store: Store, username: str, password: str) -> str | None:
    """The user's role if the password is right and the account enabled, else None."""
    from argon2.exceptions import InvalidHashError, VerificationError

    rows = store.rows(
        "SELECT password_hash, role FROM users WHERE username = ? AND NOT disabled", [username]
    )
    hasher = _hasher()
    if not rows:
        hasher.hash(password)  # same cost whether or not the account exists
        return None
    try:
        hasher.verify(rows[0]["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return str(rows[0]["role"])


# -- sessions ---------------------------------------------------------------------------------
def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _revoke_all(con: Any, username: str) -> int:
    ended = con.execute(
        "UPDATE sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL",
        [datetime.now(UTC), username],
    ).fetchall()
    return int(ended[0][0]) if ended else 0


def open_session(store: Store, username: str, role: str, address: str) -> str:
    """Record a new session; return the id for the cookie (the store keeps only its hash)."""
    session_id = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with store.transaction(versioned=False) as con:
        # sessions long over are forgotten (they kept their addresses "known" until then)
        con.execute("DELETE FROM sessions WHERE created_at < ?", [now - timedelta(KNOWN_DAYS)])
        con.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            [_digest(session_id), username, role, secrets.token_urlsafe(16), address, now, now],
        )
    return session_id


def session_user(store: Store, session_id: str | None) -> User | None:
    """The user of a live session, with the role ``users`` gives them now; else None."""
    if not session_id:
        return None
    now = datetime.now(UTC)
    rows = store.rows(
        "SELECT s.id_hash, u.username, u.role, s.csrf, s.last_seen FROM sessions s "
        "JOIN users u ON u.username = s.username AND u.role = s.role AND NOT u.disabled "
        "WHERE s.id_hash = ? AND s.revoked_at IS NULL AND s.created_at > ?",
        [_digest(session_id), now - timedelta(seconds=SESSION_SECONDS)],
    )
    if not rows:
        return None
    found = rows[0]
    if now - found["last_seen"] > timedelta(seconds=TOUCH_SECONDS):
        _touch(store, found["id_hash"], now)
    return User(found["username"], found["role"], found["csrf"])


def _touch(store: Store, id_hash: str, now: datetime) -> None:
    import duckdb

    try:
        with store.transaction(versioned=False) as con:
            con.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", [now, id_hash])
    except duckdb.TransactionException:
        pass  # another request of the same session wrote it at the same moment: that will do


def end_session(store: Store, session_id: str) -> None:
    """Log out: the session's id opens nothing any more."""
    with store.transaction(versioned=False) as con:
        con.execute(
            "UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
            [datetime.now(UTC), _digest(session_id)],
        )


def known_address(store: Store, username: str, address: str) -> bool:
    """Did this user log in from this address in the last ``KNOWN_DAYS`` days?"""
    return bool(
        store.scalar(
            "SELECT count(*) FROM sessions WHERE username = ? AND address = ? AND created_at > ?",
            [username, address, datetime.now(UTC) - timedelta(KNOWN_DAYS)],
        )
    )
