"""Numbers as German readers write them (decimal comma), for pages, messages and CSV."""

from __future__ import annotations

from decimal import Decimal

__all__ = ["de_number"]


def de_number(value: Decimal | float | int | None) -> str:
    """``2.5`` as ``2,5`` and ``300.0`` as ``300``; ``None`` as an empty string."""
    if value is None:
        return ""
    return format(Decimal(str(value)).normalize(), "f").replace(".", ",")
