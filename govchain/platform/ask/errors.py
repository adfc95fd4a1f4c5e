"""Errors of the ASK (Aktenstrukturkataster).

Tree (below ``govchain.errors.ServiceError``)::

    AskError                          400 ask-error
    ├── InvalidInputError             422 invalid-input      questionnaire or query invalid
    ├── EntryNotFoundError            404 entry-not-found    no such entry *in this tenant*
    ├── DuplicateFilePlanNumberError  409 duplicate-file-plan-number
    ├── EntryStateError               409 invalid-state      change not allowed in this state
    ├── NotAuthenticatedError         401 not-authenticated  no official identified
    ├── DevIdentityError              400 dev-identity-malformed
    ├── DevIdentityRefusedError       403 dev-identity-refused  dev mechanism outside development
    ├── RoleRequiredError             403 role-required      e.g. review needs an archivist
    └── CsrfError                     403 csrf-error
        ├── CsrfTokenMissingError     403 csrf-missing
        └── CsrfTokenInvalidError     403 csrf-invalid

An entry of another tenant is reported exactly like a missing one (404), so that ids
never reveal what other cities or offices keep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from govchain.errors import ServiceError

__all__ = [
    "AskError",
    "CsrfError",
    "CsrfTokenInvalidError",
    "CsrfTokenMissingError",
    "DevIdentityError",
    "DevIdentityRefusedError",
    "DuplicateFilePlanNumberError",
    "EntryNotFoundError",
    "EntryStateError",
    "FieldProblem",
    "InvalidInputError",
    "NotAuthenticatedError",
    "RoleRequiredError",
]


class AskError(ServiceError):
    """Anything the ASK refuses."""

    status = 400
    code = "ask-error"


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: its name, and what is wrong in English and German."""

    field: str
    message: str
    message_de: str


class InvalidInputError(AskError):
    """A questionnaire entry, review or query that fails validation; lists every field."""

    status = 422
    code = "invalid-input"

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "The input is invalid: " + "; ".join(p.message for p in self.problems) + ".",
            "Die Eingabe ist ungültig: " + "; ".join(p.message_de for p in self.problems) + ".",
        )


class EntryNotFoundError(AskError):
    """No entry has this id in the official's tenant (other tenants' entries included)."""

    status = 404
    code = "entry-not-found"

    def __init__(self, entry_id: str) -> None:
        shown = entry_id if len(entry_id) <= 40 else entry_id[:37] + "..."
        super().__init__(
            f"There is no catalogue entry {shown!r} in your tenant.",
            f"In Ihrem Mandanten gibt es keinen Katalogeintrag {shown!r}.",
        )
        self.entry_id = entry_id


class DuplicateFilePlanNumberError(AskError):
    """A tenant describes each file plan number (Aktenplankennzeichen) once."""

    status = 409
    code = "duplicate-file-plan-number"

    def __init__(self, file_plan_number: str) -> None:
        super().__init__(
            f"The file plan number {file_plan_number!r} is already described in your tenant; "
            "edit that entry instead.",
            f"Das Aktenplankennzeichen {file_plan_number!r} ist in Ihrem Mandanten bereits "
            "erfasst; bitte diesen Eintrag bearbeiten.",
        )
        self.file_plan_number = file_plan_number


class EntryStateError(AskError):
    """The entry's state does not allow this change (e.g. editing a submitted entry)."""

    status = 409
    code = "invalid-state"

    def __init__(self, action: str, action_de: str, state: str, state_de: str) -> None:
        super().__init__(
            f"Cannot {action}: the entry is {state}.",
            f"{action_de} ist nicht möglich: der Eintrag ist im Status „{state_de}“.",
        )
        self.state = state


class NotAuthenticatedError(AskError):
    """No official could be identified for this request."""

    status = 401
    code = "not-authenticated"

    def __init__(self, development: bool) -> None:
        hint = (
            " In development, send the X-Govchain-Dev-Official header or sign in at "
            "/ask/dev-anmeldung."
            if development
            else " Officials' login is not available yet."
        )
        hint_de = (
            " In der Entwicklung den Header X-Govchain-Dev-Official senden oder unter "
            "/ask/dev-anmeldung anmelden."
            if development
            else " Die Anmeldung für Beschäftigte ist noch nicht verfügbar."
        )
        super().__init__(
            "Sign-in required: no official is identified." + hint,
            "Anmeldung erforderlich: keine Beschäftigte bzw. kein Beschäftigter erkannt." + hint_de,
        )


class DevIdentityError(AskError):
    """The development identity is not of the form ``<tenant>/<official>[/<role>]``."""

    code = "dev-identity-malformed"

    def __init__(self, value: str, reason: str, reason_de: str) -> None:
        shown = value if len(value) <= 80 else value[:77] + "..."
        super().__init__(
            f"The development identity {shown!r} is unusable: {reason}. Use "
            "<tenant>/<official>[/official|archivist], e.g. aachen/anna.schmidt/archivist.",
            f"Die Entwicklungs-Identität {shown!r} ist unbrauchbar: {reason_de}. Format "
            "<Mandant>/<Kennung>[/official|archivist], z. B. aachen/anna.schmidt/archivist.",
        )


class DevIdentityRefusedError(AskError):
    """The development identity mechanism was used outside development."""

    status = 403
    code = "dev-identity-refused"

    def __init__(self) -> None:
        super().__init__(
            "The development identity (X-Govchain-Dev-Official) is refused: it is accepted "
            "only when GOVCHAIN_ENVIRONMENT=development.",
            "Die Entwicklungs-Identität (X-Govchain-Dev-Official) wird abgelehnt: sie gilt "
            "nur bei GOVCHAIN_ENVIRONMENT=development.",
        )


class RoleRequiredError(AskError):
    """The official's role does not allow this action."""

    status = 403
    code = "role-required"

    def __init__(self, role: str, role_de: str) -> None:
        super().__init__(
            f"Only the role {role!r} may do this.",
            f"Nur die Rolle „{role_de}“ darf das.",
        )
        self.role = role


class CsrfError(AskError):
    """A form post without a valid anti-forgery token."""

    status = 403
    code = "csrf-error"


class CsrfTokenMissingError(CsrfError):
    """The form field or the cookie carrying the anti-forgery token is missing."""

    code = "csrf-missing"

    def __init__(self) -> None:
        super().__init__(
            "The form's security token is missing; reload the page and send the form again.",
            "Das Sicherheitstoken des Formulars fehlt; bitte die Seite neu laden und das "
            "Formular erneut senden.",
        )


class CsrfTokenInvalidError(CsrfError):
    """The anti-forgery token does not match the cookie or is not signed by this service."""

    code = "csrf-invalid"

    def __init__(self) -> None:
        super().__init__(
            "The form's security token is invalid; reload the page and send the form again.",
            "Das Sicherheitstoken des Formulars ist ungültig; bitte die Seite neu laden und "
            "das Formular erneut senden.",
        )
