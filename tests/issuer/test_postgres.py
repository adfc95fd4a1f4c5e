"""The issuer on PostgreSQL: its migrations, and the OID4VCI flow over real HTTP on a
real server the tests start (``tests/_postgres.py``), with the single-use rules and the
audit chain holding also when a second issuer process shares the database (as the CLI's
scripted offers do)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from govchain.credentials import _samples
from govchain.credentials.holder import stored_claims
from govchain.credentials.jose import parse_compact_jws
from govchain.credentials.sd_jwt import split_sd_jwt
from govchain.issuer import create_app
from govchain.issuer._db import VERSION_TABLE, current_revision, head_revision, migrate
from govchain.issuer._models import Base, CredentialRow, OfferRow
from govchain.issuer.errors import InvalidGrantError
from govchain.issuer.schemas import PRE_AUTHORIZED_GRANT
from govchain.issuer.service import IssuerService
from tests.issuer.conftest import (
    Clock,
    Issuing,
    Server,
    Wallet,
    issuer_settings,
    oauth_error,
)

MUSIC = "street_music_permit_sd_jwt"


def music_claims() -> dict[str, Any]:
    return _samples.street_music_permit(date.today()).model_dump(mode="json")


@pytest.fixture(scope="module")
def on_postgres(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issuing]:
    """One issuer for this module, on its own PostgreSQL database, served over HTTP."""
    data = tmp_path_factory.mktemp("issuer-pg") / "data"
    settings = issuer_settings(data, issuer_database_url=postgres_url)
    clock = Clock()
    app = create_app(settings, clock=clock)
    with Server(app, settings.issuer_port) as client:
        yield Issuing(client, settings, clock, app)


def service_of(issuing: Issuing) -> IssuerService:
    service: IssuerService = issuing.app.state.issuer
    return service


def offer_row(issuing: Issuing, offer_id: str) -> OfferRow:
    with Session(service_of(issuing).engine) as session:
        row = session.get(OfferRow, offer_id)
        assert row is not None
        return row


def test_the_issuer_migrates_its_schema_on_postgresql(on_postgres: Issuing) -> None:
    engine = service_of(on_postgres).engine
    assert engine.dialect.name == "postgresql"
    assert current_revision(engine) == head_revision()
    migrate(engine)  # a second start changes nothing
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"issuer_offers", "issuer_audit_log", VERSION_TABLE} <= tables
    assert "alembic_version" not in tables
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []
    # PostgreSQL enforces what SQLite would let pass: the declared CHECK constraints
    checks = {c["name"] for c in inspect(engine).get_check_constraints("issuer_offers")}
    assert "ck_issuer_offers_state" in checks


def test_offer_token_nonce_credential_on_postgresql(on_postgres: Issuing) -> None:
    created = on_postgres.offer(music_claims(), ctype=MUSIC, tx_code="4711")
    wallet = Wallet(on_postgres.client)
    code = wallet.code_of(wallet.resolve(created["offer_uri"]))
    oauth_error(wallet.token_response(code, "1234"), 400, "invalid_grant")
    assert offer_row(on_postgres, created["offer_id"]).tx_code_failures == 1  # counted
    token = wallet.token(code, "4711")
    # the pre-authorized code is single use
    replayed = oauth_error(wallet.token_response(code, "4711"), 400, "invalid_grant")
    assert "bereits verwendet" in replayed["detail_de"]

    nonce = wallet.nonce()
    proof = wallet.proof(nonce, on_postgres.issuer, int(on_postgres.clock()))
    body = {"credential_configuration_id": MUSIC, "proofs": {"jwt": [proof]}}
    response = wallet.credential_response(token, body)
    assert response.status_code == 200, response.text
    [item] = response.json()["credentials"]
    issued = parse_compact_jws(split_sd_jwt(item["credential"]).issuer_jwt)
    assert issued.header["typ"] == "dc+sd-jwt"
    assert issued.payload["cnf"]["jwk"] == wallet.key.public_key.jwk
    assert stored_claims(item["credential"])["performers"] == ["Lena Klang", "Mehmet Saite"]
    # the token and the nonce are single use too
    oauth_error(wallet.credential_response(token, body), 401, "invalid_token")
    other = on_postgres.offer(music_claims(), ctype=MUSIC)
    other_token = wallet.token(wallet.code_of(wallet.resolve(other["offer_uri"])))
    oauth_error(wallet.credential_response(other_token, body), 400, "invalid_nonce")

    # what PostgreSQL now holds: the offer issued, its claims erased, one credential
    row = offer_row(on_postgres, created["offer_id"])
    assert row.state == "issued" and row.claims is None
    with Session(service_of(on_postgres).engine) as session:
        [credential] = session.scalars(
            select(CredentialRow).where(CredentialRow.offer_id == created["offer_id"])
        ).all()
    assert credential.status_list_uri == on_postgres.settings.issuer_status_list_uri
    assert service_of(on_postgres).verify_audit_chain()


def test_wrong_tx_codes_are_counted_until_the_offer_is_blocked(on_postgres: Issuing) -> None:
    created = on_postgres.offer(music_claims(), ctype=MUSIC, tx_code="2468")
    wallet = Wallet(on_postgres.client)
    code = wallet.code_of(wallet.resolve(created["offer_uri"]))
    attempts = on_postgres.settings.issuer_tx_code_max_attempts
    for n in range(1, attempts + 1):
        oauth_error(wallet.token_response(code, "0000"), 400, "invalid_grant")
        assert offer_row(on_postgres, created["offer_id"]).tx_code_failures == n
    assert offer_row(on_postgres, created["offer_id"]).state == "blocked"
    oauth_error(wallet.token_response(code, "2468"), 400, "invalid_grant")


def test_a_second_issuer_process_on_the_same_database_keeps_the_rules(
    on_postgres: Issuing,
) -> None:
    """The server and another issuer on the same database (as ``govchain issuer offer``
    beside a running server) make offers and redeem codes at the same moment: the audit
    chain stays one chain and each code yields exactly one token."""
    other = IssuerService.open(on_postgres.settings, load_key=False)
    wallet = Wallet(on_postgres.client)

    def offer(i: int) -> str:
        if i % 2:
            return str(on_postgres.offer(music_claims(), ctype=MUSIC)["offer_uri"])
        made = other.create_offer(credential_type=MUSIC, claims=music_claims(), official="a/b")
        return made.offer_uri

    def redeem(code: str, gate: threading.Barrier, over_http: bool) -> bool:
        gate.wait()
        if over_http:
            return wallet.token_response(code).status_code == 200
        try:
            other.token({"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code})
        except InvalidGrantError:
            return False
        return True

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            uris = list(pool.map(offer, range(24)))
            codes = [wallet.code_of(wallet.resolve(uri)) for uri in uris]
            gates = [threading.Barrier(2) for _ in codes]
            races = [
                (
                    pool.submit(redeem, code, gate, True),
                    pool.submit(redeem, code, gate, False),
                )
                for code, gate in zip(codes, gates, strict=True)
            ]
            winners = [int(a.result()) + int(b.result()) for a, b in races]
        assert winners == [1] * len(codes)
        assert service_of(on_postgres).verify_audit_chain()
    finally:
        other.close()


def test_another_services_migrations_share_the_database(
    on_postgres: Issuing, postgres_url: str
) -> None:
    """The ASK catalogue's migrations on the issuer's database: each service keeps its
    own version table and neither touches the other's tables."""
    from govchain.platform.ask import _db as ask_db  # noqa: PLC0415
    from govchain.platform.ask._models import Base as AskBase  # noqa: PLC0415

    engine = ask_db.open_engine(postgres_url)
    try:
        ask_db.migrate(engine)
        assert ask_db.current_revision(engine) == ask_db.head_revision()
        assert current_revision(engine) == head_revision()  # the issuer's, untouched
        tables = set(inspect(engine).get_table_names())
        assert {ask_db.VERSION_TABLE, VERSION_TABLE, "ask_entries", "issuer_offers"} <= tables
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "version_table": ask_db.VERSION_TABLE,
                    "compare_type": True,
                    # only the ASK's own tables: the issuer's live in the same database
                    "include_name": lambda name, kind, _parents: (
                        kind != "table" or str(name).startswith("ask_")
                    ),
                },
            )
            assert compare_metadata(context, AskBase.metadata) == []
    finally:
        engine.dispose()


def test_the_longest_official_name_fits_the_columns(on_postgres: Issuing) -> None:
    """PostgreSQL enforces String(160) where SQLite would store more: the longest name
    the development header accepts must fit, one character more is refused cleanly."""
    longest = f"{'o' * 64}/{'e' * 95}"
    made = on_postgres.client.post(
        "/issuer/v1/offers",
        json={"credential_type": MUSIC, "claims": music_claims()},
        headers={"X-Govchain-Dev-Official": longest},
    )
    assert made.status_code == 201, made.text
    assert offer_row(on_postgres, made.json()["offer_id"]).created_by == longest
    too_long = on_postgres.client.post(
        "/issuer/v1/offers",
        json={"credential_type": MUSIC, "claims": music_claims()},
        headers={"X-Govchain-Dev-Official": longest + "e"},
    )
    assert too_long.status_code == 400, too_long.text
