"""The officials' console and the citizens' side of the issuer.

- **Login** through "Login mit BürgerID" (``_oidc.OidcClient``); server-side sessions
  (hashed ids), one per browser.
- **Officials** are registered by an admin (``govchain issuer official add``) per office
  with a role, by name and birth date; at their first login at level "substanziell" or
  higher the pairwise ``sub`` of that login is bound to the row, and from then on only
  that ``sub`` is the official. Roles: ``sachbearbeitung`` reviews, asks for documents,
  approves, enrols at the counter and registers landlords; ``leitung`` also suspends,
  reinstates and revokes. An official sees only their office's records.
- **Applications** (dangerous dog, street music); states and their transitions::

      submitted ──(Unterlagen nachfordern)──▶ documents_requested ──(upload)──▶ submitted
      submitted ──(Genehmigen: offer made)──▶ approved ──(credential taken)──▶ issued

- **Status changes** are written on chain first (``StatusWriter``, one mined block), then
  recorded with the reason in the database and the anchored audit log.
- **BürgerID enrolment**: self-registration (low) and at the counter (substanziell, hoch).
- **Landlords** registered per dwelling issue the Wohnungsgeberbestätigung through the
  city office (the office signs; the landlord's login level is a claim).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from govchain._csrf import SignedDoubleSubmit
from govchain.chain.types import CredentialStatus, LevelOfAssurance
from govchain.credentials.errors import ClaimValidationError
from govchain.credentials.types import LOCAL_TIMEZONE, credential_type
from govchain.errors import GovchainError
from govchain.issuer._models import (
    ApplicationRow,
    ApplicationState,
    AuditEvent,
    CredentialRow,
    CredentialState,
    DidcommRow,
    DidcommState,
    DocumentRow,
    EnrolmentRow,
    LandlordRow,
    LoginRow,
    MessageRow,
    OfferRow,
    OfferState,
    OfficialRole,
    OfficialRow,
    RateEventRow,
    SessionRow,
)
from govchain.issuer._oidc import OidcClient
from govchain.issuer._status import StatusWriter
from govchain.issuer.errors import (
    ActivationRequiredError,
    CsrfTokenInvalidError,
    CsrfTokenMissingError,
    DocumentRefusedError,
    ForbiddenError,
    FormInputError,
    LevelTooLowError,
    LoginFailedError,
    LoginRequiredError,
    LoginUnavailableError,
    NotFoundError,
    OfferInputError,
    RateLimitedError,
    StatusWriteError,
    TransitionRefusedError,
)
from govchain.issuer.schemas import OfferCreated
from govchain.issuer.service import IssuerService, configurations
from govchain.issuer.settings import IssuerSettings, Office

if TYPE_CHECKING:
    from govchain.issuer._didcomm import DidcommChannel

__all__ = [
    "APPLICATION_TRANSITIONS",
    "CREDENTIAL_TRANSITIONS",
    "FORM_LABELS_DE",
    "KINDS",
    "VALUES_DE",
    "ZONES",
    "Console",
    "LoginStart",
    "Person",
    "StatusAction",
]

log = logging.getLogger(__name__)

APPLICATION_TRANSITIONS: Final[dict[ApplicationState, frozenset[ApplicationState]]] = {
    ApplicationState.SUBMITTED: frozenset(
        {ApplicationState.DOCUMENTS_REQUESTED, ApplicationState.APPROVED, ApplicationState.REJECTED}
    ),
    ApplicationState.DOCUMENTS_REQUESTED: frozenset(
        {ApplicationState.SUBMITTED, ApplicationState.REJECTED}
    ),
    ApplicationState.APPROVED: frozenset({ApplicationState.ISSUED}),
    ApplicationState.ISSUED: frozenset(),
    ApplicationState.REJECTED: frozenset(),
}

CREDENTIAL_TRANSITIONS: Final[dict[CredentialState, frozenset[CredentialState]]] = {
    CredentialState.VALID: frozenset({CredentialState.SUSPENDED, CredentialState.REVOKED}),
    CredentialState.SUSPENDED: frozenset({CredentialState.VALID, CredentialState.REVOKED}),
    CredentialState.REVOKED: frozenset(),
}

STATE_DE: Final = {
    "submitted": "eingereicht",
    "documents_requested": "Unterlagen nachgefordert",
    "approved": "genehmigt",
    "issued": "Nachweis übernommen",
    "rejected": "abgelehnt",
    "valid": "gültig",
    "suspended": "vorläufig gesperrt",
    "revoked": "widerrufen",
}

StatusAction = Literal["suspend", "reinstate", "revoke"]
_ACTIONS: Final[dict[str, tuple[CredentialState, AuditEvent, str]]] = {
    "suspend": (CredentialState.SUSPENDED, AuditEvent.CREDENTIAL_SUSPENDED, "sperren"),
    "reinstate": (CredentialState.VALID, AuditEvent.CREDENTIAL_REINSTATED, "entsperren"),
    "revoke": (CredentialState.REVOKED, AuditEvent.CREDENTIAL_REVOKED, "widerrufen"),
}
_CHAIN_STATUS: Final = {
    CredentialState.VALID: CredentialStatus.VALID,
    CredentialState.SUSPENDED: CredentialStatus.SUSPENDED,
    CredentialState.REVOKED: CredentialStatus.REVOKED,
}

KINDS: Final = {
    "hund": "dangerous_dog_permit_sd_jwt",
    "strassenmusik": "street_music_permit_sd_jwt",
}
"""The permits a citizen applies for online, by the path segment of their form."""

FORM_LABELS_DE: Final = {
    "role": "Rolle",
    "keeper_name": "Halter/in des Hundes",
    "dog_name": "Name des Hundes",
    "breed": "Rasse",
    "category": "Einstufung",
    "sex": "Geschlecht",
    "birth_year": "Wurfjahr",
    "chip_number": "Chipnummer",
    "muzzle": "Maulkorbbefreiung beantragt",
    "leash": "Leinenbefreiung beantragt",
    "insurer": "Versicherer",
    "policy_number": "Versicherungsnummer",
    "insured_until": "Versichert bis",
    "performers": "Weitere Mitwirkende",
    "group_size": "Gruppengröße",
    "instruments": "Instrumente",
    "amplification": "Verstärker",
    "zones": "Zonen",
    "date_from": "Gültig ab",
    "date_to": "Gültig bis",
}
"""German labels of the application forms' fields (the console shows them)."""

VALUES_DE: Final = {
    True: "ja",
    False: "nein",
    "keeper": "Halterin/Halter",
    "leader": "Führende/r",
    "male": "Rüde",
    "female": "Hündin",
    "listed": "gelistete Rasse",
    "listed_cross": "Kreuzung einer gelisteten Rasse",
    "individually_dangerous": "im Einzelfall gefährlich",
}

ZONES: Final = {
    "markt": ("Markt und Rathaus", ("Schlagzeug", "Trompete", "Posaune")),
    "dom": ("Domhof", ("Schlagzeug", "Trompete", "Posaune", "Dudelsack")),
    "elisenbrunnen": ("Elisenbrunnen", ()),
    "pontstrasse": ("Pontstraße", ("Schlagzeug",)),
}
"""The street-music zones of the city: name and the instruments excluded there."""

COUNTER_EVIDENCE: Final = {
    "personalausweis_vor_ort": (
        "Personalausweis vor Ort geprüft",
        LevelOfAssurance.SUBSTANTIAL,
        "in_person_id_check",
    ),
    "reisepass_vor_ort": (
        "Reisepass vor Ort geprüft",
        LevelOfAssurance.SUBSTANTIAL,
        "in_person_id_check",
    ),
    "eid_online_ausweis": (
        "Online-Ausweisfunktion (eID) am Schalter",
        LevelOfAssurance.HIGH,
        "eid_online",
    ),
}
"""How an official checks the identity at the counter: label, the level it gives, and
the BürgerID's enrolment method that the credential states."""

_SELF_REGISTRATION: Final = ("Selbstregistrierung", LevelOfAssurance.LOW, "self_registration")

