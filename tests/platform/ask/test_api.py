"""The ASK's JSON API over real HTTP: the questionnaire's life, tenants kept apart,
search and filters, evaluation by criteria, exports, and a precise RFC 9457 problem for
every bad request."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest

from tests.platform.ask.conftest import Running, Tenant, assert_problem, entry

API = "/ask/v1"


def _create(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = client.post(f"{API}/entries", json=entry(**overrides))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _count(client: httpx.Client) -> int:
    total: int = client.get(f"{API}/entries").json()["total"]
    return total


def test_an_entry_goes_from_draft_to_submitted_to_reviewed(tenant: Tenant) -> None:
    with tenant.client() as official, tenant.client(archivist=True) as archivist:
        assert official.get(f"{API}/me").json() == {
            "tenant": tenant.name,
            "name": "anna.schmidt",
            "role": "official",
            "development_identity": True,
        }
        created = _create(official)
        eid = created["id"]
        assert created["state"] == "draft" and created["archival_value"] == "pending"
        assert created["tenant"] == tenant.name and created["retention_class"] == "6-10"
        assert created["volume_amount"] == 2.5 and created["created_by"] == "anna.schmidt"

        changed = official.put(f"{API}/entries/{eid}", json=entry(title="Hundeerlaubnisse"))
        assert changed.status_code == 200 and changed.json()["title"] == "Hundeerlaubnisse"

        assert official.post(f"{API}/entries/{eid}/submit").json()["state"] == "submitted"
        # Submitted entries are frozen; only the archive moves them on.
        assert_problem(official.put(f"{API}/entries/{eid}", json=entry()), 409, "invalid-state")
        assert_problem(official.post(f"{API}/entries/{eid}/submit"), 409, "invalid-state")
        refused = official.post(f"{API}/entries/{eid}/review", json={"archival_value": "yes"})
        assert "Archiv" in assert_problem(refused, 403, "role-required")["detail_de"]

        returned = archivist.post(
            f"{API}/entries/{eid}/return", json={"note": "Bitte Rechtsgrundlage ergänzen"}
        )
        assert returned.json()["state"] == "draft"
        assert returned.json()["review_note"] == "Bitte Rechtsgrundlage ergänzen"
        official.put(f"{API}/entries/{eid}", json=entry(legal_basis="§ 4 Abs. 1 LHundG NRW"))
        official.post(f"{API}/entries/{eid}/submit")

        reviewed = archivist.post(
            f"{API}/entries/{eid}/review", json={"archival_value": "partial", "note": "Auswahl"}
        ).json()
        assert reviewed["state"] == "reviewed" and reviewed["archival_value"] == "partial"
        assert reviewed["reviewed_by"] == "bernd.archiv" and reviewed["reviewed_at"]
        assert_problem(official.delete(f"{API}/entries/{eid}"), 409, "invalid-state")
        assert_problem(
            archivist.post(f"{API}/entries/{eid}/review", json={"archival_value": "no"}),
            409,
            "invalid-state",
        )

        history = official.get(f"{API}/entries/{eid}/history").json()
        assert [(h["action"], h["to_state"]) for h in history] == [
            ("create", "draft"),
            ("update", None),
            ("submit", "submitted"),
            ("return", "draft"),
            ("update", None),
            ("submit", "submitted"),
            ("review", "reviewed"),
        ]
        assert history[-1]["actor"] == "bernd.archiv (archivist)"
        assert history[-1]["note"] == "Auswahl"


def test_a_draft_can_be_deleted_and_is_gone(tenant: Tenant) -> None:
    with tenant.client() as client:
        eid = _create(client)["id"]
        assert client.delete(f"{API}/entries/{eid}").status_code == 204
        assert_problem(client.get(f"{API}/entries/{eid}"), 404, "entry-not-found")
        assert _count(client) == 0
        # The number is free again.
        _create(client)


def test_one_tenant_can_neither_read_nor_change_another_tenants_entries(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    with (
        tenant.client() as aachen,
        other_tenant.client() as soest,
        other_tenant.client(archivist=True) as soest_archive,
    ):
        theirs = _create(aachen, title="Geheime Akten aus Aachen")
        eid = theirs["id"]
        aachen.post(f"{API}/entries/{eid}/submit")
        # Another tenant may use the same file plan number: numbers are per tenant.
        ours = _create(soest, title="Soester Hundeakten")

        for response in (
            soest.get(f"{API}/entries/{eid}"),
            soest.put(f"{API}/entries/{eid}", json=entry(title="übernommen")),
            soest.delete(f"{API}/entries/{eid}"),
            soest.post(f"{API}/entries/{eid}/submit"),
            soest.get(f"{API}/entries/{eid}/history"),
            soest_archive.post(f"{API}/entries/{eid}/review", json={"archival_value": "no"}),
            soest_archive.post(f"{API}/entries/{eid}/return", json={"note": "weg damit"}),
        ):
            # Exactly like an id that does not exist: nothing about Aachen leaks.
            problem = assert_problem(response, 404, "entry-not-found")
            assert "Ihrem Mandanten" in problem["detail_de"]

        listed = soest.get(f"{API}/entries", params={"q": "Aachen"}).json()
        assert listed["total"] == 0
        assert [e["id"] for e in soest.get(f"{API}/entries").json()["items"]] == [ours["id"]]
        assert soest.get(f"{API}/evaluation").json()["entries"] == 0
        assert "Geheime" not in soest.get(f"{API}/export.csv").content.decode("utf-8-sig")
        assert json.loads(soest.get(f"{API}/export.json").content)["entries"][0]["id"] == ours["id"]

        unchanged = aachen.get(f"{API}/entries/{eid}").json()
        assert unchanged["title"] == "Geheime Akten aus Aachen"
        assert unchanged["state"] == "submitted" and unchanged["archival_value"] == "pending"


def _seed(tenant: Tenant) -> dict[str, str]:
    """Six structures of one office, all submitted, three of them reviewed."""
    ids: dict[str, str] = {}
    rows: list[dict[str, Any]] = [
        entry(
            file_plan_number="32.10.05",
            title="Erlaubnisse für gefährliche Hunde",
            medium="hybrid",
            volume_amount=2.5,
            volume_unit="lfm",
            first_year=2003,
            retention_years=10,
        ),
        entry(
            file_plan_number="32.10.06",
            title="Straßenmusik",
            description="Genehmigungen für Musik in der Fußgängerzone",
            medium="digital",
            volume_amount="12.75",
            volume_unit="gb",
            first_year=2015,
            retention_years=5,
        ),
        entry(
            file_plan_number="33.01",
            title="Geburtenregister",
            record_type="register",
            medium="paper",
            volume_amount=1.25,
            volume_unit="lfm",
            first_year=1900,
            retention_years=110,
        ),
        entry(
            file_plan_number="11.02",
            title="Personalakten",
            record_type="personnel_file",
            medium="paper",
            volume_amount=300,
            volume_unit="files",
            first_year=1990,
            retention_years=30,
            retention_trigger="event",
        ),
        entry(
            file_plan_number="60.1_2",
            title="Bauanträge 100% digital",
            medium="digital",
            volume_amount=40,
            volume_unit="gb",
            first_year=2010,
            last_year=2012,
            retention_years=10,
        ),
        entry(
            file_plan_number="32.99",
            title="Entwurf ohne Einreichung",
            medium="paper",
            volume_amount=9,
            volume_unit="lfm",
            first_year=2000,
            retention_years=6,
        ),
    ]
    keys = ["hunde", "musik", "geburten", "personal", "bau", "entwurf"]
    values = {"hunde": "yes", "musik": "no", "bau": "partial"}
    with tenant.client() as official, tenant.client(archivist=True) as archivist:
        for key, body in zip(keys, rows, strict=True):
            response = official.post(f"{API}/entries", json=body)
            assert response.status_code == 201, response.text
            ids[key] = response.json()["id"]
            if key != "entwurf":
                official.post(f"{API}/entries/{ids[key]}/submit")
            if key in values:
                archivist.post(
                    f"{API}/entries/{ids[key]}/review", json={"archival_value": values[key]}
                )
    return ids


def test_search_and_filters(tenant: Tenant) -> None:
    ids = _seed(tenant)

    def found(**params: str) -> list[str]:
        with tenant.client() as client:
            response = client.get(f"{API}/entries", params=params)
            assert response.status_code == 200, response.text
            by_id = {v: k for k, v in ids.items()}
            return sorted(by_id[e["id"]] for e in response.json()["items"])

    assert found(q="HUNDE") == ["hunde"]
    assert found(q="strasse") == ["musik"]  # ß and ss are the same word
    assert found(q="fußgängerzone") == ["musik"]  # in the description
    assert found(q="32.10") == ["hunde", "musik"]  # the file plan number
    assert found(q="genehmigungen musik") == ["musik"]  # every word must match
    assert found(q="hunde musik") == []
    assert found(q="100%") == ["bau"]  # % is a character, not a wildcard
    assert found(q="_") == ["bau"]
    assert found(medium="paper") == ["entwurf", "geburten", "personal"]
    assert found(retention_class="31-120") == ["geburten"]
    assert found(retention_class="6-10") == ["bau", "entwurf", "hunde"]
    assert found(archival_value="pending") == ["entwurf", "geburten", "personal"]
    assert found(archival_value="partial") == ["bau"]
    assert found(state="draft") == ["entwurf"]
    assert found(medium="digital", archival_value="no") == ["musik"]
    with tenant.client() as client:
        page = client.get(f"{API}/entries", params={"limit": "2", "offset": "2"}).json()
        assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (6, 2, 2, 2)
        # Sorted by file plan number.
        numbers = [e["file_plan_number"] for e in client.get(f"{API}/entries").json()["items"]]
        assert numbers == sorted(numbers)


def test_evaluation_by_criteria_and_what_is_due_for_the_archive(tenant: Tenant) -> None:
    ids = _seed(tenant)
    with tenant.client() as client:
        ev = client.get(f"{API}/evaluation", params={"year": "2026"}).json()
    assert ev["entries"] == 5 and ev["drafts_excluded"] == 1
    assert [(v["medium"], v["unit"], v["total"], v["entries"]) for v in ev["volume_by_medium"]] == [
        ("paper", "lfm", 1.25, 1),
        ("paper", "files", 300.0, 1),
        ("digital", "gb", 52.75, 2),
        ("hybrid", "lfm", 2.5, 1),
    ]
    assert {c["retention_class"]: c["entries"] for c in ev["by_retention_class"]} == {
        "0-5": 1,
        "6-10": 2,
        "11-30": 1,
        "31-120": 1,
    }
    assert {v["archival_value"]: v["entries"] for v in ev["by_archival_value"]} == {
        "yes": 1,
        "no": 1,
        "partial": 1,
        "pending": 2,
    }
    assert {s["medium"]: (s["entries"], s["percent"]) for s in ev["medium_share"]} == {
        "paper": (2, 40.0),
        "digital": (2, 40.0),
        "hybrid": (1, 20.0),
    }
    due = ev["due"]
    assert due["year"] == 2026
    # Hunde: closed 2015 (2026 - 10 - 1); Musik: closed 2020; Geburten: 1915;
    # Bau ran 2010-2012 only, so nothing of it is due in 2026; Personal is event-based.
    assert {d["entry_id"]: d["closed_in"] for d in due["items"]} == {
        ids["hunde"]: 2015,
        ids["musik"]: 2020,
        ids["geburten"]: 1915,
    }
    assert due["to_archive"] == [{"unit": "lfm", "total": 2.5}]
    assert due["to_destroy"] == [{"unit": "gb", "total": 12.75}]
    assert due["unassessed"] == [{"unit": "lfm", "total": 1.25}]
    assert [r["entry_id"] for r in due["event_based"]] == [ids["personal"]]
    with tenant.client() as client:
        in_2023 = client.get(f"{API}/evaluation", params={"year": "2023"}).json()["due"]
    # Bau (10 years) files closed 2012 are due in 2023, its last year.
    assert ids["bau"] in {d["entry_id"] for d in in_2023["items"]}
    assert in_2023["to_archive"] == [{"unit": "lfm", "total": 2.5}, {"unit": "gb", "total": 40.0}]


def test_csv_export_opens_in_german_excel(tenant: Tenant) -> None:
    with tenant.client() as client:
        _create(client, title='=HYPERLINK("http://evil")', volume_amount="2,5")
        _create(
            client,
            file_plan_number="40.1",
            title="Schulakten",
            medium="digital",
            volume_amount=3,
            volume_unit="gb",
        )
        response = client.get(f"{API}/export.csv", params={"medium": "hybrid"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="ask-{tenant.name}-'
    )
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 1  # the filter applies
    row = rows[0]
    assert row["Aktenplankennzeichen"] == "32.10.05"
    assert row["Titel"] == '\'=HYPERLINK("http://evil")'  # never a formula
    assert row["Jahresumfang"] == "2,5" and row["Einheit"] == "lfm"
    assert row["Form"] == "Hybrid" and row["Archivwürdigkeit"] == "noch nicht bewertet"
    assert row["Status"] == "Entwurf" and row["Telefon"] == "'+49 241 432-0"


def test_json_export_carries_every_field(tenant: Tenant) -> None:
    with tenant.client() as client:
        created = _create(client)
        response = client.get(f"{API}/export.json")
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["format"] == "govchain-ask-export/1"
    assert document["tenant"] == tenant.name and document["exported_at"]
    assert document["entries"] == [created]


BAD_REQUESTS: list[tuple[str, str, Any, int, str, str]] = [
    # method, path, JSON body, status, problem code, fragment of detail_de
    ("POST", "/entries", entry(title=None), 422, "invalid-input", "Titel ist ein Pflichtfeld"),
    (
        "POST",
        "/entries",
        entry(volume_amount=-0.5),
        422,
        "invalid-input",
        "Jahresumfang darf nicht negativ sein",
    ),
    ("POST", "/entries", entry(medium="cd"), 422, "invalid-input", "(angegeben: 'cd')"),
    (
        "POST",
        "/entries",
        entry(retention_years=150),
        422,
        "invalid-input",
        "Aufbewahrungsfrist darf höchstens 120 sein",
    ),
    ("POST", "/entries", "kein json", 422, "invalid-input", "kein gültiges JSON"),
    ("POST", "/entries", [], 422, "invalid-input", "JSON-Objekt"),
    ("GET", "/entries?medium=cd", None, 422, "invalid-input", "Form (Papier/Digital/Hybrid)"),
    ("GET", "/entries?limit=0", None, 422, "invalid-input", "Anzahl muss mindestens 1 sein"),
    ("GET", "/entries?retention_class=7-9", None, 422, "invalid-input", "Aufbewahrungsklasse"),
    ("GET", "/evaluation?year=abc", None, 422, "invalid-input", "Jahr muss eine ganze Zahl"),
    ("GET", "/evaluation?year=1800", None, 422, "invalid-input", "Jahr muss mindestens 1900"),
    ("GET", "/entries/nope", None, 404, "entry-not-found", "keinen Katalogeintrag 'nope'"),
    ("POST", "/entries/nope/submit", None, 404, "entry-not-found", "keinen Katalogeintrag"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "fragment"),
    BAD_REQUESTS,
    ids=[f"{m} {p} {c}" for m, p, _, _, c, _ in BAD_REQUESTS],
)
def test_bad_requests_get_precise_problems_and_change_nothing(
    tenant: Tenant, method: str, path: str, body: Any, status: int, code: str, fragment: str
) -> None:
    with tenant.client() as client:
        content = body if isinstance(body, str) else None
        payload = None if isinstance(body, str) else body
        response = client.request(
            method,
            API + path,
            json=payload,
            content=content,
            headers={"content-type": "application/json"},
        )
        problem = assert_problem(response, status, code)
        assert fragment in problem["detail_de"], problem
        assert _count(client) == 0


def test_duplicates_roles_and_review_input_are_refused(tenant: Tenant) -> None:
    with tenant.client() as official, tenant.client(archivist=True) as archivist:
        eid = _create(official)["id"]
        problem = assert_problem(
            official.post(f"{API}/entries", json=entry()), 409, "duplicate-file-plan-number"
        )
        assert "'32.10.05' ist in Ihrem Mandanten bereits erfasst" in problem["detail_de"]
        other = _create(official, file_plan_number="32.10.07")["id"]
        assert_problem(
            official.put(f"{API}/entries/{other}", json=entry()), 409, "duplicate-file-plan-number"
        )
        official.post(f"{API}/entries/{eid}/submit")
        assert_problem(
            archivist.post(f"{API}/entries/{eid}/review", json={"archival_value": "pending"}),
            422,
            "invalid-input",
        )
        assert_problem(
            archivist.post(f"{API}/entries/{eid}/return", json={"note": ""}), 422, "invalid-input"
        )
        assert_problem(
            official.post(f"{API}/entries/{eid}/return", json={"note": "x"}), 403, "role-required"
        )
        assert archivist.get(f"{API}/entries/{eid}").json()["state"] == "submitted"
        assert _count(official) == 2


def test_requests_without_a_usable_identity_are_refused(dev_server: Running) -> None:
    with dev_server.client() as anonymous:
        problem = assert_problem(anonymous.get(f"{API}/entries"), 401, "not-authenticated")
        assert "X-Govchain-Dev-Official" in problem["detail"]
        # The API does not take the browser's development cookie (it has no CSRF defence).
        anonymous.cookies.set("govchain_ask_dev_official", "aachen/anna", path="/ask")
        assert_problem(anonymous.get(f"{API}/entries"), 401, "not-authenticated")
    with dev_server.client("aachen") as malformed:
        assert_problem(malformed.get(f"{API}/entries"), 400, "dev-identity-malformed")
    with dev_server.client("aachen/anna/mayor") as malformed:
        assert_problem(
            malformed.post(f"{API}/entries", json=entry()), 400, "dev-identity-malformed"
        )


def test_production_refuses_the_development_identity(prod_server: Running) -> None:
    with prod_server.client("aachen/anna/archivist") as client:
        for response in (
            client.get(f"{API}/entries"),
            client.post(f"{API}/entries", json=entry()),
            client.get(f"{API}/evaluation"),
        ):
            problem = assert_problem(response, 403, "dev-identity-refused")
            assert "GOVCHAIN_ENVIRONMENT=development" in problem["detail_de"]
    with prod_server.client() as anonymous:
        problem = assert_problem(anonymous.get(f"{API}/entries"), 401, "not-authenticated")
        assert "noch nicht verfügbar" in problem["detail_de"]
        page = anonymous.get(
            "/ask/katalog", headers={"cookie": "govchain_ask_dev_official=aachen/anna"}
        )
        assert page.status_code == 403 and 'data-problem="dev-identity-refused"' in page.text
        sign_in = anonymous.get("/ask/dev-anmeldung", params={"kennung": "aachen/anna"})
        assert sign_in.status_code == 403 and "set-cookie" not in sign_in.headers
