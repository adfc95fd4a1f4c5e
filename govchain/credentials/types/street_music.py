"""Erlaubnis für Straßenmusik (street-music permit)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govchain.credentials._reasons import ReasonCode
from govchain.credentials.types._base import (
    ClaimSpec,
    CredentialClaims,
    CredentialType,
    PolicyContext,
    PolicyFinding,
    day_bounds,
    need,
    need_date,
    need_time,
)

__all__ = ["StreetMusicPermit", "StreetMusicPermitClaims", "TimeWindow", "Zone"]

VCT = "https://vct.govchain.de/strassenmusik/v1"
_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Zone(BaseModel):
    """A zone of the city where the permit applies, with instruments excluded there."""

    model_config = _FROZEN

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    name: str = Field(min_length=1, max_length=80)
    excluded_instruments: tuple[str, ...] = ()


class TimeWindow(BaseModel):
    """A daily window [start, end) of local time."""

    model_config = _FROZEN

    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError("a time window must end after it starts")
        return self


class StreetMusicPermitClaims(CredentialClaims):
    """A named performer or group, dates, zones and daily windows."""

    permit_number: str = Field(min_length=1, max_length=40)
    performers: tuple[str, ...] = Field(min_length=1, max_length=20)
    group_size: int = Field(ge=1, le=20)
    instruments: tuple[str, ...] = Field(min_length=1)
    amplification_allowed: bool
    zones: tuple[Zone, ...] = Field(min_length=1)
    date_from: date
    date_to: date
    daily_windows: tuple[TimeWindow, ...] = Field(min_length=1)
    max_minutes_per_spot: int = Field(ge=5, le=240)
    min_relocation_m: int = Field(ge=0, le=5000)
    issuing_office: str = Field(min_length=1, max_length=120)

    @model_validator(mode="after")
    def _rules(self) -> StreetMusicPermitClaims:
        if self.date_to < self.date_from:
            raise ValueError("date_to must not lie before date_from")
        if self.group_size < len(self.performers):
            raise ValueError("group_size must count every named performer")
        if len({z.id for z in self.zones}) != len(self.zones):
            raise ValueError("zone ids must be unique")
        return self


class StreetMusicPermit(CredentialType):
    """Erlaubnis für Straßenmusik."""

    vct = VCT
    model = StreetMusicPermitClaims
    name_de = "Erlaubnis für Straßenmusik"
    name_en = "Street music permit"
    description_de = (
        "Erlaubnis für Straßenmusik an bestimmten Tagen, in bestimmten Zonen und Zeitfenstern."
    )
    description_en = "Permit to play street music on given dates, in given zones and windows."
    claims = (
        ClaimSpec(("permit_number",), "Erlaubnisnummer", "Permit number", "never", True),
        ClaimSpec(("performers",), "Musiker/innen", "Performers", "never", True),
        ClaimSpec(("performers", None), "Name", "Name"),
        ClaimSpec(("group_size",), "Gruppengröße", "Group size", "never"),
        ClaimSpec(("instruments",), "Instrumente", "Instruments", "never"),
        ClaimSpec(("amplification_allowed",), "Verstärker erlaubt", "Amplification", "never"),
        ClaimSpec(("zones",), "Zonen", "Zones", "never", True),
        ClaimSpec(("date_from",), "Gültig ab", "Valid from", "never", True),
        ClaimSpec(("date_to",), "Gültig bis", "Valid until", "never", True),
        ClaimSpec(("daily_windows",), "Tägliche Zeitfenster", "Daily windows", "never", True),
        ClaimSpec(
            ("max_minutes_per_spot",),
            "Höchstdauer je Standort (min)",
            "Max minutes per spot",
            "never",
        ),
        ClaimSpec(
            ("min_relocation_m",),
            "Mindestabstand beim Wechsel (m)",
            "Min relocation distance (m)",
            "never",
        ),
        ClaimSpec(("issuing_office",), "Ausstellende Behörde", "Issuing office", "never"),
    )

    def validity(self, claims: CredentialClaims) -> tuple[int | None, int | None]:
        """From the first day's start to the last day's end, in the cities' time zone."""
        assert isinstance(claims, StreetMusicPermitClaims)
        return day_bounds(claims.date_from, claims.date_to)

    def check_policy(
        self, claims: Mapping[str, Any], at: datetime, context: PolicyContext
    ) -> PolicyFinding | None:
        """Today within the dates, now within a window, the officer's zone allowed."""
        start, end = need_date(claims, "date_from"), need_date(claims, "date_to")
        today = at.date()
        if not start <= today <= end:
            return PolicyFinding(
                ReasonCode.OUTSIDE_PERMIT_DATES, {"start": start, "end": end, "date": today}
            )
        windows = [
            (need_time(w["start"]), need_time(w["end"])) for w in need(claims, "daily_windows")
        ]
        now = at.time().replace(tzinfo=None)
        if not any(a <= now < b for a, b in windows):
            shown = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in windows)
            return PolicyFinding(
                ReasonCode.OUTSIDE_TIME_WINDOW, {"time": f"{now:%H:%M}", "windows": shown}
            )
        if context.zone is not None:
            zones = {z["id"]: z for z in need(claims, "zones")}
            zone = zones.get(context.zone)
            if zone is None:
                return PolicyFinding(ReasonCode.ZONE_NOT_ALLOWED, {"zone": context.zone})
            instrument = context.instrument
            if instrument is not None and (
                instrument not in need(claims, "instruments")
                or instrument in zone.get("excluded_instruments", ())
            ):
                return PolicyFinding(
                    ReasonCode.INSTRUMENT_NOT_ALLOWED,
                    {"instrument": instrument, "zone": context.zone},
                )
        return None