_LOGIN_TTL: Final = 600
LOGIN_COOKIE_PREFIX: Final = "govchain_issuer_login_"
_RATE_WINDOW: Final = 60
_ACTIVATION_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
_MAX_REASON: Final = 500
_UPLOAD_TYPES: Final = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _norm(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip().casefold()


def _canonical(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _tx_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _activation_code() -> str:
    """A one-time activation code: 16 characters (80 bits) in groups of four."""
    raw = "".join(secrets.choice(_ACTIVATION_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _activation_hash(code: str) -> str:
    cleaned = re.sub(r"[\s-]", "", code).upper()
    return _sha256(f"govchain activation v1\x00{cleaned}")


@dataclass(frozen=True)
class LoginStart:
    """A begun login: where the browser goes, and the pre-login cookie that ties the
    provider's answer to this browser (its name carries part of the state's hash, so
    logins in two tabs do not overwrite each other)."""

    authorization_url: str
    cookie_name: str
    binding: str


@dataclass(frozen=True)
class Person:
    """Whoever is logged in (citizen, landlord or official), from the session."""

    session_hash: str
    sub: str
    level: LevelOfAssurance
    given_name: str
    family_name: str
    birth_date: date

    @property
    def name(self) -> str:
        """Given and family name."""
        return f"{self.given_name} {self.family_name}"

    @property
    def strong(self) -> bool:
        """Logged in at level substanziell or higher (not only a Basisregistrierung)."""
        return self.level >= LevelOfAssurance.SUBSTANTIAL


def strong_person(person: Person | None) -> Person:
    """The person, if logged in at level substanziell or higher: a Basisregistrierung is
    the person's own statement (anyone can make one in another's name), so no citizen
    page with personal data or a credential trusts it."""
    if person is None:
        raise LoginRequiredError()
    if not person.strong:
        raise LevelTooLowError()
    return person


def _field(form: Mapping[str, str], name: str, label_de: str, problems: list[str]) -> str:
    value = (form.get(name) or "").strip()
    if not value:
        problems.append(f"{label_de}: bitte angeben")
    return value


def _date_field(
    form: Mapping[str, str], name: str, label_de: str, problems: list[str]
) -> date | None:
    value = _field(form, name, label_de, problems)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{label_de}: kein gültiges Datum (JJJJ-MM-TT)")
        return None


def _refuse_form(problems: list[str]) -> FormInputError:
    return FormInputError(
        f"The form is incomplete or invalid: {'; '.join(problems)}.",
        f"Das Formular ist unvollständig oder fehlerhaft: {'; '.join(problems)}.",
        problems,
    )


def _address(
    form: Mapping[str, str], prefix: str, label_de: str, problems: list[str]
) -> dict[str, str]:
    return {
        "street": _field(form, f"{prefix}street", f"{label_de}, Straße", problems),
        "house_number": _field(form, f"{prefix}house_number", f"{label_de}, Hausnummer", problems),
        "postal_code": _field(form, f"{prefix}postal_code", f"{label_de}, PLZ", problems),
        "city": _field(form, f"{prefix}city", f"{label_de}, Ort", problems),
    }


class Console:
    """Logins, sessions, officials, applications, status changes, enrolment, landlords.

    Args:
        settings: the issuer's settings.
        issuer: the issuer service (its database, offers and audit log).
        oidc: the "Login mit BürgerID" client; None: nobody can log in.
        status_writer: writes status entries on chain; None: status changes are refused.
        clock: unix seconds (the issuer's clock).
    """

    def __init__(
        self,
        settings: IssuerSettings,
        issuer: IssuerService,
        *,
        oidc: OidcClient | None,
        status_writer: StatusWriter | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.issuer = issuer
        self.oidc = oidc
        self.status_writer = status_writer
        self._clock = clock
        self._sessions = sessionmaker(issuer.engine, expire_on_commit=False)
        secret = settings.issuer_csrf_secret
        self.csrf = SignedDoubleSubmit(
            secret.get_secret_value().encode() if secret is not None else None,
            missing=CsrfTokenMissingError,
            invalid=CsrfTokenInvalidError,
        )
        self.upload_dir = settings.issuer_dir / "unterlagen"
        self.didcomm: DidcommChannel | None = None  # set by the app when an agent is configured

    def now(self) -> int:
        """Unix seconds on the issuer's clock."""
        return int(self._clock())

    def today(self) -> date:
        """Today in the cities' time zone."""
        return datetime.fromtimestamp(self.now(), LOCAL_TIMEZONE).date()

    # --- login and sessions ----------------------------------------------------------

    def begin_login(self, return_to: str, level: LevelOfAssurance, client: str = "") -> LoginStart:
        """Start a login: the provider's authorization URL and the pre-login cookie.

        Pending logins are capped (per client address and altogether): each anonymous
        GET would otherwise leave a row behind until it expires."""
        if self.oidc is None:
            raise LoginUnavailableError()
        now = self.now()
        client = client[:64]
        with self.issuer.write_lock, self._sessions.begin() as session:
            session.execute(delete(LoginRow).where(LoginRow.expires_at <= now))
            pending = session.scalar(select(func.count()).select_from(LoginRow)) or 0
            mine = (
                session.scalar(
                    select(func.count()).select_from(LoginRow).where(LoginRow.client == client)
                )
                or 0
            )
            if (
                mine >= self.settings.issuer_login_pending_per_client
                or pending >= self.settings.issuer_login_pending_max
            ):
                log.warning("login refused: %s pending (%s from this client)", pending, mine)
                raise RateLimitedError(
                    "Too many logins were begun and not finished; please wait a few minutes.",
                    "Es wurden zu viele Anmeldungen begonnen und nicht beendet; bitte warten "
                    "Sie einige Minuten.",
                    _LOGIN_TTL,
                )
            login = self.oidc.begin(level)
            binding = secrets.token_urlsafe(32)
            state_hash = _sha256(login.state)
            session.add(
                LoginRow(
                    state_hash=state_hash,
                    nonce=login.nonce,
                    code_verifier=login.code_verifier,
                    return_to=safe_return_to(return_to),
                    expires_at=now + _LOGIN_TTL,
                    binding_hash=_sha256(binding),
                    client=client,
                )
            )
        return LoginStart(login.authorization_url, self.login_cookie(login.state), binding)

    @staticmethod
    def login_cookie(state: str) -> str:
        """The name of the pre-login cookie of the login with this ``state``."""
        return f"{LOGIN_COOKIE_PREFIX}{_sha256(state)[:16]}"

    def finish_login(
        self, query: Mapping[str, str], cookies: Mapping[str, str] | None = None
    ) -> tuple[str, str]:
        """Complete a login from the provider's redirect; returns a new session id and
        where to go. The login is single use and only in the browser that began it (its
        pre-login cookie must match): an attacker's own login finished in a victim's
        browser (login CSRF) opens no session."""
        if self.oidc is None:
            raise LoginUnavailableError()
        state = query.get("state") or ""
        with self._sessions.begin() as session:
            row = session.get(LoginRow, _sha256(state)) if state else None
            if row is not None:
                session.delete(row)
        if row is None or row.expires_at <= self.now():
            raise LoginFailedError(
                "unknown or expired login (state)",
                "die Anmeldung ist unbekannt oder abgelaufen; bitte neu beginnen",
            )
        binding = (cookies or {}).get(self.login_cookie(state), "")
        if not row.binding_hash or not secrets.compare_digest(row.binding_hash, _sha256(binding)):
            log.warning("login refused: the answer came to another browser than the request")
            raise LoginFailedError(
                "the login was not started in this browser",
                "die Anmeldung wurde nicht in diesem Browser begonnen; bitte neu beginnen",
            )
        if "iss" in query and query["iss"] != self.oidc.provider:
            raise LoginFailedError("the answer names another issuer", "falscher Anmeldedienst")
        if "error" in query:
            raise LoginFailedError(
                f"the login service refused ({query['error'][:40]})",
                "die BürgerID wurde nicht vorgezeigt oder nicht anerkannt",
            )
        code = query.get("code")
        if not code:
            raise LoginFailedError("no code", "kein Anmeldecode")
        identity = self.oidc.finish(
            code, nonce=row.nonce, code_verifier=row.code_verifier, now=self.now()
        )
        session_id = secrets.token_urlsafe(32)
        now = self.now()
        with self._sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.expires_at < now))
            session.add(
                SessionRow(
                    id_hash=_sha256(session_id),
                    sub=identity.sub,
                    level=int(identity.level),
                    given_name=identity.given_name,
                    family_name=identity.family_name,
                    birth_date=identity.birth_date.isoformat(),
                    created_at=now,
                    expires_at=now + self.settings.issuer_session_ttl_seconds,
                )
            )
        log.info("login at level %s", identity.level.label_de)
        return session_id, row.return_to

    # --- activation: binding an official or landlord row to a BürgerID ----------------

    @staticmethod
    def _unbound(session: Session, person: Person) -> list[OfficialRow | LandlordRow]:
        """Active rows waiting for activation that carry this person's name and birth
        date (the code alone decides which is bound; the name is a second check)."""
        born = person.birth_date.isoformat()
        key = (_norm(person.given_name), _norm(person.family_name))
        rows: list[OfficialRow | LandlordRow] = [
            *session.scalars(
                select(OfficialRow).where(
                    OfficialRow.sub.is_(None),
                    OfficialRow.active.is_(True),
                    OfficialRow.birth_date == born,
                )
            ),
            *session.scalars(
                select(LandlordRow).where(
                    LandlordRow.sub.is_(None),
                    LandlordRow.active.is_(True),
                    LandlordRow.birth_date == born,
                )
            ),
        ]
        return [r for r in rows if (_norm(r.given_name), _norm(r.family_name)) == key]

    def awaiting_activation(self, person: Person | None) -> bool:
        """Whether an official or landlord row of this person waits for its code."""
        if person is None or not person.strong:
            return False
        with self._sessions() as session:
            return bool(self._unbound(session, person))

    def activate(self, person: Person | None, code: str) -> OfficialRow | LandlordRow:
        """Bind the official or landlord row whose one-time activation code this is to
        the login's ``sub`` (a login at level substanziell or higher whose name and birth
        date are the row's). Each wrong code counts against the person's rows; after
        ``issuer_activation_max_attempts`` the code is dead and a new one must be made."""
        me = strong_person(person)
        now = self.now()
        limit = self.settings.issuer_activation_max_attempts
        wanted = _activation_hash(code or "")
        with self.issuer.write_lock, self._sessions.begin() as session:
            rows = self._unbound(session, me)
            live = [
                r
                for r in rows
                if r.activation_hash is not None
                and (r.activation_expires_at or 0) > now
                and r.activation_failures < limit
            ]
            match = next(
                (r for r in live if secrets.compare_digest(r.activation_hash or "", wanted)), None
            )
            if match is not None:
                if (
                    isinstance(match, OfficialRow)
                    and session.scalars(
                        select(OfficialRow).where(OfficialRow.sub == me.sub)
                    ).first()
                ):
                    raise ForbiddenError(
                        "This BürgerID is already bound to another official.",
                        "Diese BürgerID ist bereits einer anderen Sachbearbeitung zugeordnet.",
                    )
                match.sub = me.sub
                match.activation_hash = None
                match.activation_expires_at = None
                if isinstance(match, OfficialRow):
                    match.bound_at = now
                log.info("%s %s activated", type(match).__name__, match.id)
                return match
            for row in live:
                row.activation_failures += 1
            left = max((limit - r.activation_failures for r in live), default=0)
            refusal = FormInputError(
                "The activation code is wrong, expired or used up"
                + (f" ({left} attempts left)." if left else "; ask for a new one."),
                "Der Aktivierungscode ist falsch, abgelaufen oder verbraucht"
                + (
                    f" (noch {left} Versuche)."
                    if left
                    else "; bitte lassen Sie sich einen neuen Code geben."
                ),
                ["Aktivierungscode: falsch, abgelaufen oder verbraucht"],
            )
        raise refusal

    def new_activation_code(self, official_id: str) -> tuple[OfficialRow, str]:
        """A fresh one-time code for an official not yet bound (the old one dies)."""
        code = _activation_code()
        with self.issuer.write_lock, self._sessions.begin() as session:
            row = session.get(OfficialRow, official_id.strip())
            if row is None or not row.active:
                raise NotFoundError("active official", "Diese aktive Sachbearbeitung")
            if row.sub is not None:
                raise TransitionRefusedError(
                    "This official is already bound to a BürgerID.",
                    "Diese Sachbearbeitung ist bereits an eine BürgerID gebunden.",
                )
            row.activation_hash = _activation_hash(code)
            row.activation_expires_at = self.now() + self.settings.issuer_activation_ttl_seconds
            row.activation_failures = 0
        return row, code

    def person(self, session_id: str | None) -> Person | None:
        """The person of a session cookie, while the session lasts."""
        if not session_id:
            return None
        with self._sessions() as session:
            row = session.get(SessionRow, _sha256(session_id))
        if row is None or row.expires_at <= self.now():
            return None
        return Person(
            row.id_hash,
            row.sub,
            LevelOfAssurance(row.level),
            row.given_name,
            row.family_name,
            date.fromisoformat(row.birth_date),
        )

    def logout(self, person: Person) -> None:
        """End the session."""
        with self._sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.id_hash == person.session_hash))

    # --- officials -------------------------------------------------------------------

    def _office(self, office_id: str) -> Office:
        office = self.settings.office(office_id)
        if office is None:
            known = ", ".join(o.id for o in self.settings.issuer_offices)
            raise FormInputError(
                f"Unknown office {office_id[:64]!r}; known: {known}.",
                f"Unbekanntes Amt {office_id[:64]!r}; bekannt: {known}.",
            )
        return office

    def add_official(
        self,
        *,
        office: str,
        role: str,
        given_name: str,
        family_name: str,
        birth_date: str,
        registered_by: str,
    ) -> tuple[OfficialRow, str]:
        """Register an official of ``office`` with ``role``; returns the row and the
        one-time activation code (shown once, stored hashed) that the official enters at
        the first login to bind the row to their BürgerID."""
        self._office(office)
        problems: list[str] = []
        if role not in {r.value for r in OfficialRole}:
            problems.append("Rolle: sachbearbeitung oder leitung")
        form = {"given_name": given_name, "family_name": family_name, "birth_date": birth_date}
        given = _field(form, "given_name", "Vorname", problems)
        family = _field(form, "family_name", "Familienname", problems)
        born = _date_field(form, "birth_date", "Geburtsdatum", problems)
        if len(given) > 100 or len(family) > 100:
            problems.append("Name: höchstens 100 Zeichen")
        if problems or born is None:
            raise _refuse_form(problems)
        now = self.now()
        code = _activation_code()
        with self.issuer.write_lock, self._sessions.begin() as session:
            for other in session.scalars(
                select(OfficialRow).where(
                    OfficialRow.birth_date == born.isoformat(), OfficialRow.active.is_(True)
                )
            ):
                if (_norm(other.given_name), _norm(other.family_name)) == (
                    _norm(given),
                    _norm(family),
                ):
                    raise FormInputError(
                        f"This person is already registered as an official ({other.office}).",
                        "Diese Person ist bereits als Sachbearbeitung eingetragen "
                        f"({other.office}).",
                    )
            row = OfficialRow(
                id=secrets.token_hex(8),
                office=office,
                role=role,
                given_name=given,
                family_name=family,
                birth_date=born.isoformat(),
                sub=None,
                active=True,
                registered_by=registered_by,
                registered_at=now,
                activation_hash=_activation_hash(code),
                activation_expires_at=now + self.settings.issuer_activation_ttl_seconds,
                activation_failures=0,
            )
            session.add(row)
            self.issuer._audit(
                session,
                AuditEvent.OFFICIAL_REGISTERED,
                row.id,
                {"official_id": row.id, "office": office, "role": role, "by": registered_by},
                now,
            )
        self.issuer.anchor_pending()
        return row, code

    def officials(self, office: str | None = None) -> list[OfficialRow]:
        """Registered officials, of one office or all."""
        query = select(OfficialRow).order_by(OfficialRow.office, OfficialRow.family_name)
        if office is not None:
            query = query.where(OfficialRow.office == office)
        with self._sessions() as session:
            return list(session.scalars(query))

    def deactivate_official(self, official_id: str, *, by: str) -> OfficialRow:
        """Take an official's access away at once (their sessions no longer open the
        console); the row stays for the audit trail, and the person can be registered
        again later."""
        now = self.now()
        with self.issuer.write_lock, self._sessions.begin() as session:
            row = session.get(OfficialRow, official_id.strip())
            if row is None:
                raise NotFoundError("official", "Diese Sachbearbeitung")
            if not row.active:
                raise TransitionRefusedError(
                    "This official is already deactivated.",
                    "Diese Sachbearbeitung ist bereits deaktiviert.",
                )
            row.active = False
            self.issuer._audit(
                session,
                AuditEvent.OFFICIAL_DEACTIVATED,
                row.id,
                {"official_id": row.id, "office": row.office, "role": row.role, "by": by},
                now,
            )
        self.issuer.anchor_pending()
        log.info("official %s of %s deactivated by %s", row.id, row.office, by)
        return row

    def official(self, person: Person | None, role: OfficialRole | None = None) -> OfficialRow:
        """The official behind a session, refusing everyone else (and a role too low)."""
        if person is None:
            raise LoginRequiredError()
        if person.level < LevelOfAssurance.SUBSTANTIAL:
            raise ForbiddenError(
                "Officials log in with a BürgerID of level substanziell or higher.",
                "Sachbearbeitende melden sich mit einer BürgerID mindestens auf Niveau "
                "„substanziell“ an.",
            )
        with self._sessions() as session:
            row = session.scalars(
                select(OfficialRow).where(
                    OfficialRow.sub == person.sub, OfficialRow.active.is_(True)
                )
            ).first()
        if row is None and self.awaiting_activation(person):
            raise ActivationRequiredError()
        if row is None:
            raise ForbiddenError(
                "Only registered officials may use the console.",
                "Nur eingetragene Sachbearbeiterinnen und Sachbearbeiter dürfen die Konsole "
                "nutzen.",
            )
        if role is OfficialRole.LEITUNG and row.role != OfficialRole.LEITUNG.value:
            raise ForbiddenError(
                "Only the head of the office (role leitung) may do this.",
                "Das darf nur die Leitung des Amtes (Rolle „leitung“).",
            )
        return row

    @staticmethod
    def actor(official: OfficialRow) -> str:
        """How an official appears in offers and the audit log: ``<office>/<id>``."""
        return f"{official.office}/{official.id}"

    # --- applications ----------------------------------------------------------------

    def _move(self, row: ApplicationRow, to: ApplicationState) -> None:
        current = ApplicationState(row.state)
        if to not in APPLICATION_TRANSITIONS[current]:
            raise TransitionRefusedError(
                f"The application is {current.value}; it cannot become {to.value}.",
                f"Der Antrag ist „{STATE_DE[current.value]}“; er kann nicht "
                f"„{STATE_DE[to.value]}“ werden.",
            )
        row.state = to.value
        row.updated_at = self.now()

    def _permit_claims(
        self,
        kind: str,
        office: Office,
        holder: tuple[str, str, str],
        form: Mapping[str, Any],
        number: str,
        valid_until: date | None,
    ) -> dict[str, Any]:
        given, family, born = holder
        today = self.today()
        if kind == "hund":
            return {
                "permit_number": number,
                "role": form["role"],
                "holder": {"given_name": given, "family_name": family, "birth_date": born},
                "keeper_name": form.get("keeper_name") or None,
                "dog": {
                    "name": form["dog_name"],
                    "breed": form["breed"],
                    "category": form["category"],
                    "sex": form["sex"],
                    "birth_year": form["birth_year"],
                    "chip_number": form["chip_number"],
                },
                "exemptions": {"muzzle": form["muzzle"], "leash": form["leash"]},
                "insurance": {
                    "insurer": form["insurer"],
                    "policy_number": form["policy_number"],
                    "valid_until": form["insured_until"],
                },
                "conditions": [],
                "issuing_office": office.name_de,
                "valid_from": today.isoformat(),
                "valid_until": (valid_until or today + timedelta(days=3 * 365)).isoformat(),
            }
        performers = [f"{given} {family}", *form["performers"]]
        return {
            "permit_number": number,
            "performers": performers,
            "group_size": max(int(form["group_size"]), len(performers)),
            "instruments": form["instruments"],
            "amplification_allowed": form["amplification"],
            "zones": [
                {"id": z, "name": ZONES[z][0], "excluded_instruments": list(ZONES[z][1])}
                for z in form["zones"]
            ],
            "date_from": form["date_from"],
            "date_to": form["date_to"],
            "daily_windows": [
                {"start": "10:00", "end": "13:00"},
                {"start": "15:00", "end": "20:00"},
            ],
            "max_minutes_per_spot": 30,
            "min_relocation_m": 200,
            "issuing_office": office.name_de,
        }

    def _read_form(self, kind: str, form: Mapping[str, str]) -> dict[str, Any]:
        """The application form's fields, typed; problems listed in German."""
        problems: list[str] = []
        out: dict[str, Any]
        if kind == "hund":
            role = form.get("role", "keeper")
            if role not in ("keeper", "leader"):
                problems.append("Rolle: Halterin/Halter oder Führende/r")
            out = {
                "role": role,
                "keeper_name": (form.get("keeper_name") or "").strip(),
                "dog_name": _field(form, "dog_name", "Name des Hundes", problems),
                "breed": _field(form, "breed", "Rasse", problems),
                "category": form.get("category", "listed"),
                "sex": form.get("sex", ""),
                "birth_year": _field(form, "birth_year", "Wurfjahr", problems),
                "chip_number": _field(form, "chip_number", "Chipnummer", problems).replace(" ", ""),
                "muzzle": form.get("muzzle") == "ja",
                "leash": form.get("leash") == "ja",
                "insurer": _field(form, "insurer", "Versicherer", problems),
                "policy_number": _field(form, "policy_number", "Versicherungsnummer", problems),
                "insured_until": _field(form, "insured_until", "Versichert bis", problems),
            }
            if out["sex"] not in ("male", "female"):
                problems.append("Geschlecht des Hundes: bitte wählen")
            if out["category"] not in ("listed", "listed_cross", "individually_dangerous"):
                problems.append("Einstufung: bitte wählen")
            if not re.fullmatch(r"[0-9]{15}", out["chip_number"] or "0"):
                problems.append("Chipnummer: 15 Ziffern")
            if role == "leader" and not out["keeper_name"]:
                problems.append("Halter/in des Hundes: bitte angeben")
        else:
            zones = [z for z in ZONES if form.get(f"zone_{z}") == "ja"]
            if not zones:
                problems.append("Zonen: mindestens eine wählen")
            instruments = [
                i.strip() for i in (form.get("instruments") or "").split(",") if i.strip()
            ]
            if not instruments:
                problems.append("Instrumente: bitte angeben")
            performers = [
                p.strip() for p in (form.get("performers") or "").splitlines() if p.strip()
            ]
            out = {
                "performers": performers,
                "group_size": form.get("group_size") or "1",
                "instruments": instruments,
                "amplification": form.get("amplification") == "ja",
                "zones": zones,
                "date_from": _field(form, "date_from", "Gültig ab", problems),
                "date_to": _field(form, "date_to", "Gültig bis", problems),
            }
            if not str(out["group_size"]).isdigit():
                problems.append("Gruppengröße: eine Zahl")
        if problems:
            raise _refuse_form(problems)
        return out

    def _validate(self, cid: str, claims: Mapping[str, Any]) -> None:
        try:
            configurations()[cid].parse(claims)
        except ClaimValidationError as err:
            raise _refuse_form(list(err.problems)) from err

    def submit_application(
        self, person: Person | None, kind: str, form: Mapping[str, str]
    ) -> ApplicationRow:
        """A citizen's application; the holder's name and birth date come from the login,
        which must be at level substanziell or higher (its level is kept with it)."""
        person = strong_person(person)
        cid = KINDS.get(kind)
        office = self.settings.office_for_type(cid) if cid else None
        if cid is None or office is None:
            raise NotFoundError("application form", "Dieses Antragsformular")
        fields = self._read_form(kind, form)
        holder = (person.given_name, person.family_name, person.birth_date.isoformat())
        self._validate(cid, self._permit_claims(kind, office, holder, fields, "ENTWURF", None))
        now = self.now()
        row = ApplicationRow(
            id=secrets.token_hex(8),
            office=office.id,
            kind=kind,
            state=ApplicationState.SUBMITTED.value,
            applicant_sub=person.sub,
            given_name=person.given_name,
            family_name=person.family_name,
            birth_date=person.birth_date.isoformat(),
            form=_canonical(fields),
            created_at=now,
            updated_at=now,
            level=int(person.level),
        )
        with self._sessions.begin() as session:
            session.add(row)
        return row

    def my_applications(self, person: Person | None) -> list[ApplicationRow]:
        """The citizen's own applications, newest first (those made at a level no
        higher than this login's)."""
        me = strong_person(person)
        with self._sessions() as session:
            rows = list(
                session.scalars(
                    select(ApplicationRow)
                    .where(
                        ApplicationRow.applicant_sub == me.sub,
                        ApplicationRow.level <= int(me.level),
                    )
                    .order_by(ApplicationRow.created_at.desc())
                )
            )
        return [self._refresh(r) for r in rows]

    def my_application(self, person: Person | None, application_id: str) -> ApplicationRow:
        """One of the citizen's own applications (others' are not found, nor one made
        at a higher level than this login's)."""
        me = strong_person(person)
        with self._sessions() as session:
            row = session.get(ApplicationRow, application_id)
        if row is None or row.applicant_sub != me.sub or row.level > int(me.level):
            raise NotFoundError("application", "Diesen Antrag")
        return self._refresh(row)

    def office_applications(self, official: OfficialRow) -> list[ApplicationRow]:
        """The office's applications, newest first."""
        with self._sessions() as session:
            rows = list(
                session.scalars(
                    select(ApplicationRow)
                    .where(ApplicationRow.office == official.office)
                    .order_by(ApplicationRow.created_at.desc())
                )
            )
        return [self._refresh(r) for r in rows]

    def office_application(self, official: OfficialRow, application_id: str) -> ApplicationRow:
        """One application of the official's office (another office's is not found)."""
        with self._sessions() as session:
            row = session.get(ApplicationRow, application_id)
        if row is None or row.office != official.office:
            raise NotFoundError("application", "Diesen Antrag")
        return self._refresh(row)

    def documents(self, application_id: str) -> list[DocumentRow]:
        """The documents uploaded to an application (caller checked access)."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(DocumentRow)
                    .where(DocumentRow.application_id == application_id)
                    .order_by(DocumentRow.uploaded_at)
                )
            )

    def document(self, official: OfficialRow, document_id: str) -> tuple[DocumentRow, bytes]:
        """A document of the official's office, with its bytes (hash re-checked)."""
        with self._sessions() as session:
            row = session.get(DocumentRow, document_id)
            app = session.get(ApplicationRow, row.application_id) if row else None
        if row is None or app is None or app.office != official.office:
            raise NotFoundError("document", "Dieses Dokument")
        data = (self.upload_dir / row.sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != row.sha256:
            raise NotFoundError("intact document", "Ein unverändertes Dokument")
        return row, data

    def _refresh(self, row: ApplicationRow) -> ApplicationRow:
        """An approved application whose credential was taken becomes ``issued``; the
        offer link and the transaction code are erased then."""
        if row.state != ApplicationState.APPROVED.value or row.offer_id is None:
            return row
        with self._sessions.begin() as session:
            offer = session.get(OfferRow, row.offer_id)
            if offer is None or offer.state != OfferState.ISSUED.value:
                return row
            current = session.get(ApplicationRow, row.id)
            if current is None or current.state != ApplicationState.APPROVED.value:
                return current or row
            self._move(current, ApplicationState.ISSUED)
            current.offer_uri = None
            session.execute(
                update(MessageRow)
                .where(MessageRow.offer_id == offer.id)
                .values(body="Der Code wurde verwendet; der Nachweis ist in Ihrer Wallet.")
            )
            return current

    def request_documents(self, official: OfficialRow, application_id: str, message: str) -> None:
        """ "Unterlagen nachfordern": the citizen gets the message in the Postfach."""
        text = message.strip()
        if not text or len(text) > 2000:
            raise _refuse_form(["Nachricht: bitte angeben (höchstens 2000 Zeichen)"])
        self.office_application(official, application_id)
        with self._sessions.begin() as session:
            row = session.get(ApplicationRow, application_id)
            assert row is not None
            self._move(row, ApplicationState.DOCUMENTS_REQUESTED)
            row.request_message = text
            session.add(
                MessageRow(
                    id=secrets.token_hex(8),
                    recipient_sub=row.applicant_sub,
                    level=row.level,
                    application_id=row.id,
                    subject="Unterlagen nachgefordert",
                    body=text,
                    created_at=self.now(),
                )
            )

    def reject(self, official: OfficialRow, application_id: str, reason: str) -> ApplicationRow:
        """ "Ablehnen" with a mandatory reason: the citizen reads it in the Postfach; the
        decision is in the anchored audit log (no offer is made; the state is final)."""
        text = reason.strip()
        if not text or len(text) > 2000:
            raise _refuse_form(["Begründung der Ablehnung: bitte angeben (höchstens 2000 Zeichen)"])
        self.office_application(official, application_id)
        now = self.now()
        actor = self.actor(official)
        with self.issuer.write_lock, self._sessions.begin() as session:
            row = session.get(ApplicationRow, application_id)
            assert row is not None
            self._move(row, ApplicationState.REJECTED)
            row.decided_by = actor
            row.decision = _canonical({"rejected": True, "reason": text})
            self.issuer._audit(
                session,
                AuditEvent.APPLICATION_DECIDED,
                row.id,
                {
                    "application_id": row.id,
                    "office": row.office,
                    "decision": "rejected",
                    "by": actor,
                    "reason": text,
                },
                now,
            )
            session.add(
                MessageRow(
                    id=secrets.token_hex(8),
                    recipient_sub=row.applicant_sub,
                    level=row.level,
                    application_id=row.id,
                    subject="Antrag abgelehnt",
                    body=f"Ihr Antrag wurde abgelehnt. Begründung: {text}",
                    created_at=now,
                )
            )
        self.issuer.anchor_pending()
        return self.office_application(official, application_id)

    def upload_document(
        self, person: Person, application_id: str, filename: str, data: bytes
    ) -> DocumentRow:
        """The citizen's answer to a request: one document (PDF, PNG or JPEG, size
        limited), stored by its SHA-256; the application goes back to review."""
        app = self.my_application(person, application_id)
        if app.state != ApplicationState.DOCUMENTS_REQUESTED.value:
            raise TransitionRefusedError(
                "No documents were requested for this application.",
                "Für diesen Antrag wurden keine Unterlagen nachgefordert.",
            )
        limit = self.settings.issuer_upload_max_bytes
        if len(data) > limit:
            raise DocumentRefusedError(
                413,
                f"The document is larger than {limit // 1024} KiB.",
                f"Das Dokument ist größer als {limit // 1024} KiB.",
            )
        if not data:
            raise DocumentRefusedError(422, "The document is empty.", "Das Dokument ist leer.")
        kind = next((t for t, magic in _UPLOAD_TYPES.items() if data.startswith(magic)), None)
        if kind is None:
            raise DocumentRefusedError(
                415,
                "Only PDF, PNG or JPEG documents are accepted.",
                "Nur Dokumente im Format PDF, PNG oder JPEG werden angenommen.",
            )
        digest = hashlib.sha256(data).hexdigest()
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        target = self.upload_dir / digest
        if not target.exists():
            partial = self.upload_dir / f".{digest}.{secrets.token_hex(4)}.part"
            with partial.open("wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(target)
        name = Path(filename or "dokument").name[:200] or "dokument"
        row = DocumentRow(
            id=secrets.token_hex(8),
            application_id=app.id,
            filename=name,
            content_type=kind,
            size=len(data),
            sha256=digest,
            uploaded_at=self.now(),
        )
        with self._sessions.begin() as session:
            current = session.get(ApplicationRow, app.id)
            assert current is not None
            self._move(current, ApplicationState.SUBMITTED)
            session.add(row)
        return row

    def approve(
        self, official: OfficialRow, application_id: str, valid_until: str | None = None
    ) -> ApplicationRow:
        """ "Genehmigen": make the credential offer; the QR code goes to the citizen's
        application page, the transaction code into the Postfach (a separate page)."""
        app = self.office_application(official, application_id)
        if app.state != ApplicationState.SUBMITTED.value:
            self._move(app, ApplicationState.APPROVED)  # raises the clear refusal
        until: date | None = None
        if valid_until:
            try:
                until = date.fromisoformat(valid_until)
            except ValueError as err:
                raise _refuse_form(["Gültig bis: kein gültiges Datum"]) from err
        office = self._office(app.office)
        prefix = "AC-HU" if app.kind == "hund" else "AC-SM"
        decision = {
            "permit_number": f"{prefix}-{self.today().year}-{secrets.token_hex(3).upper()}",
            "valid_until": until.isoformat() if until else None,
        }
        return self._offer_for(app, official, office, decision)

    def _offer_for(
        self,
        app: ApplicationRow,
        official: OfficialRow | None,
        office: Office,
        decision: dict[str, Any],
    ) -> ApplicationRow:
        until = date.fromisoformat(decision["valid_until"]) if decision["valid_until"] else None
        claims = self._permit_claims(
            app.kind,
            office,
            (app.given_name, app.family_name, app.birth_date),
            json.loads(app.form),
            decision["permit_number"],
            until,
        )
        code = _tx_code()
        actor = self.actor(official) if official is not None else f"{office.id}/renewal"
        try:
            created = self.issuer.create_offer(
                credential_type=KINDS[app.kind],
                claims=claims,
                official=actor,
                tx_code=code,
                office=office.id,
                application_id=app.id,
            )
        except OfferInputError as err:
            raise FormInputError(err.message, err.message_de, err.problems) from err
        now = self.now()
        with self.issuer.write_lock, self._sessions.begin() as session:
            row = session.get(ApplicationRow, app.id)
            assert row is not None
            if official is not None:
                self._move(row, ApplicationState.APPROVED)
                row.decided_by = actor
                row.decision = _canonical(decision)
                self.issuer._audit(
                    session,
                    AuditEvent.APPLICATION_DECIDED,
                    row.id,
                    {
                        "application_id": row.id,
                        "office": office.id,
                        "decision": "approved",
                        "by": actor,
                        "offer_id": created.offer_id,
                        "permit_number": decision["permit_number"],
                    },
                    now,
                )
            row.offer_id = created.offer_id
            row.offer_uri = created.offer_uri
            row.updated_at = now
            # the codes of earlier offers are dead: say so, so that nobody types them
            session.execute(
                update(MessageRow)
                .where(
                    MessageRow.application_id == row.id,
                    MessageRow.offer_id.is_not(None),
                    MessageRow.offer_id != created.offer_id,
                )
                .values(body="Dieser Code gilt nicht mehr; es wurde ein neues Angebot gemacht.")
            )
            session.add(
                MessageRow(
                    id=secrets.token_hex(8),
                    recipient_sub=row.applicant_sub,
                    level=row.level,
                    application_id=row.id,
                    subject="Antrag genehmigt",
                    body="Ihr Antrag wurde genehmigt. Den QR-Code für Ihre Wallet finden Sie "
                    "beim Antrag; den Transaktionscode erhalten Sie in einer eigenen Nachricht.",
                    created_at=now,
                )
            )
            session.add(
                MessageRow(
                    id=secrets.token_hex(8),
                    recipient_sub=row.applicant_sub,
                    level=row.level,
                    application_id=row.id,
                    offer_id=created.offer_id,
                    subject="Transaktionscode für Ihren Nachweis",
                    body=f"Ihr Transaktionscode lautet: {code}",
                    created_at=now + 1,
                )
            )
        self.issuer.anchor_pending()
        return (
            self.office_application(official, app.id)
            if official
            else self.my_application_row(app.id)
        )

    def my_application_row(self, application_id: str) -> ApplicationRow:
        """An application by id (internal use)."""
        with self._sessions() as session:
            row = session.get(ApplicationRow, application_id)
        if row is None:
            raise NotFoundError("application", "Diesen Antrag")
        return row

    def offer_open(self, app: ApplicationRow) -> bool:
        """Whether the application's offer can still be redeemed."""
        if app.offer_id is None:
            return False
        with self._sessions() as session:
            offer = session.get(OfferRow, app.offer_id)
        return (
            offer is not None
            and offer.state == OfferState.OFFERED.value
            and offer.expires_at > self.now()
        )

    def renewable(self, app: ApplicationRow) -> bool:
        """Whether the application may get a new offer (see ``_renewable``)."""
        with self._sessions() as session:
            return self._renewable(session, app)

    def _renewable(self, session: Session, app: ApplicationRow) -> bool:
        """Whether the application may get a new offer: approved, its offer dead for
        good (blocked by wrong codes, or never redeemed and expired; withdrawn only
        when no DIDComm issuance is open or done) and no credential on it."""
        if (
            app.state != ApplicationState.APPROVED.value
            or app.decision is None
            or app.offer_id is None  # another renewal is under way
        ):
            return False
        offer = session.get(OfferRow, app.offer_id)
        credential = session.scalars(
            select(CredentialRow.id)
            .join(OfferRow, OfferRow.id == CredentialRow.offer_id)
            .where(OfferRow.application_id == app.id)
        ).first()
        didcomm = session.scalars(
            select(DidcommRow.id).where(
                DidcommRow.application_id == app.id,
                DidcommRow.state.in_(
                    (
                        DidcommState.INVITED.value,
                        DidcommState.SENDING.value,
                        DidcommState.ISSUING.value,
                        DidcommState.ISSUED.value,
                    )
                ),
            )
        ).first()
        if offer is None or credential is not None or didcomm is not None:
            return False
        state = OfferState(offer.state)
        return (
            state is OfferState.BLOCKED
            or (state is OfferState.OFFERED and offer.expires_at <= self.now())
            or state is OfferState.WITHDRAWN
        )

    def renew_offer(self, person: Person | None, application_id: str) -> ApplicationRow:
        """A fresh offer (and code) for an approved application whose offer is dead for
        good (``renewable``), decided inside the writers' lock so that two renewals, or a
        renewal and a redemption, cannot both go through."""
        app = self.my_application(person, application_id)
        if app.state != ApplicationState.APPROVED.value or app.decision is None:
            raise TransitionRefusedError(
                "Only an approved application gets a new offer.",
                "Nur ein genehmigter Antrag erhält ein neues Angebot.",
            )
        # claim the renewal inside the writers' turn: the application's offer link is
        # cleared, so a second renewal or a DIDComm start finds nothing to act on
        with self.issuer.write_lock, self._sessions.begin() as session:
            current = session.get(ApplicationRow, app.id)
            assert current is not None
            if not self._renewable(session, current):
                raise TransitionRefusedError(
                    "The current offer is still open, being redeemed or was used; no new "
                    "offer is made.",
                    "Das aktuelle Angebot ist noch gültig, wird gerade abgeholt oder wurde "
                    "verwendet; es gibt kein neues Angebot.",
                )
            previous = (current.offer_id, current.offer_uri)
            current.offer_id = None
            current.offer_uri = None
        try:
            return self._offer_for(
                app, None, self._office(app.office), json.loads(app.decision or "{}")
            )
        except BaseException:
            with self.issuer.write_lock, self._sessions.begin() as session:
                restored = session.get(ApplicationRow, app.id)
                if restored is not None and restored.offer_id is None:
                    restored.offer_id, restored.offer_uri = previous
            raise

    def messages(self, person: Person | None) -> list[MessageRow]:
        """The person's Postfach, newest first: a login at level substanziell or higher
        sees the messages of logins of at most its own level."""
        me = strong_person(person)
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(MessageRow)
                    .where(MessageRow.recipient_sub == me.sub, MessageRow.level <= int(me.level))
                    .order_by(MessageRow.created_at.desc())
                )
            )

    # --- credentials: suspension, reinstatement, revocation ---------------------------

    def office_credentials(self, official: OfficialRow) -> list[tuple[CredentialRow, OfferRow]]:
        """The credentials issued for the official's office, newest first."""
        with self._sessions() as session:
            rows = session.execute(
                select(CredentialRow, OfferRow)
                .join(OfferRow, OfferRow.id == CredentialRow.offer_id)
                .where(OfferRow.office == official.office)
                .order_by(CredentialRow.issued_at.desc())
            ).all()
        return [(c, o) for c, o in rows]

    def credentials_of_offer(self, offer_id: str | None) -> list[CredentialRow]:
        """The credentials issued on one offer."""
        if offer_id is None:
            return []
        with self._sessions() as session:
            return list(
                session.scalars(select(CredentialRow).where(CredentialRow.offer_id == offer_id))
            )

    def change_status(
        self, official: OfficialRow, credential_id: str, action: str, reason: str
    ) -> CredentialRow:
        """Suspend, reinstate or revoke (role ``leitung`` of the issuing office), with a
        mandatory reason: written on chain first, then in the database and audit log."""
        if action not in _ACTIONS:
            raise _refuse_form(["Aktion: sperren, entsperren oder widerrufen"])
        target, event, verb = _ACTIONS[action]
        if official.role != OfficialRole.LEITUNG.value:
            raise ForbiddenError(
                "Only the head of the office (role leitung) may suspend, reinstate or revoke.",
                "Nur die Leitung des Amtes (Rolle „leitung“) darf sperren, entsperren oder "
                "widerrufen.",
            )
        text = reason.strip()
        if not text or len(text) > _MAX_REASON:
            raise _refuse_form([f"Begründung: bitte angeben (höchstens {_MAX_REASON} Zeichen)"])
        with self._sessions() as session:
            found = session.execute(
                select(CredentialRow, OfferRow)
                .join(OfferRow, OfferRow.id == CredentialRow.offer_id)
                .where(CredentialRow.id == credential_id)
            ).first()
        if found is None or found[1].office != official.office:
            raise NotFoundError("credential", "Diesen Nachweis")
        credential = found[0]
        current = CredentialState(credential.status)
        if target not in CREDENTIAL_TRANSITIONS[current]:
            raise TransitionRefusedError(
                f"A {current.value} credential cannot be set to {target.value}.",
                f"Ein Nachweis, der „{STATE_DE[current.value]}“ ist, lässt sich nicht {verb}.",
            )
        if self.status_writer is None:
            raise StatusWriteError(
                "No status list account is configured (GOVCHAIN_ISSUER_STATUS_ACCOUNT).",
                "Für die Statusliste ist kein Konto eingerichtet (GOVCHAIN_ISSUER_STATUS_ACCOUNT).",
            )
        try:
            tx_hash, block = self.status_writer.write(
                credential.status_list_uri, credential.status_index, _CHAIN_STATUS[target]
            )
        except GovchainError as err:
            raise StatusWriteError(
                f"The chain did not take the change: {err.message}",
                f"Die Chain hat die Änderung nicht angenommen: {err.message_de}",
            ) from err
        now = self.now()
        actor = self.actor(official)
        with self.issuer.write_lock, self._sessions.begin() as session:
            row = session.get(CredentialRow, credential.id)
            assert row is not None
            row.status = target.value
            self.issuer._audit(
                session,
                event,
                row.id,
                {
                    "credential_id": row.id,
                    "office": official.office,
                    "by": actor,
                    "from": current.value,
                    "to": target.value,
                    "reason": text,
                    "status_list_uri": row.status_list_uri,
                    "status_index": row.status_index,
                    "tx_hash": tx_hash,
                    "block_number": block,
                },
                now,
            )
        self.issuer.anchor_pending()
        log.info("credential %s %s by %s in block %s", credential.id, target.value, actor, block)
        return row

    # --- BürgerID enrolment ----------------------------------------------------------

    def _citizen_claims(
        self, form: Mapping[str, str], level: LevelOfAssurance, method: str, at: int
    ) -> dict[str, Any]:
        problems: list[str] = []
        born = _date_field(form, "birth_date", "Geburtsdatum", problems)
        nationalities = [
            n.strip().upper() for n in (form.get("nationalities") or "DE").split(",") if n.strip()
        ]
        claims = {
            "given_name": _field(form, "given_name", "Vorname", problems),
            "family_name": _field(form, "family_name", "Familienname", problems),
            "birth_date": born.isoformat() if born else None,
            "birth_place": _field(form, "birth_place", "Geburtsort", problems),
            "address": _address(form, "", "Anschrift", problems),
            "nationalities": nationalities,
            "level_of_assurance": int(level),
            "enrolment": {
                "method": method,
                "time": datetime.fromtimestamp(at, UTC).isoformat(),
            },
        }
        if problems:
            raise _refuse_form(problems)
        self._validate("citizen_id_sd_jwt", claims)
        return claims

    def _enrol(
        self,
        form: Mapping[str, str],
        evidence: str,
        official: OfficialRow | None,
        tx_code: str | None,
        batch_size: int | None = None,
    ) -> tuple[OfferCreated, EnrolmentRow]:
        now = self.now()
        _, level, method = COUNTER_EVIDENCE.get(evidence, _SELF_REGISTRATION)
        claims = self._citizen_claims(form, level, method, now)
        office = self.settings.office_for_type("citizen_id_sd_jwt")
        office_id = official.office if official else (office.id if office else None)
        actor = self.actor(official) if official else "selbstregistrierung"
        created = self.issuer.create_offer(
            credential_type="citizen_id_sd_jwt",
            claims=claims,
            official=actor,
            tx_code=tx_code,
            office=office_id,
            batch_size=batch_size,
        )
        row = EnrolmentRow(
            id=secrets.token_hex(8),
            office=office_id,
            level=int(level),
            method=method,
            evidence=evidence,
            checked_by=self.actor(official) if official else None,
            enrolled_at=now,
            offer_id=created.offer_id,
        )
        with self.issuer.write_lock, self._sessions.begin() as session:
            session.add(row)
            self.issuer._audit(
                session,
                AuditEvent.CITIZEN_ENROLLED,
                row.id,
                {
                    "enrolment_id": row.id,
                    "level": int(level),
                    "method": row.method,
                    "evidence": evidence,
                    "checked_by": row.checked_by,
                    "offer_id": created.offer_id,
                },
                now,
            )
            if official is not None and official.sub is not None and tx_code is not None:
                session.add(
                    MessageRow(
                        id=secrets.token_hex(8),
                        recipient_sub=official.sub,
                        level=int(LevelOfAssurance.SUBSTANTIAL),  # officials log in at least so
                        offer_id=created.offer_id,
                        subject=f"Code-Beleg BürgerID-Registrierung {row.id}",
                        body=f"Transaktionscode zum Aushändigen: {tx_code}",
                        created_at=now,
                    )
                )
        self.issuer.anchor_pending()
        return created, row

    def self_register(
        self, form: Mapping[str, str], client: str = ""
    ) -> tuple[OfferCreated, EnrolmentRow]:
        """ "Basisregistrierung": the citizen's own statement, level low, one credential
        per offer. Each takes a status list entry, so registrations are rate-limited per
        client address and altogether (counted in the database, so every worker sees
        them); a refusal leaves nothing behind."""
        self._citizen_claims(form, LevelOfAssurance.LOW, _SELF_REGISTRATION[2], self.now())
        self._count(
            f"registrierung:{client[:64]}",
            self.settings.issuer_registration_per_client_per_minute,
            "registrierung",
            self.settings.issuer_registration_per_minute,
        )
        return self._enrol(form, "selbstregistrierung", None, None, batch_size=1)

    def _count(self, bucket: str, per_bucket: int, total_bucket: str, total: int) -> None:
        """Count one event in ``bucket`` and ``total_bucket`` for the current minute, or
        RateLimitedError (with the seconds until the oldest counted event leaves the
        window) when either is full."""
        now = self.now()
        since = now - _RATE_WINDOW
        with self.issuer.write_lock, self._sessions.begin() as session:
            session.execute(delete(RateEventRow).where(RateEventRow.at <= since))
            for name, limit in ((bucket, per_bucket), (total_bucket, total)):
                count, oldest = session.execute(
                    select(func.count(), func.min(RateEventRow.at)).where(
                        RateEventRow.bucket == name, RateEventRow.at > since
                    )
                ).one()
                if count >= limit:
                    log.warning("rate limit %s reached (%s a minute)", name.split(":")[0], limit)
                    wait = int(oldest or now) + _RATE_WINDOW - now
                    raise RateLimitedError(
                        f"Too many registrations; please try again in {wait} seconds.",
                        f"Zu viele Registrierungen; bitte versuchen Sie es in {wait} Sekunden "
                        "erneut.",
                        wait,
                    )
            session.add_all(
                [RateEventRow(bucket=bucket, at=now), RateEventRow(bucket=total_bucket, at=now)]
            )

    def enrol_at_counter(
        self, official: OfficialRow, form: Mapping[str, str]
    ) -> tuple[OfferCreated, EnrolmentRow]:
        """An official checked the identity at the counter: level substanziell or hoch
        by the method of the check; the offer needs a code handed over on paper."""
        if "citizen_id_sd_jwt" not in self._office(official.office).types:
            raise ForbiddenError(
                "This office does not enrol BürgerIDs.",
                "Dieses Amt stellt keine BürgerID aus.",
            )
        evidence = form.get("evidence", "")
        if evidence not in COUNTER_EVIDENCE:
            raise _refuse_form(["Identitätsprüfung: bitte die Art der Prüfung wählen"])
        return self._enrol(form, evidence, official, _tx_code())

    def enrolment(self, official: OfficialRow, enrolment_id: str) -> EnrolmentRow:
        """One enrolment of the official's office."""
        with self._sessions() as session:
            row = session.get(EnrolmentRow, enrolment_id)
        if row is None or row.office != official.office:
            raise NotFoundError("enrolment", "Diese Registrierung")
        return row

    def office_enrolments(self, official: OfficialRow) -> list[EnrolmentRow]:
        """The office's enrolments, newest first."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(EnrolmentRow)
                    .where(EnrolmentRow.office == official.office)
                    .order_by(EnrolmentRow.enrolled_at.desc())
                )
            )

    # --- landlords -------------------------------------------------------------------

    def register_landlord(
        self, official: OfficialRow, form: Mapping[str, str]
    ) -> tuple[LandlordRow, str]:
        """The city registers a landlord as issuer of the Wohnungsgeberbestätigung for
        one dwelling; returns the row and the one-time activation code (shown once to the
        registering official, stored hashed) that binds it to the landlord's BürgerID."""
        if "landlord_confirmation_sd_jwt" not in self._office(official.office).types:
            raise ForbiddenError(
                "This office does not register landlords.",
                "Dieses Amt trägt keine Wohnungsgeber ein.",
            )
        problems: list[str] = []
        given = _field(form, "given_name", "Vorname", problems)
        family = _field(form, "family_name", "Familienname", problems)
        born = _date_field(form, "birth_date", "Geburtsdatum", problems)
        landlord_address = _address(form, "landlord_", "Anschrift des Wohnungsgebers", problems)
        dwelling = _address(form, "dwelling_", "Wohnung", problems)
        is_owner = form.get("is_owner") == "ja"
        owner_name = (form.get("owner_name") or "").strip()
        if not is_owner and not owner_name:
            problems.append(
                "Eigentümer/in: bitte angeben, wenn der Wohnungsgeber nicht Eigentümer ist"
            )
        if problems or born is None:
            raise _refuse_form(problems)
        now = self.now()
        code = _activation_code()
        row = LandlordRow(
            id=secrets.token_hex(8),
            office=official.office,
            given_name=given,
            family_name=family,
            birth_date=born.isoformat(),
            sub=None,
            landlord=_canonical(
                {
                    "name": f"{given} {family}",
                    "address": landlord_address,
                    "is_owner": is_owner,
                    "owner_name": owner_name or None,
                }
            ),
            dwelling=_canonical(dwelling),
            active=True,
            registered_by=self.actor(official),
            registered_at=now,
            activation_hash=_activation_hash(code),
            activation_expires_at=now + self.settings.issuer_activation_ttl_seconds,
            activation_failures=0,
        )
        with self.issuer.write_lock, self._sessions.begin() as session:
            session.add(row)
            self.issuer._audit(
                session,
                AuditEvent.LANDLORD_REGISTERED,
                row.id,
                {
                    "landlord_id": row.id,
                    "office": official.office,
                    "by": row.registered_by,
                    "dwelling_sha256": _sha256(row.dwelling),
                },
                now,
            )
        self.issuer.anchor_pending()
        return row, code

    def office_landlords(self, official: OfficialRow) -> list[LandlordRow]:
        """The landlords the official's office registered."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(LandlordRow)
                    .where(LandlordRow.office == official.office)
                    .order_by(LandlordRow.registered_at.desc())
                )
            )

    def my_dwellings(self, person: Person) -> list[LandlordRow]:
        """The dwellings the logged-in landlord is registered for (strong logins only)."""
        if not person.strong:
            return []
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(LandlordRow).where(
                        LandlordRow.sub == person.sub, LandlordRow.active.is_(True)
                    )
                )
            )

    def confirm_move(
        self, person: Person | None, registration_id: str, form: Mapping[str, str]
    ) -> OfferCreated:
        """A registered landlord, logged in at level substanziell or higher, confirms a
        named tenant's move for their registered dwelling; the city office issues it."""
        if person is None:
            raise LoginRequiredError()
        if person.level < LevelOfAssurance.SUBSTANTIAL:
            raise ForbiddenError(
                "Landlords confirm a move only after a login at level substanziell or higher.",
                "Wohnungsgeber bestätigen einen Einzug nur nach einer Anmeldung mindestens auf "
                "Niveau „substanziell“.",
            )
        with self._sessions() as session:
            reg = session.get(LandlordRow, registration_id)
        if reg is None or not reg.active or reg.sub != person.sub:
            raise ForbiddenError(
                "You are not registered as the landlord of this dwelling.",
                "Sie sind für diese Wohnung nicht als Wohnungsgeber eingetragen.",
            )
        problems: list[str] = []
        event = form.get("event", "move_in")
        if event not in ("move_in", "move_out"):
            problems.append("Art: Einzug oder Auszug")
        moved = _date_field(form, "event_date", "Datum des Ein- oder Auszugs", problems)
        residents = []
        for n in (1, 2):
            given = (form.get(f"resident_given_name_{n}") or "").strip()
            family = (form.get(f"resident_family_name_{n}") or "").strip()
            born = (form.get(f"resident_birth_date_{n}") or "").strip()
            if n == 1 or given or family:
                resident: dict[str, Any] = {
                    "given_name": given or _field(form, "x", f"Vorname Person {n}", problems),
                    "family_name": family
                    or _field(form, "x", f"Familienname Person {n}", problems),
                }
                if born:
                    resident["birth_date"] = born
                residents.append(resident)
        if problems or moved is None:
            raise _refuse_form(problems)
        office = self._office(reg.office)
        claims = {
            "confirmation_number": f"WGB-{self.today().year}-{secrets.token_hex(3).upper()}",
            "event": event,
            "event_date": moved.isoformat(),
            "dwelling": json.loads(reg.dwelling),
            "residents": residents,
            "landlord": json.loads(reg.landlord),
            "landlord_identity_loa": int(person.level),
            "registration_office": office.name_de,
        }
        self._validate("landlord_confirmation_sd_jwt", claims)
        code = _tx_code()
        created = self.issuer.create_offer(
            credential_type="landlord_confirmation_sd_jwt",
            claims=claims,
            official=f"{office.id}/wohnungsgeber-{reg.id}",
            tx_code=code,
            office=office.id,
        )
        now = self.now()
        with self.issuer.write_lock, self._sessions.begin() as session:
            self.issuer._audit(
                session,
                AuditEvent.LANDLORD_CONFIRMED,
                created.offer_id,
                {
                    "landlord_id": reg.id,
                    "landlord_level": int(person.level),
                    "offer_id": created.offer_id,
                    "confirmation_number": claims["confirmation_number"],
                },
                now,
            )
            session.add(
                MessageRow(
                    id=secrets.token_hex(8),
                    recipient_sub=person.sub,
                    level=int(person.level),
                    offer_id=created.offer_id,
                    subject=f"Code zur Wohnungsgeberbestätigung {claims['confirmation_number']}",
                    body=f"Transaktionscode für Ihre Mieterin/Ihren Mieter: {code}",
                    created_at=now,
                )
            )
        self.issuer.anchor_pending()
        return created


def safe_return_to(value: str | None) -> str:
    """A local page of the issuer to return to after the login (no open redirect)."""
    if (
        value
        and value.startswith("/issuer/")
        and "//" not in value
        and "\\" not in value
        and len(value) <= 200
        and value.isprintable()
    ):
        return value
    return "/issuer/"


def level_of(name: str | None) -> LevelOfAssurance:
    """The login level a page asks for (``niveau``), by its German name."""
    return {"substanziell": LevelOfAssurance.SUBSTANTIAL, "hoch": LevelOfAssurance.HIGH}.get(
        name or "", LevelOfAssurance.LOW
    )


def type_name(configuration_id: str) -> str:
    """The German name of a credential configuration."""
    ctype = configurations().get(configuration_id)
    return ctype.name_de if ctype else configuration_id


def vct_name(vct: str) -> str:
    """The German name of a credential type by vct."""
    try:
        return credential_type(vct).name_de
    except GovchainError:
        return vct
