"""One page in a real browser: headless Chromium at phone size signs in through the
development page and renders the catalogue (German labels, the entry, the filters)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.platform.ask.conftest import Tenant, artifacts_dir, entry

DASH = "\N{EN DASH}"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
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
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_the_catalogue_renders_in_headless_chromium_at_phone_size(
    tenant: Tenant, tmp_path: Path
) -> None:
    with tenant.client() as client:
        response = client.post(
            "/ask/v1/entries", json=entry(title="Erlaubnisse für gefährliche Hunde")
        )
        assert response.status_code == 201
    query = urlencode({"kennung": tenant.official, "weiter": "/ask/katalog?q=hunde"})
    url = f"{tenant.server.url}/ask/dev-anmeldung?{query}"

    dom = _chromium(tmp_path / "profile", "--dump-dom", url).stdout
    assert '<html lang="de">' in dom
    assert "Katalog der Aktenstrukturen" in dom
    assert 'data-total="1"' in dom and f"1{DASH}1 von 1 Aktenstruktur" in dom
    assert f"32.10.05 {DASH} Erlaubnisse für gefährliche Hunde" in dom
    assert "2,5 lfm/Jahr" in dom and "noch nicht bewertet" in dom
    assert f"Mandant <strong>{tenant.name}</strong>" in dom
    assert "Entwicklungs-Anmeldung" in dom
    assert 'value="hunde"' in dom

    shot = artifacts_dir(tmp_path) / "ask-katalog-390x844.png"
    _chromium(tmp_path / "profile", f"--screenshot={shot}", url)
    assert shot.stat().st_size > 5_000
