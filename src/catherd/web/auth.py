"""What a request must carry: a session's CSRF token for every change, an admin for admin work,
and a login form token for ``/login``.

Sessions and accounts are ``web/accounts.py``'s; throttling is ``web/throttle.py``'s. The login
form is protected too (login CSRF: a page elsewhere must not log a visitor into an account of
its choosing): ``GET /login`` sets a random nonce in a cookie and puts the nonce, signed with
the store's secret, in the form; ``POST /login`` needs both to match, within an hour.
"""

from __future__ import annotations

import secrets

from fastapi import HTTPException
from itsdangerous import BadSignature, URLSafeTimedSerializer

from catherd.web.accounts import User

SESSION_COOKIE = "catherd_session"
LOGIN_COOKIE = "catherd_login"
LOGIN_FORM_SECONDS = 3600


class LoginForms:
    """Tokens for the login form: a cookie nonce and its signed copy in the form."""

    def __init__(self, secret: str) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="catherd-login")

    @staticmethod
    def nonce() -> str:
        return secrets.token_urlsafe(16)

    def token(self, nonce: str) -> str:
        return self.serializer.dumps(nonce)

    def valid(self, token: str, nonce: str | None) -> bool:
        if not token or not nonce:
            return False
        try:
            signed = self.serializer.loads(token, max_age=LOGIN_FORM_SECONDS)
        except BadSignature:
            return False
        return isinstance(signed, str) and secrets.compare_digest(signed, nonce)


def require_csrf(user: User | None, token: str) -> None:
    """Refuse a form post that does not carry the session's CSRF token."""
    if user is None or not token or not secrets.compare_digest(token, user.csrf):
        raise HTTPException(403, "missing or wrong CSRF token")


def require_admin(user: User | None) -> User:
    if user is None or not user.can("admin"):
        raise HTTPException(403, "administrators only")
    return user
