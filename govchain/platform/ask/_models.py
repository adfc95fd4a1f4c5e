"""The ASK's tables (SQLAlchemy 2). Alembic migrations in ``_migrations`` create them;
a test checks that the migrations and these models agree.

Every row carries its ``tenant_id`` and every query filters by it. Enumerations are
stored as short strings with CHECK constraints (no native ENUM types), volumes as
integer thousandths (exact sums, no floating point), times in UTC: all of it plain SQL
that SQLite and PostgreSQL read the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from govchain.platform.ask.types import (
    ArchivalValue,
    EntryState,
    Medium,
    RecordType,
    RetentionTrigger,
    VolumeUnit,
)

__all__ = ["Base", "EntryRow", "EventRow", "UtcDateTime"]


def _one_of(column: str, values: type[StrEnum]) -> str:
    names = ", ".join(f"'{v.value}'" for v in values)
    return f"{column} IN ({names})"


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC time; SQLite hands times back naive, so UTC is put back."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The ASK's own metadata, with constraint names fixed for portable migrations."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class EntryRow(Base):
    """One file structure of one tenant, as described by questionnaire."""

    __tablename__ = "ask_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "file_plan_number"),
        Index("ix_ask_entries_tenant_state", "tenant_id", "state"),
        CheckConstraint(_one_of("state", EntryState), name="state"),
        CheckConstraint(_one_of("record_type", RecordType), name="record_type"),
        CheckConstraint(_one_of("medium", Medium), name="medium"),
        CheckConstraint(_one_of("volume_unit", VolumeUnit), name="volume_unit"),
        CheckConstraint(_one_of("retention_trigger", RetentionTrigger), name="retention_trigger"),
        CheckConstraint(_one_of("archival_value", ArchivalValue), name="archival_value"),
        CheckConstraint("volume_milli >= 0", name="volume_not_negative"),
        CheckConstraint("retention_years BETWEEN 0 AND 120", name="retention_range"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    file_plan_number: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    org_unit: Mapped[str] = mapped_column(String(200))
    record_type: Mapped[str] = mapped_column(String(16))
    medium: Mapped[str] = mapped_column(String(16))
    volume_milli: Mapped[int] = mapped_column(BigInteger)
    volume_unit: Mapped[str] = mapped_column(String(16))
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int | None] = mapped_column(Integer)
    retention_years: Mapped[int] = mapped_column(Integer)
    retention_trigger: Mapped[str] = mapped_column(String(16))
    legal_basis: Mapped[str] = mapped_column(String(500))
    protection_period_years: Mapped[int | None] = mapped_column(Integer)
    archival_value: Mapped[str] = mapped_column(String(16))
    review_note: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class EventRow(Base):
    """One line of an entry's history; kept when a draft is deleted, for the record."""

    __tablename__ = "ask_entry_events"
    __table_args__ = (Index("ix_ask_entry_events_tenant_entry", "tenant_id", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    entry_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
