"""The web wallet locks itself: after a while without activity and after a longest
session, over real HTTP with the app's clock moved by hand. The next request shows the
German unlock page with the reason; unlocking returns to where the citizen was, and only
to a path of this wallet."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from govchain.citizen_wallet import WalletSettings, create_app
from govchain.citizen_wallet._session import safe_return_path
from tests.citizen_wallet.conftest import PIN, new_wallet
from tests.citizen_wallet.test_pages import Browser, _set_up
from tests.conftest import free_port
from tests.issuer.conftest import Server


class Clock:
    """Monotonic seconds the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _serve(tmp_path: Path, clock: Clock, **settings: float) -> Iterator[Browser]:
    port = free_port()
    config = WalletSettings(data_dir=tmp_path / "data", wallet_port=port, **settings)  # type: ignore[arg-type]
    wallet = new_wallet(tmp_path / "w")
    with Server(create_app(config, wallet=wallet, clock=clock), port) as http:
        yield Browser(http, wallet)


@pytest.fixture
def browser(tmp_path: Path, clock: Clock) -> Iterator[Browser]:
    yield from _serve(tmp_path, clock)


def _query(location: str) -> dict[str, list[str]]:
    parts = urlsplit(location)
    assert parts.path == "/wallet/entsperren" and not parts.netloc
    return parse_qs(parts.query)


def test_defaults() -> None:
    settings = WalletSettings()
    assert settings.wallet_idle_lock_seconds == 300
    assert settings.wallet_max_session_seconds == 8 * 3600


def test_idle_locks_and_unlocking_returns_to_the_page(browser: Browser, clock: Clock) -> None:
    _set_up(browser)
    for _ in range(3):  # activity keeps the session alive past 5 minutes in total
        clock.now += 299
        assert browser.get("/wallet/protokoll?x=1").status_code == 200
    clock.now += 300
    locked = browser.get("/wallet/protokoll?x=1")
    assert locked.status_code == 303
    assert _query(locked.headers["location"]) == {
        "grund": ["inaktiv"],
        "weiter": ["/wallet/protokoll?x=1"],
    }
    assert not browser.wallet.unlocked  # the key is gone, not only the cookie
    page = browser.get(locked.headers["location"])
    assert page.status_code == 200
    assert "Aus Sicherheitsgründen gesperrt: 5 Minuten lang keine Aktivität." in page.text
    assert 'name="weiter" value="/wallet/protokoll?x=1"' in page.text
    wrong = browser.submit(page, "/wallet/entsperren", pin="000000", weiter="/wallet/protokoll")
    assert wrong.status_code == 401 and not browser.wallet.unlocked
    back = browser.submit(page, "/wallet/entsperren", pin=PIN, weiter="/wallet/protokoll?x=1")
    assert back.status_code == 303 and back.headers["location"] == "/wallet/protokoll?x=1"
    assert browser.get("/wallet/protokoll?x=1").status_code == 200


def test_the_longest_session_ends_even_when_active(tmp_path: Path, clock: Clock) -> None:
    for browser in _serve(
        tmp_path, clock, wallet_idle_lock_seconds=300, wallet_max_session_seconds=1800
    ):
        _set_up(browser)
        for _ in range(6):  # 6 x 290 s = 1740 s, never idle for 5 minutes
            clock.now += 290
            assert browser.get("/wallet/").status_code == 200
        clock.now += 60
        locked = browser.get("/wallet/")
        assert _query(locked.headers["location"]) == {
            "grund": ["hoechstdauer"],
            "weiter": ["/wallet/"],
        }
        page = browser.get(locked.headers["location"])
        assert "Eine Sitzung dauert höchstens 30 Minuten." in page.text
        assert "a session lasts at most 30 minutes" in page.text
        assert not browser.wallet.unlocked
        again = browser.submit(page, "/wallet/entsperren", pin=PIN, weiter="/wallet/")
        assert again.headers["location"] == "/wallet/"
        assert browser.get("/wallet/").status_code == 200  # a fresh session


