"""Changing the PIN: through the core, the German page and `govchain wallet pin`. The
old PIN is verified (and counted), the new one checked like at set-up, and a write that
fails or a process killed in the middle of it leaves the wallet under the old PIN."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from govchain.citizen_wallet import (
    CitizenWallet,
    WalletError,
    WalletThrottledError,
    WrongPinError,
)
from govchain.cli import app
from tests.citizen_wallet.conftest import FAST_SCRYPT, PIN, new_wallet
from tests.citizen_wallet.test_pages import Browser, _serve, _set_up

NEW_PIN = "907361"
REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _with_secrets(directory: Path) -> CitizenWallet:
    """A wallet holding what a PIN change must carry over: a log entry and the DIDComm
    sub-wallet's id, key and token (document key ``aries``)."""
    wallet = new_wallet(directory)
    wallet.create(PIN)
    document = wallet._document()
    document["aries"] = {"wallet_id": "w-1", "wallet_key": "k-secret", "token": "t-secret"}
    document["log"].append({"marker": "kept"})
    wallet._save()
    return wallet


def _opens_with(directory: Path, pin: str) -> CitizenWallet:
    wallet = new_wallet(directory)
    wallet.unlock(pin)
    return wallet


def test_change_keeps_everything_and_the_old_pin_is_refused(tmp_path: Path) -> None:
    wallet = _with_secrets(tmp_path / "w")
    before = (tmp_path / "w" / "vault.json").read_bytes()
    wallet.change_pin(PIN, NEW_PIN)
    assert wallet.unlocked
    assert (tmp_path / "w" / "vault.json").read_bytes() != before
    assert (tmp_path / "w" / "vault.json").stat().st_mode & 0o777 == 0o600
    with pytest.raises(WrongPinError):
        new_wallet(tmp_path / "w").unlock(PIN)
    reopened = _opens_with(tmp_path / "w", NEW_PIN)
    document = reopened._document()
    assert document["aries"]["token"] == "t-secret" and document["log"] == [{"marker": "kept"}]
    # the wallet that changed the PIN now saves under the new key
    wallet._document()["log"].append({"marker": "after"})
    wallet._save()
    assert _opens_with(tmp_path / "w", NEW_PIN)._document()["log"][-1] == {"marker": "after"}
    # a locked wallet can change its PIN too (the command line does so)
    reopened.lock()
    reopened.change_pin(NEW_PIN, PIN)
    assert _opens_with(tmp_path / "w", PIN).credentials() == []


def test_bad_new_pins_are_refused_before_the_old_one_is_tried(tmp_path: Path) -> None:
    wallet = _with_secrets(tmp_path / "w")
    before = (tmp_path / "w" / "vault.json").read_bytes()
    with pytest.raises(WalletError) as short:
        wallet.change_pin(PIN, "123")
    assert "mindestens 6" in short.value.message_de
    with pytest.raises(WalletError) as same:
        wallet.change_pin(PIN, PIN)
    assert "dieselbe" in same.value.message_de
    assert wallet.wrong_pin_count == 0
    assert (tmp_path / "w" / "vault.json").read_bytes() == before


def test_a_wrong_old_pin_is_counted_and_throttled(tmp_path: Path) -> None:
    wallet = _with_secrets(tmp_path / "w")
    before = (tmp_path / "w" / "vault.json").read_bytes()
    for attempt in (1, 2):
        with pytest.raises(WrongPinError) as wrong:
            wallet.change_pin("000000", NEW_PIN)
        assert wrong.value.failures == attempt
    with pytest.raises(WrongPinError) as third:
        wallet.change_pin("000000", NEW_PIN)
    assert third.value.retry_after == 30
    # throttled for unlocking as well, and the right old PIN is not even tried
    with pytest.raises(WalletThrottledError):
        wallet.change_pin(PIN, NEW_PIN)
    with pytest.raises(WalletThrottledError):
        new_wallet(tmp_path / "w").unlock(PIN)
    assert (tmp_path / "w" / "vault.json").read_bytes() == before


_CHILD = """
import resource, signal, sys
from pathlib import Path
from govchain.citizen_wallet import CitizenWallet
wallet = CitizenWallet(Path(sys.argv[1]), scrypt_n=int(sys.argv[4]))
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # die at the write, like a crash
resource.setrlimit(resource.RLIMIT_FSIZE, (128, 128))
wallet.change_pin(sys.argv[2], sys.argv[3])
print("changed")
"""


