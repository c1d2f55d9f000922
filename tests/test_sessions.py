"""Server-side sessions, account changes that end them, login throttling and client addresses.

The application is the real one on a real store file (empty of activity: sessions need none),
with real argon2 hashes; browsers are Starlette test clients, each with a peer address of its
own. The accounts are SYNTHETIC, made by the tests.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from catherd.config import Config
from catherd.store.database import Store
from catherd.web.accounts import add_user, change_account
from catherd.web.app import create_app
from catherd.web.throttle import FREE_FAILURES, LOCK_FAILURES, client_address, trusted_networks

from .conftest import post_login

PASSWORD = "correct horse battery"
OWNER, ATTACKER, PROXY = "192.0.2.10", "198.51.100.66", "10.0.0.2"  # documentation addresses


class Clock:
    """Synthetic time for the throttle: it moves only when the test says so."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def app(tmp_path: Path) -> TestClient:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        add_user(store, "ada", PASSWORD, "admin")
        add_user(store, "tom", PASSWORD, "team")
    config = Config(root=tmp_path, db=db, web={"trusted_proxies": [PROXY]})
    application = create_app(db, config=config)
    application.state.board.throttle.clock = Clock()
    return TestClient(application, base_url="http://127.0.0.1")


def browser(app: TestClient, address: str = OWNER) -> TestClient:
    return TestClient(app.app, base_url="http://127.0.0.1", client=(address, 40000))


def logged_in(app: TestClient, who: str, address: str = OWNER) -> tuple[TestClient, str, str]:
    """A browser with a session: (the browser, its session cookie, its CSRF token)."""
    session = browser(app, address)
    assert post_login(session, who, PASSWORD, follow_redirects=False).status_code == 303
    token = re.search(r'name="csrf" value="([^"]+)"', session.get("/").text).group(1)
    return session, session.cookies["catherd_session"], token


def with_cookie(app: TestClient, cookie: str) -> TestClient:
    """Another browser replaying a copied cookie (what a thief or a stale tab would send)."""
    replay = browser(app, ATTACKER)
    replay.cookies.set("catherd_session", cookie)
    return replay


def test_the_cookie_is_a_random_id_and_the_store_keeps_its_hash(app: TestClient) -> None:
    _, cookie, _ = logged_in(app, "ada")
    assert len(cookie) >= 40 and "ada" not in cookie and "admin" not in cookie
    store = app.app.state.board.store
    rows = store.rows("SELECT * FROM sessions")
    assert len(rows) == 1 and rows[0]["id_hash"] != cookie and len(rows[0]["id_hash"]) == 64
    assert (rows[0]["username"], rows[0]["role"], rows[0]["address"]) == ("ada", "admin", OWNER)


def test_logout_ends_the_session_everywhere(app: TestClient) -> None:
    session, cookie, token = logged_in(app, "ada")
    stolen = with_cookie(app, cookie)
    assert stolen.get("/admin", follow_redirects=False).status_code == 200
    assert stolen.get("/api/partners").status_code == 200
    assert session.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert stolen.get("/admin", follow_redirects=False).status_code == 303  # to the login page
    assert stolen.get("/api/partners").status_code == 401
    assert stolen.get("/api/triage").status_code == 401
    revoked = app.app.state.board.store.scalar("SELECT revoked_at FROM sessions")
    assert revoked is not None


@pytest.mark.parametrize(
    ("action", "role", "password"),
    [("disable", "", ""), ("role", "viewer", ""), ("password", "", "a new long password")],
)
def test_account_changes_cut_open_sessions(
    app: TestClient, action: str, role: str, password: str
) -> None:
    _, cookie, _ = logged_in(app, "tom")
    _, other_cookie, _ = logged_in(app, "tom", ATTACKER)  # a second device
    assert with_cookie(app, cookie).get("/api/triage").status_code == 200
    message = change_account(app.app.state.board.store, "tom", action, role, password)
    assert "2 open session(s) ended" in message
    for old in (cookie, other_cookie):
        assert with_cookie(app, old).get("/api/triage").status_code == 401
        assert with_cookie(app, old).get("/triage", follow_redirects=False).status_code == 303