def test_a_form_sent_after_the_lock_does_nothing_and_returns_to_its_page(
    browser: Browser, clock: Clock
) -> None:
    _set_up(browser)
    form = browser.get("/wallet/empfangen")
    clock.now += 301
    origin = str(browser.http.base_url).rstrip("/")
    sent = browser.submit(
        form, "/wallet/empfangen", offer="openid-credential-offer://?credential_offer_uri=x"
    )
    assert sent.status_code == 303 and "weiter" not in sent.headers["location"]  # no referer
    unlock = browser.get("/wallet/entsperren")
    browser.submit(unlock, "/wallet/entsperren", pin=PIN)
    clock.now += 301
    sent = browser.http.post(
        "/wallet/empfangen",
        data={"offer": "x"},
        headers={"referer": f"{origin}/wallet/empfangen"},
    )
    assert _query(sent.headers["location"])["weiter"] == ["/wallet/empfangen"]
    unlock = browser.get("/wallet/entsperren")
    browser.submit(unlock, "/wallet/entsperren", pin=PIN)
    clock.now += 301
    foreign = browser.http.post(
        "/wallet/empfangen",
        data={"offer": "x"},
        headers={"referer": "https://evil.example/wallet/empfangen"},
    )
    assert _query(foreign.headers["location"]) == {"grund": ["inaktiv"]}
    assert not browser.wallet.unlocked


def test_unlocking_returns_only_to_this_wallet(browser: Browser, clock: Clock) -> None:
    _set_up(browser)
    page = browser.get("/wallet/entsperren?grund=inaktiv&weiter=https://evil.example/")
    assert 'name="weiter"' not in page.text
    assert "Aus Sicherheitsgründen gesperrt" in page.text  # the reason is only a text
    plain = browser.get("/wallet/entsperren?grund=sonstwas")
    assert "Aus Sicherheitsgründen" not in plain.text
    for target in ("//evil.example/wallet/", "https://evil.example/wallet/", "/\\evil.example"):
        unlocked = browser.submit(page, "/wallet/entsperren", pin=PIN, weiter=target)
        assert unlocked.status_code == 303 and unlocked.headers["location"] == "/wallet/"


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/wallet/protokoll", True),
        ("/wallet/nachweis/abc?x=1", True),
        ("/wallet/", True),
        ("", False),
        ("/wallet", False),
        ("/wallet/entsperren", False),
        ("/wallet/sperren", False),
        ("/wallet/../admin", False),
        ("/other", False),
        ("//evil.example/wallet/", False),
        ("https://evil.example/wallet/", False),
        ("javascript:alert(1)", False),
        ("/wallet/\\evil", False),
        ("/wallet/\r\nSet-Cookie: x=1", False),
        ("/wallet/ x", False),
        ('/wallet/"><script>', False),
        ("/wallet/#frag", False),
    ],
)
def test_safe_return_paths(target: str, safe: bool) -> None:
    assert (safe_return_path(target) == target) is safe
    assert safe_return_path(target) in (target, None)


def test_an_idle_wallet_locks_without_a_request(tmp_path: Path, clock: Clock) -> None:
    for browser in _serve(tmp_path, clock, wallet_idle_lock_seconds=4):
        _set_up(browser)
        clock.now += 5
        deadline = time.monotonic() + 10
        while browser.wallet.unlocked and time.monotonic() < deadline:
            time.sleep(0.1)  # the sweep runs once a second at this setting
        assert not browser.wallet.unlocked
        locked = browser.get("/wallet/protokoll")
        assert _query(locked.headers["location"]) == {
            "grund": ["inaktiv"],
            "weiter": ["/wallet/protokoll"],
        }
        assert "4 Sekunden lang keine Aktivität" in browser.get(locked.headers["location"]).text


def test_a_stranger_is_not_told_and_not_let_in(browser: Browser, clock: Clock) -> None:
    _set_up(browser)
    clock.now += 301
    with httpx.Client(base_url=str(browser.http.base_url)) as stranger:
        page = stranger.get("/wallet/protokoll")
    assert page.headers["location"] == "/wallet/entsperren"
