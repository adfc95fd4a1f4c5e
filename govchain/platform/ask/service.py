"""The ASK (Aktenstrukturkataster): each office's file structures, captured by
questionnaire, searched, evaluated by criteria and exported.

Every method takes the acting ``Official`` and works inside that official's tenant only:
the tenant is part of every query's WHERE clause, never taken from the request body, so
one city or office can neither read nor change another's entries.

An entry's life (declared once, in ``TRANSITIONS``)::

    draft ──submit──▶ submitted ──review (archivist)──▶ reviewed
      ▲                   │
      └──return (archivist, with a note)

Only drafts can be edited or deleted.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType

from sqlalchemy import Engine, Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from govchain.platform.ask import _export
from govchain.platform.ask._csrf import CsrfGuard
from govchain.platform.ask._db import migrate, open_engine
from govchain.platform.ask._identity import DevIdentities
from govchain.platform.ask._models import EntryRow, EventRow
from govchain.platform.ask.errors import (
    DuplicateFilePlanNumberError,
    EntryNotFoundError,
    EntryStateError,
    RoleRequiredError,
)
from govchain.platform.ask.schemas import (
    CatalogueQuery,
    DueEntry,
    DueInYear,
    EntryEvent,
    EntryIn,
    EntryOut,
    EntryPage,
    EntryRef,
    Evaluation,
    ExportDocument,
    MediumShare,
    RetentionClassCount,
    ReturnIn,
    ReviewIn,
    UnitTotal,
    ValueCount,
    VolumeTotal,
)
from govchain.platform.ask.types import (
    ArchivalValue,
    EntryState,
    Medium,
    Official,
    RecordType,
    RetentionClass,
    RetentionTrigger,
    Role,
    Transition,
    VolumeUnit,
)
from govchain.platform.settings import PlatformSettings
from govchain.settings import Environment

__all__ = ["TRANSITIONS", "AskService", "TransitionRule"]

log = logging.getLogger(__name__)

_MAX_SEARCH_WORDS = 10
_EVALUATED = (EntryState.SUBMITTED.value, EntryState.REVIEWED.value)


@dataclass(frozen=True)
class TransitionRule:
    """One allowed state change: from where, to where, and who may make it."""

    source: EntryState
    target: EntryState
    role: Role | None
    action: str
    action_de: str


TRANSITIONS: Mapping[Transition, TransitionRule] = MappingProxyType(
    {
        Transition.SUBMIT: TransitionRule(
            EntryState.DRAFT, EntryState.SUBMITTED, None, "submit the entry", "Einreichen"
        ),
        Transition.RETURN: TransitionRule(
            EntryState.SUBMITTED,
            EntryState.DRAFT,
            Role.ARCHIVIST,
            "return the entry",
            "Zurückgeben",
        ),
        Transition.REVIEW: TransitionRule(
            EntryState.SUBMITTED,
            EntryState.REVIEWED,
            Role.ARCHIVIST,
            "review the entry",
            "Bewerten",
        ),
    }
)


def _now() -> datetime:
    return datetime.now(UTC)


def _search_text(*parts: str) -> str:
    """What free-text search matches: case-folded (ß = ss, Ä = ä) in every database."""
    return unicodedata.normalize("NFKC", " ".join(parts)).casefold()


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _milli(amount: Decimal) -> int:
    return int((amount * 1000).to_integral_exact())


def _amount(milli: int) -> float:
    return float(Decimal(milli) / 1000)


def _out(row: EntryRow) -> EntryOut:
    return EntryOut(
        id=row.id,
        tenant=row.tenant_id,
        state=EntryState(row.state),
        file_plan_number=row.file_plan_number,
        title=row.title,
        description=row.description,
        org_unit=row.org_unit,
        record_type=RecordType(row.record_type),
        medium=Medium(row.medium),
        volume_amount=_amount(row.volume_milli),
        volume_unit=VolumeUnit(row.volume_unit),
        first_year=row.first_year,
        last_year=row.last_year,
        retention_years=row.retention_years,
        retention_class=RetentionClass.of(row.retention_years),
        retention_trigger=RetentionTrigger(row.retention_trigger),
        legal_basis=row.legal_basis,
        protection_period_years=row.protection_period_years,
        archival_value=ArchivalValue(row.archival_value),
        review_note=row.review_note,
        contact_name=row.contact_name,
        contact_email=row.contact_email,
        contact_phone=row.contact_phone,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
    )


def _fill(row: EntryRow, data: EntryIn) -> None:
    row.file_plan_number = data.file_plan_number
    row.title = data.title
    row.description = data.description
    row.search_text = _search_text(data.file_plan_number, data.title, data.description)
    row.org_unit = data.org_unit
    row.record_type = data.record_type.value
    row.medium = data.medium.value
    row.volume_milli = _milli(data.volume_amount)
    row.volume_unit = data.volume_unit.value
    row.first_year = data.first_year
    row.last_year = data.last_year
    row.retention_years = data.retention_years
    row.retention_trigger = data.retention_trigger.value
    row.legal_basis = data.legal_basis
    row.protection_period_years = data.protection_period_years
    row.contact_name = data.contact_name
    row.contact_email = data.contact_email
    row.contact_phone = data.contact_phone


class AskService:
    """The catalogue of one platform app: all tenants in one database, strictly apart."""

    def __init__(
        self,
        engine: Engine,
        *,
        development: bool,
        csrf_secret: bytes | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock
        self.identities = DevIdentities(development=development)
        self.csrf = CsrfGuard(csrf_secret)

    @classmethod
    def from_settings(cls, settings: PlatformSettings) -> AskService:
        """Open the catalogue database, apply pending migrations, and serve it."""
        engine = open_engine(settings.ask_url)
        migrate(engine)
        secret = settings.ask_csrf_secret
        return cls(
            engine,
            development=settings.environment is Environment.DEVELOPMENT,
            csrf_secret=None if secret is None else secret.get_secret_value().encode(),
        )

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    # --- entries ----------------------------------------------------------------------

    def create(self, official: Official, data: EntryIn) -> EntryOut:
        """A new draft entry in the official's tenant."""
        now = self._clock()
        row = EntryRow(
            id=uuid.uuid4().hex,
            tenant_id=official.tenant,
            state=EntryState.DRAFT.value,
            archival_value=ArchivalValue.PENDING.value,
            review_note="",
            created_by=official.name,
            created_at=now,
            updated_at=now,
        )
        _fill(row, data)
        with self._sessions.begin() as session:
            self._refuse_duplicate(session, official, data.file_plan_number, None)
            session.add(row)
            self._record(session, official, row.id, "create", None, EntryState.DRAFT, "")
            self._flush(session, data.file_plan_number)
            log.info("ASK entry %s created in %s by %s", row.id, official.tenant, official.name)
            return _out(row)

    def get(self, official: Official, entry_id: str) -> EntryOut:
        """One entry of the official's tenant."""
        with self._sessions() as session:
            return _out(self._row(session, official, entry_id))

    def update(self, official: Official, entry_id: str, data: EntryIn) -> EntryOut:
        """Replace a draft's answers (only drafts can change)."""
        with self._sessions.begin() as session:
            row = self._row(session, official, entry_id)
            self._require_draft(row, "change the entry", "Ändern")
            self._refuse_duplicate(session, official, data.file_plan_number, row.id)
            _fill(row, data)
            row.updated_at = self._clock()
            self._record(session, official, row.id, "update", None, None, "")
            self._flush(session, data.file_plan_number)
            return _out(row)

    def delete(self, official: Official, entry_id: str) -> None:
        """Delete a draft; its history stays, with a line saying it was deleted."""
        with self._sessions.begin() as session:
            row = self._row(session, official, entry_id)
            self._require_draft(row, "delete the entry", "Löschen")
            self._record(session, official, row.id, "delete", EntryState.DRAFT, None, "")
            session.delete(row)

    def transition(
        self,
        official: Official,
        entry_id: str,
        action: Transition,
        details: ReviewIn | ReturnIn | None = None,
    ) -> EntryOut:
        """Move an entry along ``TRANSITIONS``: the one place states change.

        ``details`` is the archivist's assessment for ``review`` and the note for ``return``.
        """
        rule = TRANSITIONS[action]
        if rule.role is not None and official.role is not rule.role:
            raise RoleRequiredError(rule.role.value, rule.role.label_de)
        with self._sessions.begin() as session:
            row = self._row(session, official, entry_id)
            if row.state != rule.source.value:
                state = EntryState(row.state)
                raise EntryStateError(rule.action, rule.action_de, state.value, state.label_de)
            now = self._clock()
            note = ""
            if action is Transition.SUBMIT:
                row.submitted_at = now
            elif action is Transition.REVIEW:
                if not isinstance(details, ReviewIn):
                    raise TypeError("a review needs ReviewIn")
                row.archival_value = details.archival_value.value
                row.review_note = note = details.note
                row.reviewed_by = official.name
                row.reviewed_at = now
            elif action is Transition.RETURN:
                if not isinstance(details, ReturnIn):
                    raise TypeError("returning an entry needs ReturnIn")
                row.review_note = note = details.note
                row.submitted_at = None
            row.state = rule.target.value
            row.updated_at = now
            self._record(session, official, row.id, action.value, rule.source, rule.target, note)
            log.info("ASK entry %s: %s by %s", row.id, action.value, official.name)
            return _out(row)

    def history(self, official: Official, entry_id: str) -> list[EntryEvent]:
        """Who did what to an entry, oldest first."""
        with self._sessions() as session:
            self._row(session, official, entry_id)
            rows = session.scalars(
                select(EventRow)
                .where(EventRow.tenant_id == official.tenant, EventRow.entry_id == entry_id)
                .order_by(EventRow.id)
            )
            return [
                EntryEvent(
                    at=e.at,
                    actor=e.actor,
                    action=e.action,
                    from_state=None if e.from_state is None else EntryState(e.from_state),
                    to_state=None if e.to_state is None else EntryState(e.to_state),
                    note=e.note,
                )
                for e in rows
            ]

    # --- search, evaluation, export ------------------------------------------------------

    def search(self, official: Official, query: CatalogueQuery) -> EntryPage:
        """The tenant's entries matching the query, by file plan number, one page."""
        stmt = self._matching(official, query)
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = session.scalars(stmt.limit(query.limit).offset(query.offset))
            items = [_out(r) for r in rows]
        return EntryPage(total=total, limit=query.limit, offset=query.offset, items=items)

    def evaluate(self, official: Official, year: int | None = None) -> Evaluation:
        """The tenant's catalogue by criteria, and what is due for the archive in ``year``.

        Drafts are not counted (their answers are not final). Files of a structure whose
        retention runs from closing are due in year Y when they were closed in
        Y - retention - 1 (the period starts at the end of the closing year) and the
        structure ran in that year.
        """
        year = self._clock().year if year is None else year
        tenant = EntryRow.tenant_id == official.tenant
        evaluated = EntryRow.state.in_(_EVALUATED)
        with self._sessions() as session:
            drafts = session.scalar(
                select(func.count()).where(tenant, EntryRow.state == EntryState.DRAFT.value)
            )
            volumes = session.execute(
                select(
                    EntryRow.medium,
                    EntryRow.volume_unit,
                    func.sum(EntryRow.volume_milli),
                    func.count(),
                )
                .where(tenant, evaluated)
                .group_by(EntryRow.medium, EntryRow.volume_unit)
            ).all()
            by_years = session.execute(
                select(EntryRow.retention_years, func.count())
                .where(tenant, evaluated)
                .group_by(EntryRow.retention_years)
            ).all()
            by_value: dict[str, int] = {
                value: count
                for value, count in session.execute(
                    select(EntryRow.archival_value, func.count())
                    .where(tenant, evaluated)
                    .group_by(EntryRow.archival_value)
                )
            }
            span = EntryRow.retention_years + 1
            due_rows = session.scalars(
                select(EntryRow)
                .where(
                    tenant,
                    evaluated,
                    EntryRow.retention_trigger == RetentionTrigger.CLOSING.value,
                    EntryRow.first_year + span <= year,
                    or_(EntryRow.last_year.is_(None), EntryRow.last_year + span >= year),
                )
                .order_by(EntryRow.file_plan_number, EntryRow.id)
            ).all()
            event_rows = session.scalars(
                select(EntryRow)
                .where(
                    tenant, evaluated, EntryRow.retention_trigger == RetentionTrigger.EVENT.value
                )
                .order_by(EntryRow.file_plan_number, EntryRow.id)
            ).all()
        return self._evaluation(
            official, year, drafts or 0, volumes, by_years, by_value, due_rows, event_rows
        )

    def export_csv(self, official: Official, query: CatalogueQuery) -> bytes:
        """All entries matching the query (no paging) as CSV for German Excel."""
        return _export.to_csv(self._all_matching(official, query))

    def export_json(self, official: Official, query: CatalogueQuery) -> bytes:
        """All entries matching the query (no paging) as a JSON export document."""
        document = ExportDocument(
            tenant=official.tenant,
            exported_at=self._clock(),
            entries=self._all_matching(official, query),
        )
        return _export.to_json(document)

    # --- internals ------------------------------------------------------------------------

    def _row(self, session: Session, official: Official, entry_id: str) -> EntryRow:
        row = session.scalar(
            select(EntryRow).where(EntryRow.tenant_id == official.tenant, EntryRow.id == entry_id)
        )
        if row is None:
            raise EntryNotFoundError(entry_id)
        return row

    @staticmethod
    def _require_draft(row: EntryRow, action: str, action_de: str) -> None:
        if row.state != EntryState.DRAFT.value:
            state = EntryState(row.state)
            raise EntryStateError(action, action_de, state.value, state.label_de)

    @staticmethod
    def _refuse_duplicate(
        session: Session, official: Official, file_plan_number: str, own_id: str | None
    ) -> None:
        other = session.scalar(
            select(EntryRow.id).where(
                EntryRow.tenant_id == official.tenant,
                EntryRow.file_plan_number == file_plan_number,
            )
        )
        if other is not None and other != own_id:
            raise DuplicateFilePlanNumberError(file_plan_number)

    @staticmethod
    def _flush(session: Session, file_plan_number: str) -> None:
        # The unique constraint settles a race between two officials saving the same number.
        try:
            session.flush()
        except IntegrityError as err:
            raise DuplicateFilePlanNumberError(file_plan_number) from err

    def _record(
        self,
        session: Session,
        official: Official,
        entry_id: str,
        action: str,
        source: EntryState | None,
        target: EntryState | None,
        note: str,
    ) -> None:
        session.add(
            EventRow(
                tenant_id=official.tenant,
                entry_id=entry_id,
                at=self._clock(),
                actor=f"{official.name} ({official.role.value})",
                action=action,
                from_state=None if source is None else source.value,
                to_state=None if target is None else target.value,
                note=note,
            )
        )

    def _matching(self, official: Official, query: CatalogueQuery) -> Select[EntryRow]:
        stmt = select(EntryRow).where(EntryRow.tenant_id == official.tenant)
        for word in _search_text(query.q or "").split()[:_MAX_SEARCH_WORDS]:
            stmt = stmt.where(EntryRow.search_text.like(_like_pattern(word), escape="\\"))
        if query.medium is not None:
            stmt = stmt.where(EntryRow.medium == query.medium.value)
        if query.retention_class is not None:
            low, high = query.retention_class.bounds
            stmt = stmt.where(EntryRow.retention_years.between(low, high))
        if query.archival_value is not None:
            stmt = stmt.where(EntryRow.archival_value == query.archival_value.value)
        if query.state is not None:
            stmt = stmt.where(EntryRow.state == query.state.value)
        return stmt.order_by(EntryRow.file_plan_number, EntryRow.id)

    def _all_matching(self, official: Official, query: CatalogueQuery) -> list[EntryOut]:
        with self._sessions() as session:
            return [_out(r) for r in session.scalars(self._matching(official, query))]

    @staticmethod
    def _evaluation(
        official: Official,
        year: int,
        drafts: int,
        volumes: Sequence[tuple[str, str, int | None, int]],
        by_years: Sequence[tuple[int, int]],
        by_value: Mapping[str, int],
        due_rows: Sequence[EntryRow],
        event_rows: Sequence[EntryRow],
    ) -> Evaluation:
        medium_order = list(Medium)
        unit_order = list(VolumeUnit)
        volume_totals = sorted(
            (
                VolumeTotal(medium=Medium(m), unit=VolumeUnit(u), total=_amount(s or 0), entries=n)
                for m, u, s, n in volumes
            ),
            key=lambda v: (medium_order.index(v.medium), unit_order.index(v.unit)),
        )
        per_medium = {m: sum(v.entries for v in volume_totals if v.medium is m) for m in Medium}
        total = sum(per_medium.values())
        per_class = dict.fromkeys(RetentionClass, 0)
        for years, count in by_years:
            per_class[RetentionClass.of(years)] += count
        due_items = [
            DueEntry(
                entry_id=r.id,
                file_plan_number=r.file_plan_number,
                title=r.title,
                closed_in=year - r.retention_years - 1,
                volume_amount=_amount(r.volume_milli),
                volume_unit=VolumeUnit(r.volume_unit),
                archival_value=ArchivalValue(r.archival_value),
            )
            for r in due_rows
        ]

        def totals(values: set[ArchivalValue]) -> list[UnitTotal]:
            sums: dict[VolumeUnit, int] = {}
            for r in due_rows:
                if ArchivalValue(r.archival_value) in values:
                    unit = VolumeUnit(r.volume_unit)
                    sums[unit] = sums.get(unit, 0) + r.volume_milli
            return [UnitTotal(unit=u, total=_amount(sums[u])) for u in VolumeUnit if u in sums]

        return Evaluation(
            tenant=official.tenant,
            entries=total,
            drafts_excluded=drafts,
            volume_by_medium=volume_totals,
            by_retention_class=[
                RetentionClassCount(retention_class=c, label_de=c.label_de, entries=n)
                for c, n in per_class.items()
            ],
            by_archival_value=[
                ValueCount(archival_value=v, label_de=v.label_de, entries=by_value.get(v.value, 0))
                for v in ArchivalValue
            ],
            medium_share=[
                MediumShare(
                    medium=m,
                    label_de=m.label_de,
                    entries=per_medium[m],
                    percent=round(100 * per_medium[m] / total, 1) if total else 0.0,
                )
                for m in Medium
            ],
            due=DueInYear(
                year=year,
                items=due_items,
                to_archive=totals({ArchivalValue.YES, ArchivalValue.PARTIAL}),
                to_destroy=totals({ArchivalValue.NO}),
                unassessed=totals({ArchivalValue.PENDING}),
                event_based=[
                    EntryRef(entry_id=r.id, file_plan_number=r.file_plan_number, title=r.title)
                    for r in event_rows
                ],
            ),
        )
