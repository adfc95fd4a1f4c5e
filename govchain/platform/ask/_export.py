"""The catalogue as a file: CSV for German Excel, JSON for machines.

CSV as German Excel opens it without an import dialog: UTF-8 with a byte order mark (else
umlauts break), ``;`` as separator (``,`` is the decimal comma), CRLF line ends, German
column headings and labels, numbers with a decimal comma. Cells that Excel would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) get a leading apostrophe,
so an entry's title can never execute in an archivist's spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import datetime

from govchain.platform.ask._german import de_number
from govchain.platform.ask.schemas import EntryOut, ExportDocument

__all__ = ["CSV_COLUMNS", "to_csv", "to_json"]

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _time(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


CSV_COLUMNS: Sequence[tuple[str, Callable[[EntryOut], str]]] = (
    ("Kennung", lambda e: e.id),
    ("Aktenplankennzeichen", lambda e: e.file_plan_number),
    ("Titel", lambda e: e.title),
    ("Beschreibung", lambda e: e.description),
    ("Organisationseinheit", lambda e: e.org_unit),
    ("Aktenart", lambda e: e.record_type.label_de),
    ("Form", lambda e: e.medium.label_de),
    ("Jahresumfang", lambda e: de_number(e.volume_amount)),
    ("Einheit", lambda e: e.volume_unit.label_de),
    ("Laufzeit von", lambda e: str(e.first_year)),
    ("Laufzeit bis", lambda e: "" if e.last_year is None else str(e.last_year)),
    ("Aufbewahrungsfrist (Jahre)", lambda e: str(e.retention_years)),
    ("Fristbeginn", lambda e: e.retention_trigger.label_de),
    ("Rechtsgrundlage", lambda e: e.legal_basis),
    ("Schutzfrist (Jahre)", lambda e: de_number(e.protection_period_years)),
    ("Archivwürdigkeit", lambda e: e.archival_value.label_de),
    ("Status", lambda e: e.state.label_de),
    ("Ansprechperson", lambda e: e.contact_name),
    ("E-Mail", lambda e: e.contact_email or ""),
    ("Telefon", lambda e: e.contact_phone or ""),
    ("Erfasst von", lambda e: e.created_by),
    ("Geändert am", lambda e: _time(e.updated_at)),
)


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(entries: Sequence[EntryOut]) -> bytes:
    """The entries as CSV bytes for German Excel (BOM, ``;``, decimal comma)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([heading for heading, _ in CSV_COLUMNS])
    for entry in entries:
        writer.writerow([_cell(get(entry)) for _, get in CSV_COLUMNS])
    return (BOM + buffer.getvalue()).encode("utf-8")


def to_json(document: ExportDocument) -> bytes:
    """The export document as UTF-8 JSON."""
    return document.model_dump_json(indent=2).encode("utf-8")