def test_the_role_is_read_on_each_request(app: TestClient) -> None:
    """Even a change that bypasses catherd (a hand-made UPDATE) ends admin rights at once."""
    _, cookie, _ = logged_in(app, "ada")
    store = app.app.state.board.store
    with store.transaction() as con:
        con.execute("UPDATE users SET role = 'viewer' WHERE username = 'ada'")
    assert with_cookie(app, cookie).get("/admin", follow_redirects=False).status_code == 303


def test_the_admin_page_and_api_change_roles_and_end_sessions(app: TestClient) -> None:
    admin, _, token = logged_in(app, "ada")
    _, tom_cookie, _ = logged_in(app, "tom", ATTACKER)
    form = {"csrf": token, "username": "tom", "action": "role", "role": "viewer"}
    assert admin.post("/admin/users", data=form, follow_redirects=False).status_code == 303
    assert app.app.state.board.store.scalar("SELECT role FROM users WHERE username = 'tom'") == (
        "viewer"
    )
    assert with_cookie(app, tom_cookie).get("/api/triage").status_code == 401
    own = {**form, "username": "ada"}
    assert admin.post("/admin/users", data=own).status_code == 422  # never one's own role
    api = "/api/admin/users/tom"
    assert admin.post(api, json={"action": "disable"}).status_code == 403  # no CSRF header
    done = admin.post(api, json={"action": "disable"}, headers={"x-csrf-token": token})
    assert done.status_code == 200 and "disabled" in done.json()["message"]
    assert browser(app).post(api, json={"action": "enable"}).status_code == 403  # anonymous
    own_api = admin.post("/api/admin/users/ada", json={"action": "disable"},
                         headers={"x-csrf-token": token})  # fmt: skip
    assert own_api.status_code == 422
    bad = admin.post(api, json={"action": "role", "role": "owner"}, headers={"x-csrf-token": token})
    assert bad.status_code == 422 and "choose one of" in bad.text


