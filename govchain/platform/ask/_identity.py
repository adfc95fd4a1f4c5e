"""Who is acting: the DEVELOPMENT-ONLY identity of officials.

Until officials sign in (the officials' login and "Login mit BürgerID" do not exist
yet), the ASK identifies an official by a value ``<tenant>/<official>[/<role>]``, sent
as the header ``X-Govchain-Dev-Official`` (API and pages) or, for a browser, kept in the
cookie set by ``/ask/dev-anmeldung``. Nothing is verified: whoever sends it *is* that
official. It is therefore accepted only when ``GOVCHAIN_ENVIRONMENT=development`` and
refused with 403 everywhere else. The real login replaces ``DevIdentities.identify``.
"""

from __future__ import annotations

import re

from govchain.platform.ask.errors import (
    DevIdentityError,
    DevIdentityRefusedError,
    NotAuthenticatedError,
)
from govchain.platform.ask.types import Official, Role, TenantId

__all__ = ["DEV_COOKIE", "DEV_HEADER", "DevIdentities", "parse_dev_identity"]

DEV_HEADER = "X-Govchain-Dev-Official"
DEV_COOKIE = "govchain_ask_dev_official"

_TENANT = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_OFFICIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")


def parse_dev_identity(value: str) -> Official:
    """An official from ``<tenant>/<official>[/<role>]`` (role defaults to ``official``)."""
    parts = value.strip().split("/")
    if len(parts) not in (2, 3):
        raise DevIdentityError(
            value,
            "it needs two or three parts separated by '/'",
            "sie braucht zwei oder drei durch '/' getrennte Teile",
        )
    tenant, name = parts[0], parts[1]
    if not _TENANT.match(tenant):
        raise DevIdentityError(
            value,
            f"the tenant {tenant!r} must be 1 to 64 characters a-z, 0-9, '.', '-', '_'",
            f"der Mandant {tenant!r} muss aus 1 bis 64 Zeichen a-z, 0-9, '.', '-', '_' bestehen",
        )
    if not _OFFICIAL.match(name):
        raise DevIdentityError(
            value,
            f"the official {name!r} must be 1 to 128 characters A-Z, a-z, 0-9, '.', '_', '@', '-'",
            f"die Kennung {name!r} muss aus 1 bis 128 Zeichen A-Z, a-z, 0-9, '.', '_', '@', '-' "
            "bestehen",
        )
    try:
        role = Role(parts[2]) if len(parts) == 3 else Role.OFFICIAL
    except ValueError as err:
        raise DevIdentityError(
            value,
            f"the role {parts[2]!r} is unknown (official or archivist)",
            f"die Rolle {parts[2]!r} ist unbekannt (official oder archivist)",
        ) from err
    return Official(TenantId(tenant), name, role)


class DevIdentities:
    """Resolves the development identity, or refuses it outside development."""

    def __init__(self, *, development: bool) -> None:
        self.development = development

    def identify(self, header: str | None, cookie: str | None = None) -> Official:
        """The official named by the header (preferred) or the cookie.

        Raises:
            DevIdentityRefusedError: a development identity outside development.
            NotAuthenticatedError: nothing names an official.
            DevIdentityError: the value is malformed.
        """
        value = header if header is not None else cookie
        if value is not None and not self.development:
            raise DevIdentityRefusedError()
        if value is None or not value.strip():
            raise NotAuthenticatedError(self.development)
        return parse_dev_identity(value)

    def check_allowed(self) -> None:
        """Refuse the development sign-in page outside development."""
        if not self.development:
            raise DevIdentityRefusedError()