def test_a_process_killed_while_writing_leaves_the_old_pin(tmp_path: Path) -> None:
    _with_secrets(tmp_path / "w").lock()
    before = (tmp_path / "w" / "vault.json").read_bytes()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path / "w"), PIN, NEW_PIN, str(FAST_SCRYPT)],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=60,
    )
    # killed by the kernel in the middle of writing the re-encrypted wallet
    assert child.returncode == -signal.SIGXFSZ, child.stderr
    assert "changed" not in child.stdout
    leftovers = [p.name for p in (tmp_path / "w").iterdir() if p.name.endswith(".tmp")]
    assert leftovers, "the child should have died with its temporary file half written"
    assert (tmp_path / "w" / "vault.json").read_bytes() == before
    with pytest.raises(WrongPinError):
        new_wallet(tmp_path / "w").unlock(NEW_PIN)
    wallet = _opens_with(tmp_path / "w", PIN)
    assert wallet._document()["aries"]["wallet_key"] == "k-secret"
    wallet.change_pin(PIN, NEW_PIN)  # a later try goes through
    assert _opens_with(tmp_path / "w", NEW_PIN)._document()["log"] == [{"marker": "kept"}]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "GOVCHAIN_DATA_DIR": str(tmp_path / "data"),
        "GOVCHAIN_WALLET_SCRYPT_N": str(FAST_SCRYPT),
        "GOVCHAIN_WALLET_USE_CHAIN": "false",
        "GOVCHAIN_WALLET_PIN": PIN,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_the_command_line_changes_the_pin(env: dict[str, str], tmp_path: Path) -> None:
    assert runner.invoke(app, ["wallet", "create"]).exit_code == 0
    helped = runner.invoke(app, ["wallet", "pin", "--help"])
    assert helped.exit_code == 0 and "old PIN" in helped.stdout
    wrong = runner.invoke(app, ["wallet", "pin", "--pin", "000000"], input="907361\n907361\n")
    assert wrong.exit_code == 1 and "Falsche PIN" in wrong.stderr and "Wrong PIN" in wrong.stderr
    assert "Traceback" not in wrong.stdout + wrong.stderr
    assert new_wallet(tmp_path / "data" / "wallet").wrong_pin_count == 1
    short = runner.invoke(app, ["wallet", "pin"], input="123\n123\n")
    assert short.exit_code == 1 and "mindestens 6" in short.stderr
    changed = runner.invoke(app, ["wallet", "pin"], input=f"{NEW_PIN}\n{NEW_PIN}\n")
    assert changed.exit_code == 0, changed.stderr
    assert "PIN geändert" in changed.stdout and "Neue PIN wiederholen" in changed.stdout
    assert runner.invoke(app, ["wallet", "list"]).exit_code == 1  # the old PIN from the env
    assert runner.invoke(app, ["wallet", "list", "--pin", NEW_PIN]).exit_code == 0
    # asked for the old PIN when neither --pin nor the environment gives it
    asked = runner.invoke(
        app,
        ["wallet", "pin"],
        input=f"{NEW_PIN}\n{PIN}\n{PIN}\n",
        env={"GOVCHAIN_WALLET_PIN": ""},
    )
    assert asked.exit_code == 0, asked.stderr
    assert "Bisherige PIN" in asked.stdout
    assert runner.invoke(app, ["wallet", "list"]).exit_code == 0


_LIMITED = (
    "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (128, 128)); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def test_a_failed_write_in_the_command_leaves_the_old_pin(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert runner.invoke(app, ["wallet", "create"]).exit_code == 0
    directory = tmp_path / "data" / "wallet"
    before = (directory / "vault.json").read_bytes()
    child = subprocess.run(
        # no file can grow past 128 bytes: the re-encrypted wallet's write fails (EFBIG)
        [
            sys.executable,
            "-c",
            _LIMITED,
            str(Path(sys.executable).parent / "govchain"),
            "wallet",
            "pin",
        ],
        input=f"{NEW_PIN}\n{NEW_PIN}\n",
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **env, "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "200"},
        timeout=60,
    )
    assert child.returncode == 1, child.stdout + child.stderr
    assert "Die neue PIN konnte nicht gespeichert werden" in child.stderr
    assert "bisherige PIN öffnet die Brieftasche weiterhin" in child.stderr
    assert "Traceback" not in child.stderr
    assert (directory / "vault.json").read_bytes() == before
    assert not [p for p in directory.iterdir() if p.name.endswith(".tmp")]
    assert _opens_with(directory, PIN).credentials() == []


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    yield from _serve(tmp_path)


def test_the_pin_page(browser: Browser, tmp_path: Path) -> None:
    cards = _set_up(browser)
    assert 'href="/wallet/pin"' in cards.text
    form = browser.get("/wallet/pin")
    assert form.status_code == 200 and "Bisherige PIN" in form.text
    assert 'name="viewport"' in form.text and 'lang="de"' in form.text
    forged = browser.http.post("/wallet/pin", data={"alt": PIN, "neu": NEW_PIN, "neu2": NEW_PIN})
    assert forged.status_code == 403
    differ = browser.submit(form, "/wallet/pin", alt=PIN, neu=NEW_PIN, neu2="907362")
    assert differ.status_code == 400 and "stimmen nicht überein" in differ.text
    short = browser.submit(form, "/wallet/pin", alt=PIN, neu="123", neu2="123")
    assert short.status_code == 400 and "mindestens 6" in short.text
    wrong = browser.submit(form, "/wallet/pin", alt="000000", neu=NEW_PIN, neu2=NEW_PIN)
    assert wrong.status_code == 401 and "Falsche PIN" in wrong.text
    assert browser.wallet.wrong_pin_count == 1
    done = browser.submit(form, "/wallet/pin", alt=PIN, neu=NEW_PIN, neu2=NEW_PIN)
    assert done.status_code == 200 and "PIN geändert" in done.text
    assert browser.wallet.wrong_pin_count == 0
    assert browser.get("/wallet/protokoll").status_code == 200  # the new session works
    with pytest.raises(WrongPinError):
        new_wallet(tmp_path / "w").unlock(PIN)
    locked = browser.submit(done, "/wallet/sperren")
    assert locked.status_code == 303
    unlock = browser.get("/wallet/entsperren")
    assert browser.submit(unlock, "/wallet/entsperren", pin=PIN).status_code == 401
    assert browser.submit(unlock, "/wallet/entsperren", pin=NEW_PIN).status_code == 303
    # the page needs this browser's session like every other
    with httpx.Client(base_url=str(browser.http.base_url)) as stranger:
        page = stranger.get("/wallet/pin")
    assert page.status_code == 303 and page.headers["location"] == "/wallet/entsperren"