def test_team_answers_are_never_cached_and_login_needs_its_form_token(app: TestClient) -> None:
    team, _, _ = logged_in(app, "tom")
    for path in ("/triage", "/api/triage", "/api/partners", "/"):
        assert team.get(path).headers["cache-control"] == "no-store", path
    assert "no-store" in browser(app).get("/login").headers["cache-control"]
    forged = browser(app).post("/login", data={"username": "tom", "password": PASSWORD},
                               follow_redirects=False)  # fmt: skip
    assert forged.status_code == 403 and "catherd_session" not in forged.headers.get(
        "set-cookie", ""
    )
    # a token from another browser's form does not match this browser's cookie
    token = re.search(r'name="csrf" value="([^"]+)"', browser(app).get("/login").text).group(1)
    elsewhere = browser(app)
    elsewhere.cookies.set("catherd_login", "another-nonce", path="/login")
    answer = elsewhere.post("/login", data={"username": "tom", "password": PASSWORD,
                                            "csrf": token}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 403


def test_an_attacker_elsewhere_does_not_lock_the_owner_out(app: TestClient) -> None:
    clock = app.app.state.board.throttle.clock
    assert post_login(browser(app, OWNER), "ada", PASSWORD, follow_redirects=False).status_code == (
        303
    )  # the owner's address is now known
    # one address guessing: slowed down more and more, never refused for good
    attacker, waits = browser(app, ATTACKER), []
    for _ in range(10):
        answer = post_login(attacker, "ada", "wrong password!!")
        if answer.status_code == 429:
            waits.append(int(answer.headers["retry-after"]))
            clock.t += waits[-1]  # it waits as long as asked
            answer = post_login(attacker, "ada", "wrong password!!")
        assert answer.status_code == 401
    assert waits == sorted(waits) and waits[0] <= 3 < waits[-1]
    assert post_login(browser(app, OWNER), "ada", PASSWORD, follow_redirects=False).status_code == (
        303
    )
    # guesses spread over many addresses lock the account for addresses it never used...
    clock.t += 16 * 60  # (the guesses above are older than the lock's window by now)
    for n in range(LOCK_FAILURES):
        bot = browser(app, f"203.0.113.{n + 1}")
        assert post_login(bot, "ada", "wrong password!!").status_code == 401
    assert post_login(browser(app, "203.0.113.200"), "ada", PASSWORD).status_code == 429
    # ...but the owner's right password from a known address still opens it
    assert post_login(browser(app, OWNER), "ada", PASSWORD, follow_redirects=False).status_code == (
        303
    )
    assert post_login(browser(app, OWNER), "ada", "wrong password!!").status_code == 401
    # other accounts are untouched, and the lock ends with its window
    assert post_login(browser(app, "203.0.113.200"), "tom", PASSWORD,
                      follow_redirects=False).status_code == 303  # fmt: skip
    clock.t += 16 * 60
    assert post_login(browser(app, "203.0.113.201"), "ada", PASSWORD,
                      follow_redirects=False).status_code == 303  # fmt: skip


def test_delays_grow_per_address_and_username_pair(app: TestClient) -> None:
    clock = app.app.state.board.throttle.clock
    me = browser(app, OWNER)
    for _ in range(FREE_FAILURES):
        assert post_login(me, "tom", "wrong password!!").status_code == 401
    first = post_login(me, "tom", PASSWORD)
    assert first.status_code == 429 and "try again in 2 s" in first.text
    clock.t += 2
    assert post_login(me, "tom", "wrong password!!").status_code == 401
    second = post_login(me, "tom", PASSWORD)
    assert second.status_code == 429 and "try again in 4 s" in second.text
    # the same username from another address, and another username here, are not slowed
    assert post_login(browser(app, ATTACKER), "tom", "wrong password!!").status_code == 401
    assert post_login(me, "ada", PASSWORD, follow_redirects=False).status_code == 303
    clock.t += 4
    assert post_login(me, "tom", PASSWORD, follow_redirects=False).status_code == 303
    assert post_login(me, "tom", "wrong password!!").status_code == 401  # a success cleared it


def test_forwarded_for_counts_only_from_a_trusted_proxy(app: TestClient) -> None:
    behind = TestClient(app.app, base_url="http://127.0.0.1", client=(PROXY, 40000),
                        headers={"x-forwarded-for": f"1.2.3.4, {OWNER}"})  # fmt: skip
    assert post_login(behind, "ada", PASSWORD, follow_redirects=False).status_code == 303
    store = app.app.state.board.store
    assert store.scalar("SELECT address FROM sessions") == OWNER  # the proxy's client
    spoofing = TestClient(app.app, base_url="http://127.0.0.1", client=(ATTACKER, 40000),
                          headers={"x-forwarded-for": OWNER})  # fmt: skip
    assert post_login(spoofing, "tom", PASSWORD, follow_redirects=False).status_code == 303
    addresses = {r["username"]: r["address"] for r in store.rows("SELECT * FROM sessions")}
    assert addresses["tom"] == ATTACKER  # an untrusted peer's header is ignored


def test_client_address_rules() -> None:
    trusted = trusted_networks(["10.0.0.0/8", "127.0.0.1"])
    assert client_address("10.1.2.3", "203.0.113.5", trusted) == "203.0.113.5"
    # the client wrote a first hop itself: the last untrusted one is the proxy's word
    assert client_address("10.1.2.3", "6.6.6.6, 203.0.113.5, 10.9.9.9", trusted) == "203.0.113.5"
    assert client_address("192.0.2.1", "203.0.113.5", trusted) == "192.0.2.1"
    assert client_address("10.1.2.3", None, trusted) == "10.1.2.3"
    assert trusted_networks(None) == []
    assert trusted[0] == ipaddress.ip_network("10.0.0.0/8")
    with pytest.raises(Exception, match="trusted_proxies"):
        trusted_networks(["not an address"])
