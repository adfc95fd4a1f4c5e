"""Reason codes of the verification checks, with their German and English messages.

One table, so the verifier, the low-level SD-JWT code and the services all speak the
same words. Messages are templates; ``messages(code, **details)`` fills them in.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple

__all__ = ["CheckName", "ReasonCode", "check_of", "messages"]


class CheckName(StrEnum):
    """The checks of one verification, in the order they run."""

    SIGNATURE = "signature"
    DISCLOSURES = "disclosures"
    HOLDER_BINDING = "holder_binding"
    TIME_VALIDITY = "time_validity"
    STATUS = "status"
    TRUST = "trust"
    TYPE_POLICY = "type_policy"


class ReasonCode(StrEnum):
    """Why a check came out as it did; stable strings for logs, APIs and tests."""

    # signature
    SIGNATURE_VALID = "signature_valid"
    MALFORMED = "malformed"
    ALG_NONE = "alg_none"
    ALG_NOT_ALLOWED = "alg_not_allowed"
    TYP_INVALID = "typ_invalid"
    ISSUER_INVALID = "issuer_invalid"
    ISSUER_KEY_MISMATCH = "issuer_key_mismatch"
    SIGNATURE_INVALID = "signature_invalid"
    # disclosures
    DISCLOSURES_VALID = "disclosures_valid"
    SD_ALG_UNSUPPORTED = "sd_alg_unsupported"
    DISCLOSURE_MALFORMED = "disclosure_malformed"
    DISCLOSURE_DUPLICATED = "disclosure_duplicated"
    DISCLOSURE_TAMPERED = "disclosure_tampered"
    DISCLOSURE_FOREIGN = "disclosure_foreign"
    DISCLOSURE_NOT_IN_SD = "disclosure_not_in_sd"
    DISCLOSURE_MISPLACED = "disclosure_misplaced"
    DISCLOSURE_CLAIM_CONFLICT = "disclosure_claim_conflict"
    DIGEST_REPEATED = "digest_repeated"
    # holder binding
    HOLDER_BOUND = "holder_bound"
    HOLDER_BINDING_NOT_REQUIRED = "holder_binding_not_required"
    CNF_MISSING = "cnf_missing"
    KB_MISSING = "kb_missing"
    KB_MALFORMED = "kb_malformed"
    KB_SIGNATURE_INVALID = "kb_signature_invalid"
    KB_SD_HASH_MISMATCH = "kb_sd_hash_mismatch"
    KB_NONCE_MISMATCH = "kb_nonce_mismatch"
    KB_NONCE_REPLAYED = "kb_nonce_replayed"
    KB_AUD_MISMATCH = "kb_aud_mismatch"
    KB_IAT_INVALID = "kb_iat_invalid"
    HOLDER_BINDING_NOT_REQUESTED = "holder_binding_not_requested"
    # time validity
    WITHIN_VALIDITY = "within_validity"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUED_IN_FUTURE = "issued_in_future"
    # status
    STATUS_VALID = "status_valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    STATUS_MISSING = "status_missing"
    STATUS_REFERENCE_INVALID = "status_reference_invalid"
    STATUS_UNAVAILABLE = "status_unavailable"
    STATUS_VALUE_UNKNOWN = "status_value_unknown"
    STATUS_LIST_FOREIGN = "status_list_foreign"
    STATUS_LIST_AFTER_ISSUANCE = "status_list_after_issuance"
    STATUS_OWNER_UNAVAILABLE = "status_owner_unavailable"
    # trust
    ISSUER_TRUSTED = "issuer_trusted"
    ISSUER_UNKNOWN = "issuer_unknown"
    ISSUER_DID_NOT_VALID = "issuer_did_not_valid"
    OFFICE_NOT_ACTIVE = "office_not_active"
    ISSUER_NOT_ACCREDITED = "issuer_not_accredited"
    ACCREDITATION_ENDED = "accreditation_ended"
    ISSUER_LOA_INSUFFICIENT = "issuer_loa_insufficient"
    ISSUER_KEY_NOT_REGISTERED = "issuer_key_not_registered"
    TRUST_UNAVAILABLE = "trust_unavailable"
    # type policy
    POLICY_MET = "policy_met"
    TYPE_UNKNOWN = "type_unknown"
    TYPE_UNEXPECTED = "type_unexpected"
    CLAIM_NOT_DISCLOSED = "claim_not_disclosed"
    CLAIMS_INVALID = "claims_invalid"
    MOVE_DATE_IN_FUTURE = "move_date_in_future"
    MOVE_DATE_TOO_OLD = "move_date_too_old"
    LANDLORD_LOA_INSUFFICIENT = "landlord_loa_insufficient"
    CHIP_MISMATCH = "chip_mismatch"
    INSURANCE_EXPIRED = "insurance_expired"
    OUTSIDE_PERMIT_DATES = "outside_permit_dates"
    OUTSIDE_TIME_WINDOW = "outside_time_window"
    ZONE_NOT_ALLOWED = "zone_not_allowed"
    INSTRUMENT_NOT_ALLOWED = "instrument_not_allowed"
    LOA_BELOW_MINIMUM = "loa_below_minimum"
    # any check
    NOT_CHECKED = "not_checked"


class _Entry(NamedTuple):
    check: CheckName | None
    de: str
    en: str


_S, _D, _H, _T = (
    CheckName.SIGNATURE,
    CheckName.DISCLOSURES,
    CheckName.HOLDER_BINDING,
    CheckName.TIME_VALIDITY,
)
_ST, _TR, _P = CheckName.STATUS, CheckName.TRUST, CheckName.TYPE_POLICY
R = ReasonCode

_TABLE: dict[ReasonCode, _Entry] = {
    R.SIGNATURE_VALID: _Entry(
        _S, "Die Signatur des Ausstellers ist gültig.", "The issuer's signature is valid."
    ),
    R.MALFORMED: _Entry(
        _S,
        "Der Nachweis ist nicht lesbar ({detail}).",
        "The credential cannot be read ({detail}).",
    ),
    R.ALG_NONE: _Entry(
        _S,
        "Der Nachweis ist nicht signiert (alg: none) und wird abgelehnt.",
        "The credential is unsigned (alg: none) and is refused.",
    ),
    R.ALG_NOT_ALLOWED: _Entry(
        _S,
        "Das Signaturverfahren {alg} ist nicht zugelassen (nur ES256 und EdDSA).",
        "The signature algorithm {alg} is not allowed (only ES256 and EdDSA).",
    ),
    R.TYP_INVALID: _Entry(
        _S,
        "Falscher Typ {typ!r}; erwartet wird {expected!r}.",
        "Wrong type {typ!r}; {expected!r} is expected.",
    ),
    R.ISSUER_INVALID: _Entry(
        _S,
        "Der Aussteller ist nicht als DID angegeben oder nicht auflösbar ({detail}).",
        "The issuer is not given as a resolvable DID ({detail}).",
    ),
    R.ISSUER_KEY_MISMATCH: _Entry(
        _S,
        "Der Nachweis wurde mit einem Schlüssel signiert, der nicht zum Aussteller gehört.",
        "The credential was signed with a key that does not belong to its issuer.",
    ),
    R.SIGNATURE_INVALID: _Entry(
        _S,
        "Die Signatur passt nicht: der Nachweis wurde verändert oder gefälscht.",
        "The signature does not match: the credential was altered or forged.",
    ),
    R.DISCLOSURES_VALID: _Entry(
        _D,
        "Alle offengelegten Angaben stammen unverändert vom Aussteller.",
        "Every disclosed claim comes unchanged from the issuer.",
    ),
    R.SD_ALG_UNSUPPORTED: _Entry(
        _D,
        "Das Hashverfahren {alg!r} für Offenlegungen wird nicht unterstützt.",
        "The disclosure hash algorithm {alg!r} is not supported.",
    ),
    R.DISCLOSURE_MALFORMED: _Entry(
        _D,
        "Eine Offenlegung ist nicht lesbar ({detail}).",
        "A disclosure cannot be read ({detail}).",
    ),
    R.DISCLOSURE_DUPLICATED: _Entry(
        _D,
        "Eine Offenlegung ist mehrfach enthalten.",
        "A disclosure appears more than once.",
    ),
    R.DISCLOSURE_TAMPERED: _Entry(
        _D,
        "Die Offenlegung der Angabe {claim!r} passt nicht zum Nachweis: sie wurde verändert "
        "(oder stammt aus einem anderen Nachweis desselben Typs).",
        "The disclosure of claim {claim!r} does not match the credential: it was altered "
        "(or comes from another credential of the same type).",
    ),
    R.DISCLOSURE_FOREIGN: _Entry(
        _D,
        "Die Offenlegung der Angabe {claim!r} gehört nicht zu diesem Nachweis.",
        "The disclosure of claim {claim!r} does not belong to this credential.",
    ),
    R.DISCLOSURE_NOT_IN_SD: _Entry(
        _D,
        "Die Offenlegung der Angabe {claim!r} ist nicht in einer _sd-Liste verankert.",
        "The disclosure of claim {claim!r} is not anchored in an _sd list.",
    ),
    R.DISCLOSURE_MISPLACED: _Entry(
        _D,
        "Eine Offenlegung für ein Listenelement wird als benannte Angabe verwendet.",
        "A disclosure of an array element is used as a named claim.",
    ),
    R.DISCLOSURE_CLAIM_CONFLICT: _Entry(
        _D,
        "Die Offenlegung der Angabe {claim!r} überschreibt eine vorhandene oder reservierte "
        "Angabe.",
        "The disclosure of claim {claim!r} overwrites an existing or reserved claim.",
    ),
    R.DIGEST_REPEATED: _Entry(
        _D,
        "Ein Hashwert kommt im Nachweis mehrfach vor.",
        "A digest occurs more than once in the credential.",
    ),
    R.HOLDER_BOUND: _Entry(
        _H,
        "Die vorzeigende Person besitzt den Schlüssel, an den der Nachweis gebunden ist.",
        "The presenter holds the key the credential is bound to.",
    ),
    R.HOLDER_BINDING_NOT_REQUIRED: _Entry(
        _H,
        "Eine Bindung an die vorzeigende Person wurde nicht verlangt.",
        "Holder binding was not required.",
    ),
    R.CNF_MISSING: _Entry(
        _H,
        "Der Nachweis ist an keinen Schlüssel gebunden (cnf fehlt).",
        "The credential is not bound to any key (cnf is missing).",
    ),
    R.KB_MISSING: _Entry(
        _H,
        "Der Besitznachweis (Key-Binding-JWT) fehlt.",
        "The key-binding JWT is missing.",
    ),
    R.KB_MALFORMED: _Entry(
        _H,
        "Der Besitznachweis ist nicht lesbar oder unvollständig ({detail}).",
        "The key-binding JWT cannot be read or is incomplete ({detail}).",
    ),
    R.KB_SIGNATURE_INVALID: _Entry(
        _H,
        "Der Besitznachweis ist nicht mit dem Schlüssel des Nachweisinhabers signiert.",
        "The key-binding JWT is not signed with the holder's key.",
    ),
    R.KB_SD_HASH_MISMATCH: _Entry(
        _H,
        "Der Besitznachweis gehört nicht zu dieser Vorlage (sd_hash passt nicht).",
        "The key-binding JWT belongs to another presentation (sd_hash does not match).",
    ),
    R.KB_NONCE_MISMATCH: _Entry(
        _H,
        "Der Besitznachweis trägt eine falsche Nonce.",
        "The key-binding JWT carries a wrong nonce.",
    ),
    R.KB_NONCE_REPLAYED: _Entry(
        _H,
        "Diese Vorlage wurde bereits verwendet (Nonce wiederholt).",
        "This presentation was used before (nonce replayed).",
    ),
    R.KB_AUD_MISMATCH: _Entry(
        _H,
        "Der Besitznachweis ist für einen anderen Empfänger bestimmt ({aud!r}).",
        "The key-binding JWT is meant for another audience ({aud!r}).",
    ),
    R.KB_IAT_INVALID: _Entry(
        _H,
        "Der Besitznachweis ist zu alt oder aus der Zukunft.",
        "The key-binding JWT is too old or from the future.",
    ),
    R.HOLDER_BINDING_NOT_REQUESTED: _Entry(
        _H,
        "Dieser Nachweistyp verlangt einen Besitznachweis, die Prüfung wurde aber ohne Nonce "
        "und Empfänger angefragt; der Nachweis kann so nicht geprüft werden.",
        "This credential type requires holder binding, but the verification was requested "
        "without a nonce and audience; the credential cannot be verified this way.",
    ),
    R.WITHIN_VALIDITY: _Entry(
        _T, "Der Nachweis ist zeitlich gültig.", "The credential is within its validity period."
    ),
    R.EXPIRED: _Entry(
        _T,
        "Der Nachweis ist seit {when} abgelaufen.",
        "The credential expired at {when}.",
    ),
    R.NOT_YET_VALID: _Entry(
        _T,
        "Der Nachweis gilt erst ab {when}.",
        "The credential is valid only from {when}.",
    ),
    R.ISSUED_IN_FUTURE: _Entry(
        _T,
        "Der Nachweis gibt eine Ausstellung in der Zukunft an ({when}).",
        "The credential claims to be issued in the future ({when}).",
    ),
    R.STATUS_VALID: _Entry(
        _ST,
        "Der Nachweis ist weder ausgesetzt noch widerrufen.",
        "The credential is neither suspended nor revoked.",
    ),
    R.REVOKED: _Entry(_ST, "Der Nachweis wurde widerrufen.", "The credential was revoked."),
    R.SUSPENDED: _Entry(
        _ST, "Der Nachweis ist vorübergehend ausgesetzt.", "The credential is suspended."
    ),
    R.STATUS_MISSING: _Entry(
        _ST,
        "Der Nachweis verweist auf keine Statusliste.",
        "The credential refers to no status list.",
    ),
    R.STATUS_REFERENCE_INVALID: _Entry(
        _ST,
        "Der Statusverweis ist ungültig ({detail}).",
        "The status reference is invalid ({detail}).",
    ),
    R.STATUS_UNAVAILABLE: _Entry(
        _ST,
        "Die Statusliste ist nicht erreichbar; der Nachweis kann nicht geprüft werden.",
        "The status list cannot be reached; the credential cannot be verified.",
    ),
    R.STATUS_VALUE_UNKNOWN: _Entry(
        _ST,
        "Die Statusliste meldet einen unbekannten Wert; der Nachweis gilt nicht als gültig.",
        "The status list reports an unknown value; the credential is not taken as valid.",
    ),
    R.STATUS_LIST_FOREIGN: _Entry(
        _ST,
        "Die Statusliste gehört nicht nachweislich der ausstellenden Behörde; ihr Eintrag "
        "sagt nichts über diesen Nachweis.",
        "The status list is not shown to belong to the issuing office; its entry says "
        "nothing about this credential.",
    ),
    R.STATUS_LIST_AFTER_ISSUANCE: _Entry(
        _ST,
        "Die Statusliste wurde erst nach der angeblichen Ausstellung angelegt.",
        "The status list was created only after the claimed issuance.",
    ),
    R.STATUS_OWNER_UNAVAILABLE: _Entry(
        _ST,
        "Ob die Statusliste der ausstellenden Behörde gehört, lässt sich gerade nicht prüfen; "
        "der Nachweis kann nicht geprüft werden.",
        "Whether the status list belongs to the issuing office cannot be checked right now; "
        "the credential cannot be verified.",
    ),
    R.ISSUER_TRUSTED: _Entry(
        _TR,
        "Der Aussteller war bei Ausstellung für diesen Nachweistyp akkreditiert.",
        "The issuer was accredited for this credential type when it issued it.",
    ),
    R.ISSUER_UNKNOWN: _Entry(
        _TR,
        "Der Aussteller ist im Vertrauensregister unbekannt.",
        "The issuer is unknown to the trust registry.",
    ),
    R.ISSUER_DID_NOT_VALID: _Entry(
        _TR,
        "Die DID des Ausstellers war bei Ausstellung nicht in Gebrauch.",
        "The issuer's DID was not in use when the credential was issued.",
    ),
    R.OFFICE_NOT_ACTIVE: _Entry(
        _TR,
        "Die ausstellende Behörde ist ausgesetzt oder aufgelöst.",
        "The issuing office is suspended or retired.",
    ),
    R.ISSUER_NOT_ACCREDITED: _Entry(
        _TR,
        "Der Aussteller ist für diesen Nachweistyp nicht akkreditiert.",
        "The issuer is not accredited for this credential type.",
    ),
    R.ACCREDITATION_ENDED: _Entry(
        _TR,
        "Die Akkreditierung des Ausstellers für diesen Nachweistyp endete vor der Ausstellung.",
        "The issuer's accreditation for this credential type ended before issuance.",
    ),
    R.ISSUER_LOA_INSUFFICIENT: _Entry(
        _TR,
        "Der Aussteller ist nur auf Niveau {level} akkreditiert; nötig ist {required}.",
        "The issuer is accredited only at level {level}; {required} is required.",
    ),
    R.ISSUER_KEY_NOT_REGISTERED: _Entry(
        _TR,
        "Der Schlüssel des Ausstellers stimmt nicht mit dem im Register eingetragenen überein.",
        "The issuer's key does not match the one in the trust registry.",
    ),
    R.TRUST_UNAVAILABLE: _Entry(
        _TR,
        "Das Vertrauensregister ist nicht erreichbar; der Aussteller kann nicht geprüft werden.",
        "The trust registry cannot be reached; the issuer cannot be checked.",
    ),
    R.POLICY_MET: _Entry(
        _P,
        "Die Regeln für diesen Nachweistyp sind erfüllt.",
        "The rules for this credential type are met.",
    ),
    R.TYPE_UNKNOWN: _Entry(
        _P, "Unbekannter Nachweistyp {vct!r}.", "Unknown credential type {vct!r}."
    ),
    R.TYPE_UNEXPECTED: _Entry(
        _P,
        "Vorgelegt wurde {vct!r}, verlangt war {expected!r}.",
        "{vct!r} was presented, {expected!r} was requested.",
    ),
    R.CLAIM_NOT_DISCLOSED: _Entry(
        _P,
        "Die für die Prüfung nötige Angabe {claim!r} wurde nicht offengelegt.",
        "The claim {claim!r} needed for this check was not disclosed.",
    ),
    R.CLAIMS_INVALID: _Entry(
        _P,
        "Die Angaben im Nachweis sind fehlerhaft ({detail}).",
        "The claims in the credential are invalid ({detail}).",
    ),
    R.MOVE_DATE_IN_FUTURE: _Entry(
        _P,
        "Das Einzugsdatum {date} liegt in der Zukunft.",
        "The move date {date} lies in the future.",
    ),
    R.MOVE_DATE_TOO_OLD: _Entry(
        _P,
        "Das Einzugsdatum {date} liegt mehr als {days} Tage zurück; die Meldefrist ist "
        "überschritten.",
        "The move date {date} is more than {days} days ago; the registration deadline has passed.",
    ),
    R.LANDLORD_LOA_INSUFFICIENT: _Entry(
        _P,
        "Der Wohnungsgeber hat sich nur auf Niveau {level} ausgewiesen; nötig ist "
        "mindestens substanziell.",
        "The landlord identified only at level {level}; at least substantial is required.",
    ),
    R.CHIP_MISMATCH: _Entry(
        _P,
        "Die Chipnummer des Hundes stimmt nicht mit der Erlaubnis überein.",
        "The dog's chip number does not match the permit.",
    ),
    R.INSURANCE_EXPIRED: _Entry(
        _P,
        "Die Haftpflichtversicherung ist seit {date} abgelaufen.",
        "The liability insurance expired on {date}.",
    ),
    R.OUTSIDE_PERMIT_DATES: _Entry(
        _P,
        "Die Erlaubnis gilt vom {start} bis {end}, nicht am {date}.",
        "The permit is valid from {start} to {end}, not on {date}.",
    ),
    R.OUTSIDE_TIME_WINDOW: _Entry(
        _P,
        "Um {time} Uhr ist Straßenmusik nach dieser Erlaubnis nicht erlaubt ({windows}).",
        "At {time} street music is not allowed by this permit ({windows}).",
    ),
    R.ZONE_NOT_ALLOWED: _Entry(
        _P,
        "Die Erlaubnis gilt nicht in der Zone {zone!r}.",
        "The permit is not valid in zone {zone!r}.",
    ),
    R.INSTRUMENT_NOT_ALLOWED: _Entry(
        _P,
        "Das Instrument {instrument!r} ist nach dieser Erlaubnis in der Zone {zone!r} nicht "
        "erlaubt.",
        "The instrument {instrument!r} is not allowed by this permit in zone {zone!r}.",
    ),
    R.LOA_BELOW_MINIMUM: _Entry(
        _P,
        "Die BürgerID hat Niveau {level}; verlangt ist mindestens {required}.",
        "The BürgerID has level {level}; at least {required} is required.",
    ),
    R.NOT_CHECKED: _Entry(
        None,
        "Nicht geprüft, weil eine vorherige Prüfung fehlschlug.",
        "Not checked because an earlier check failed.",
    ),
}


class _Blank(dict[str, object]):
    """Format mapping that shows a missing detail as '?', so a message never crashes."""

    def __missing__(self, key: str) -> object:
        return "?"


def check_of(reason: ReasonCode) -> CheckName:
    """The check a reason code belongs to (failed-earlier reasons belong to none)."""
    check = _TABLE[reason].check
    if check is None:
        raise ValueError(f"{reason} belongs to no single check")
    return check


_MAX_DETAIL: Final = 120


def _shortened(value: object) -> object:
    """Details often quote the presentation, which an attacker writes: keep them short."""
    if isinstance(value, int):
        return value if -(10**30) < value < 10**30 else "(a huge number)"
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= _MAX_DETAIL:
        return value
    return text[: _MAX_DETAIL - 1] + "…"


def messages(reason: ReasonCode, **details: object) -> tuple[str, str]:
    """The German and the English message for a reason, with its details filled in."""
    entry = _TABLE[reason]
    if not details and "{" not in entry.en:
        return entry.de, entry.en
    values = _Blank({k: _shortened(v) for k, v in details.items()})
    return entry.de.format_map(values), entry.en.format_map(values)
