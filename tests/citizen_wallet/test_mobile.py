"""The wallet's pages in a real headless Chromium at a phone's size (390x844): the
set-up and unlock pages render as German forms; screenshots go to
$GOVCHAIN_TEST_ARTIFACTS when set."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from govchain.citizen_wallet import WalletSettings, create_app
from tests.citizen_wallet.conftest import PIN, new_wallet
from tests.conftest import free_port
from tests.issuer.conftest import Server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")


def _shoot(url: str, shot: Path, profile: Path) -> str:
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=390,844",
            f"--screenshot={shot}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_set_up_and_unlock_pages_on_a_phone(tmp_path: Path) -> None:
    artifacts = Path(os.environ.get("GOVCHAIN_TEST_ARTIFACTS") or tmp_path / "shots")
    artifacts.mkdir(parents=True, exist_ok=True)
    port = free_port()
    settings = WalletSettings(data_dir=tmp_path / "data", wallet_port=port)
    wallet = new_wallet(tmp_path / "w")
    with Server(create_app(settings, wallet=wallet), port):
        shot = artifacts / "wallet-einrichten-390x844.png"
        dom = _shoot(f"http://127.0.0.1:{port}/wallet/", shot, tmp_path / "profile1")
        assert "Brieftasche einrichten" in dom and 'name="pin2"' in dom
        assert _png_size(shot) == (390, 844)
        wallet.create(PIN)
        wallet.lock()
        shot = artifacts / "wallet-entsperren-390x844.png"
        dom = _shoot(f"http://127.0.0.1:{port}/wallet/", shot, tmp_path / "profile2")
        assert "Brieftasche entsperren" in dom and 'type="password"' in dom
        assert _png_size(shot) == (390, 844)
