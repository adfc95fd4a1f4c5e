"""The archive's database: SQLAlchemy 2 models on SQLite (WAL, fully synchronous), schema
managed by the archive's own Alembic migrations (version table
``alembic_version_archive``), applied when the database is opened."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from govchain._sql import Migrations, open_engine

__all__ = [
    "MIGRATIONS",
    "VERSION_TABLE",
    "AipFileRow",
    "AipRow",
    "Base",
    "EventRow",
    "RetiredAlgorithmRow",
    "TimeStampRow",
    "open_database",
]

VERSION_TABLE = "alembic_version_archive"
MIGRATIONS = Migrations(Path(__file__).parent / "_migrations", VERSION_TABLE, "archive")


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored as naive UTC (SQLite has no time zones) and read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """The archive's tables."""


class AipRow(Base):
    """An archival information package and the metadata it was handed over with."""

    __tablename__ = "aips"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    office: Mapped[str] = mapped_column(Text)
    file_plan_number: Mapped[str] = mapped_column(Text)
    retention_end: Mapped[date] = mapped_column(Date)
    protection_end: Mapped[date] = mapped_column(Date)
    external_identifier: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    source_organization: Mapped[str | None] = mapped_column(Text)
    payload_files: Mapped[int] = mapped_column(Integer)
    payload_bytes: Mapped[int] = mapped_column(Integer)
    head_version: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_fixity_check_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    last_fixity_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    files: Mapped[list[AipFileRow]] = relationship(
        back_populates="aip", order_by="(AipFileRow.version, AipFileRow.path)"
    )


class AipFileRow(Base):
    """One file of one AIP version with both digests."""

    __tablename__ = "aip_files"

    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    sha512: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    aip: Mapped[AipRow] = relationship(back_populates="files")


class EventRow(Base):
    """A preservation event (PREMIS-like): what happened to an AIP, when, with what outcome."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identifier: Mapped[str] = mapped_column(String(64), unique=True)  # urn:uuid:...
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    detail_de: Mapped[str] = mapped_column(Text)
    agent: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TimeStampRow(Base):
    """One archive time stamp of an AIP's evidence record: its tree and root are fixed when
    it is requested, its anchor receipt arrives later."""

    __tablename__ = "time_stamps"
    __table_args__ = (UniqueConstraint("aip_id", "chain_index", "stamp_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id"), index=True)
    chain_index: Mapped[int] = mapped_column(Integer)
    stamp_index: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    algorithm: Mapped[str] = mapped_column(String(16))
    reduced_hashtree: Mapped[str | None] = mapped_column(Text)  # JSON list of lists of hex
    root: Mapped[str] = mapped_column(String(128))
    receipt_id: Mapped[str | None] = mapped_column(Text)
    receipt: Mapped[str | None] = mapped_column(Text)  # the anchor receipt, JSON
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    anchored_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RetiredAlgorithmRow(Base):
    """A hash algorithm no longer trusted for evidence, and what replaced it."""

    __tablename__ = "retired_algorithms"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    successor: Mapped[str] = mapped_column(String(16))
    retired_at: Mapped[datetime] = mapped_column(UtcDateTime)


def open_database(path: Path) -> Engine:
    """The archive's engine on ``path`` (SQLite: WAL, fully synchronous, foreign keys;
    see ``govchain._sql.open_engine``), with every migration applied."""
    engine = open_engine(f"sqlite:///{path}")
    MIGRATIONS.migrate(engine)
    return engine
