"""Example records of the four credential types (fictitious people), for the demo,
the tests and the benchmark. Dates are relative to ``today`` so the records stay
valid whenever they are used."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from govchain.chain.types import LevelOfAssurance
from govchain.credentials.types import (
    Address,
    CitizenIdClaims,
    DangerousDogPermitClaims,
    Dog,
    Enrolment,
    Exemptions,
    Holder,
    Insurance,
    Landlord,
    LandlordConfirmationClaims,
    Person,
    StreetMusicPermitClaims,
    TimeWindow,
    Zone,
)

__all__ = ["citizen_id", "dog_permit", "landlord_confirmation", "street_music_permit"]

CHIP = "276098106543210"


def dog_permit(
    today: date, *, role: str = "keeper", number: str = "AC-HU-2026-0042"
) -> DangerousDogPermitClaims:
    """A dangerous-dog permit (keeper) or proof to lead the dog (leader)."""
    leader = role == "leader"
    return DangerousDogPermitClaims(
        permit_number=number,
        role="leader" if leader else "keeper",
        holder=Holder(
            given_name="Jonas" if leader else "Erika",
            family_name="Beispiel" if leader else "Mustermann",
            birth_date=date(1990, 4, 1) if leader else date(1985, 8, 12),
        ),
        keeper_name="Erika Mustermann" if leader else None,
        dog=Dog(
            name="Bella",
            breed="American Staffordshire Terrier",
            category="listed",
            sex="female",
            birth_year=2021,
            chip_number=CHIP,
        ),
        exemptions=Exemptions(muzzle=False, leash=False),
        insurance=Insurance(
            insurer="Rheinische Haftpflicht AG",
            policy_number="HP-7781-22",
            valid_until=today + timedelta(days=300),
        ),
        conditions=("Haltung nur in der gemeldeten Wohnung",),
        issuing_office="Ordnungsamt Aachen",
        valid_from=today - timedelta(days=30),
        valid_until=today + timedelta(days=700),
    )


def street_music_permit(today: date, *, number: str = "AC-SM-2026-0107") -> StreetMusicPermitClaims:
    """A street-music permit for a duo, the whole day long so the demo never fails."""
    return StreetMusicPermitClaims(
        permit_number=number,
        performers=("Lena Klang", "Mehmet Saite"),
        group_size=2,
        instruments=("Gitarre", "Geige"),
        amplification_allowed=False,
        zones=(
            Zone(id="markt", name="Markt", excluded_instruments=("Schlagzeug",)),
            Zone(id="elisenbrunnen", name="Elisenbrunnen", excluded_instruments=("Blechbläser",)),
        ),
        date_from=today - timedelta(days=1),
        date_to=today + timedelta(days=30),
        daily_windows=(TimeWindow(start=time(0, 0), end=time(23, 59, 59)),),
        max_minutes_per_spot=30,
        min_relocation_m=200,
        issuing_office="Ordnungsamt Aachen",
    )


def landlord_confirmation(
    today: date, *, number: str = "AC-WG-2026-3310"
) -> LandlordConfirmationClaims:
    """A move-in a few days ago, confirmed by a landlord with a substantial BürgerID."""
    return LandlordConfirmationClaims(
        confirmation_number=number,
        event="move_in",
        event_date=today - timedelta(days=3),
        dwelling=Address(
            street="Pontstraße", house_number="12", postal_code="52062", city="Aachen"
        ),
        residents=(
            Person(given_name="Ana", family_name="Silva", birth_date=date(1996, 2, 3)),
            Person(given_name="Tomás", family_name="Silva", birth_date=date(2019, 9, 9)),
        ),
        landlord=Landlord(
            name="Hausverwaltung Dom GmbH",
            address=Address(street="Markt", house_number="1", postal_code="52062", city="Aachen"),
            is_owner=False,
            owner_name="Peter Eigentümer",
        ),
        landlord_identity_loa=LevelOfAssurance.SUBSTANTIAL,
        registration_office="Bürgerservice Aachen",
    )


def citizen_id(today: date, *, level: LevelOfAssurance = LevelOfAssurance.HIGH) -> CitizenIdClaims:
    """A BürgerID enrolled with the method that gives ``level``."""
    method = {
        LevelOfAssurance.LOW: "self_registration",
        LevelOfAssurance.SUBSTANTIAL: "app_identity_check",
        LevelOfAssurance.HIGH: "eid_online",
    }[level]
    return CitizenIdClaims.model_validate(
        {
            "given_name": "Ana",
            "family_name": "Silva",
            "birth_date": date(1996, 2, 3),
            "birth_place": "Porto",
            "address": Address(
                street="Pontstraße", house_number="12", postal_code="52062", city="Aachen"
            ),
            "nationalities": ("PT", "DE"),
            "level_of_assurance": level,
            "enrolment": Enrolment(
                method=method,
                time=datetime.combine(today - timedelta(days=10), time(9, 30), UTC),
            ),
            "pairwise_subjects": {
                "stadtarchiv.aachen": "u-7c1e9a",
                "kita-kompass.aachen": "u-2b77f0",
            },
        }
    )
