"""Hyperledger Besu QBFT kit: validator node keys, genesis file and local permissioning.

A consortium network runs one Besu validator per member city. This module writes what the
cities need to start it (node keys, ``genesis.json`` with the QBFT ``extraData``) and renders
Besu's local permissioning file from the consortium's on-chain AccountRules/NodeRules state,
because Besu 25.6 and later no longer read allowlists from contracts themselves.

QBFT tolerates ``f = floor((N - 1) / 3)`` faulty (crashed or Byzantine) validators out of
``N``: 4 validators tolerate 1, 7 tolerate 2. With fewer than 4 there is no fault tolerance.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rlp
from eth_keys.datatypes import PrivateKey
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.exceptions import ValidationError as KeyValidationError
from rlp.exceptions import RLPException

from govchain._files import atomic_write_text, create_file
from govchain.chain.errors import ChainError

__all__ = [
    "QBFT_MIX_HASH",
    "AllowedNode",
    "BesuConfigError",
    "BesuNetwork",
    "Validator",
    "build_genesis",
    "decode_qbft_extra_data",
    "generate_validators",
    "max_faulty_validators",
    "parse_permissions_config",
    "qbft_extra_data",
    "render_permissions_config",
    "write_network",
]

log = logging.getLogger(__name__)

#: The mixHash every QBFT/IBFT 2.0 block carries ("ctical byzantine fault tolerance").
QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"

_VANITY_LENGTH = 32
_ADDRESS_LENGTH = 20
_ADDRESS_RE = re.compile(r"(?:0[xX])?(?P<hex>[0-9a-fA-F]{40})")
_ENODE_ID_RE = re.compile(r"[0-9a-fA-F]{128}")
_HOSTNAME_LABEL_RE = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_ENODE_URL_RE = re.compile(
    r"enode://(?P<id>[0-9a-fA-F]{128})@(?P<host>\[[0-9a-fA-F:.]+\]|[^:@/\[\]?]+)"
    r":(?P<port>[0-9]{1,5})(?:\?discport=[0-9]{1,5})?"
)
_ZERO_ADDRESS = "0x" + "00" * _ADDRESS_LENGTH
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


class BesuConfigError(ChainError):
    """A Besu network or permissioning file cannot be built, read or written as asked."""

    def __init__(self, message: str, message_de: str) -> None:
        super().__init__(message, message_de)


@dataclass(frozen=True)
class Validator:
    """One QBFT validator: a member city's Besu node.

    Attributes:
        name: the city the node belongs to, e.g. ``"Aachen"``.
        address: the validator address (derived from the node key), as in ``extraData``.
        public_key: the node's public key as 128 hex digits without ``0x``: its enode id.
        key_path: where the node key file lies, ``None`` if it is not on this machine.
    """

    name: str
    address: ChecksumAddress
    public_key: str
    key_path: Path | None

    @property
    def enode_id(self) -> str:
        """The enode id (the public key), as used in enode URLs and NodeRules."""
        return self.public_key


@dataclass(frozen=True)
class BesuNetwork:
    """The files written by :func:`write_network` for a new consortium network."""

    out_dir: Path
    genesis_path: Path
    validators: list[Validator]


@dataclass(frozen=True)
class AllowedNode:
    """A node on the consortium's node allowlist (one entry of NodeRules)."""

    enode_id: str
    host: str
    port: int
    city: str


def max_faulty_validators(count: int) -> int:
    """How many of ``count`` QBFT validators may fail while the network still makes blocks.

    Byzantine fault tolerance needs N >= 3f + 1 validators for f faults: f = floor((N - 1) / 3).
    """
    if count < 1:
        raise BesuConfigError(
            "A QBFT network needs at least one validator.",
            "Ein QBFT-Netz braucht mindestens einen Validator.",
        )
    return (count - 1) // 3


# --- validator keys ------------------------------------------------------------------


def _slug(name: str) -> str:
    folded = unicodedata.normalize("NFC", name).strip().lower().translate(_UMLAUTS)
    ascii_only = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def _new_private_key() -> PrivateKey:
    while True:
        try:
            return PrivateKey(secrets.token_bytes(32))
        except KeyValidationError:  # pragma: no cover - probability about 2**-128
            continue


def _write_new_file(path: Path, text: str, mode: int) -> None:
    """Write ``path`` atomically and only if it does not exist yet (never overwrite)."""
    try:
        create_file(path, text.encode("ascii"), mode)
    except FileExistsError as err:
        raise BesuConfigError(
            f"{path} exists already; govchain never overwrites a node key.",
            f"{path} existiert bereits; govchain überschreibt nie einen Knotenschlüssel.",
        ) from err


def generate_validators(names: list[str], out_dir: Path) -> list[Validator]:
    """Create a fresh secp256k1 node key per city in Besu's key file format.

    Each key goes to ``out_dir/<slug>/key`` (mode 0600) with ``key.pub`` beside it; existing
    key files are never overwritten, so a validator's identity cannot be lost by accident.
    """
    if not names:
        raise BesuConfigError(
            "At least one validator name is needed.",
            "Mindestens ein Validatorname ist nötig.",
        )
    slugs: dict[str, str] = {}
    for name in names:
        slug = _slug(name)
        if not slug:
            raise BesuConfigError(
                f"The validator name {name!r} has no letters or digits to name a folder after.",
                f"Der Validatorname {name!r} enthält keine Buchstaben oder Ziffern "
                "für einen Ordnernamen.",
            )
        if slug in slugs:
            raise BesuConfigError(
                f"The validator names {slugs[slug]!r} and {name!r} would share the folder "
                f"{slug!r}; give each city a distinct name.",
                f"Die Validatornamen {slugs[slug]!r} und {name!r} ergäben denselben Ordner "
                f"{slug!r}; bitte jeder Stadt einen eigenen Namen geben.",
            )
        slugs[slug] = name
        for existing in (out_dir / slug / "key", out_dir / slug / "key.pub"):
            if existing.exists():
                raise BesuConfigError(
                    f"{existing} exists already; govchain never overwrites a node key.",
                    f"{existing} existiert bereits; govchain überschreibt nie einen "
                    "Knotenschlüssel.",
                )

    validators: list[Validator] = []
    for slug, name in slugs.items():
        node_dir = out_dir / slug
        node_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        private_key = _new_private_key()
        public_hex = private_key.public_key.to_bytes().hex()
        key_path = node_dir / "key"
        _write_new_file(key_path, private_key.to_hex(), 0o600)
        _write_new_file(node_dir / "key.pub", "0x" + public_hex, 0o644)
        address = to_checksum_address(private_key.public_key.to_canonical_address())
        log.info("Generated QBFT validator %s (%s) in %s", name, address, node_dir)
        validators.append(Validator(name, address, public_hex, key_path))
    return validators


# --- extraData ----------------------------------------------------------------------


def _address_bytes(address: str) -> bytes:
    """The 20 bytes of a hex address; a mixed-case address must carry a correct checksum."""
    match = _ADDRESS_RE.fullmatch(address) if isinstance(address, str) else None
    digits = match["hex"] if match else ""
    mixed_case = digits != digits.lower() and digits != digits.upper()
    if not match or (mixed_case and to_checksum_address("0x" + digits) != "0x" + digits):
        raise BesuConfigError(
            f"{address!r} is not a valid Ethereum address (20 bytes, correct checksum).",
            f"{address!r} ist keine gültige Ethereum-Adresse (20 Bytes, korrekte Prüfsumme).",
        )
    return bytes.fromhex(digits)


def _checked_validator_addresses(addresses: Sequence[str]) -> list[bytes]:
    if not addresses:
        raise BesuConfigError(
            "A QBFT network needs at least one validator.",
            "Ein QBFT-Netz braucht mindestens einen Validator.",
        )
    raw = [_address_bytes(address) for address in addresses]
    seen: set[bytes] = set()
    for value in raw:
        if value in seen:
            shown = to_checksum_address(value)
            raise BesuConfigError(
                f"Validator {shown} is listed twice; every validator needs its own key.",
                f"Validator {shown} ist doppelt aufgeführt; jeder Validator braucht einen "
                "eigenen Schlüssel.",
            )
        seen.add(value)
    return raw


def qbft_extra_data(addresses: Sequence[str]) -> str:
    """Encode the QBFT genesis ``extraData`` for these validators, as ``0x`` hex.

    It is RLP([32-byte zero vanity, [validators], [] (no vote), 0 (round), [] (no seals)]),
    byte for byte what ``besu rlp encode --type=QBFT_EXTRA_DATA`` prints.
    """
    validators = _checked_validator_addresses(addresses)
    encoded: bytes = rlp.encode([b"\x00" * _VANITY_LENGTH, validators, [], 0, []])
    return "0x" + encoded.hex()


def _malformed(detail: str, detail_de: str) -> BesuConfigError:
    return BesuConfigError(
        f"The QBFT extraData is malformed: {detail}.",
        f"Die QBFT-extraData ist fehlerhaft: {detail_de}.",
    )


def decode_qbft_extra_data(extra_data: str) -> list[ChecksumAddress]:
    """Decode a genesis QBFT ``extraData`` back to its validator addresses.

    The structure is checked strictly (vanity, addresses, no vote, round 0, no seals), so a
    hand-edited or IBFT-style genesis is caught before any node is started with it.
    """
    text = extra_data.strip()
    if text[:2] in ("0x", "0X"):
        text = text[2:]
    try:
        raw = bytes.fromhex(text)
    except ValueError as err:
        raise _malformed("it is not hexadecimal", "sie ist nicht hexadezimal") from err
    try:
        decoded: Any = rlp.decode(raw)
    except RLPException as err:
        raise _malformed(
            f"it is not valid RLP ({err})", f"sie ist kein gültiges RLP ({err})"
        ) from err
    if not isinstance(decoded, list) or len(decoded) != 5:
        raise _malformed("expected a list of 5 items", "erwartet war eine Liste aus 5 Elementen")
    vanity, validators, vote, round_number, seals = decoded
    if not isinstance(vanity, bytes) or len(vanity) != _VANITY_LENGTH:
        raise _malformed("the vanity must be 32 bytes", "die Vanity muss 32 Bytes lang sein")
    if not isinstance(validators, list) or not validators:
        raise _malformed(
            "the validators must be a non-empty list",
            "die Validatoren müssen eine nichtleere Liste sein",
        )
    for value in validators:
        if not isinstance(value, bytes) or len(value) != _ADDRESS_LENGTH:
            raise _malformed(
                "every validator must be a 20-byte address",
                "jeder Validator muss eine 20-Byte-Adresse sein",
            )
    if vote != []:
        raise _malformed(
            "a genesis block must not carry a validator vote",
            "ein Genesis-Block darf keine Validator-Abstimmung enthalten",
        )
    if round_number != b"":
        raise _malformed("the round must be 0 (RLP 0x80)", "die Runde muss 0 sein (RLP 0x80)")
    if seals != []:
        raise _malformed(
            "a genesis block must not carry commit seals",
            "ein Genesis-Block darf keine Commit-Siegel enthalten",
        )
    addresses = [to_checksum_address(value) for value in validators]
    if len(set(addresses)) != len(addresses):
        raise _malformed("a validator is listed twice", "ein Validator ist doppelt aufgeführt")
    return addresses


# --- genesis ------------------------------------------------------------------------


def _positive(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BesuConfigError(
            f"{name} must be a whole number of at least 1, not {value!r}.",
            f"{name} muss eine ganze Zahl von mindestens 1 sein, nicht {value!r}.",
        )


def build_genesis(
    validators: Sequence[Validator],
    *,
    chain_id: int,
    block_period_seconds: int = 2,
    epoch_length: int = 30000,
    request_timeout_seconds: int = 4,
    alloc: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Build a Besu QBFT genesis with every fork up to Shanghai active from block 0.

    Gas is free (``zeroBaseFee``; start nodes with ``--min-gas-price=0``) because access is
    controlled by permissioning, not by fees. ``alloc`` maps addresses to balances in wei.
    N validators tolerate floor((N - 1) / 3) faulty ones, so use at least 4 in production.
    """
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id < 1:
        raise BesuConfigError(
            f"The chain id must be a whole number of at least 1, not {chain_id!r}.",
            f"Die Chain-ID muss eine ganze Zahl von mindestens 1 sein, nicht {chain_id!r}.",
        )
    _positive(block_period_seconds, "block_period_seconds")
    _positive(epoch_length, "epoch_length")
    _positive(request_timeout_seconds, "request_timeout_seconds")
    extra_data = qbft_extra_data([validator.address for validator in validators])

    balances: dict[str, dict[str, str]] = {}
    for address, balance in (alloc or {}).items():
        key = _address_bytes(address).hex()
        if isinstance(balance, bool) or not isinstance(balance, int) or balance < 0:
            raise BesuConfigError(
                f"The balance for {address} must be a non-negative number of wei.",
                f"Das Guthaben für {address} muss eine nicht-negative Zahl in Wei sein.",
            )
        if key in balances:
            raise BesuConfigError(
                f"Address {address} appears twice in the genesis allocation.",
                f"Adresse {address} kommt in der Genesis-Zuteilung doppelt vor.",
            )
        balances[key] = {"balance": hex(balance)}

    faulty = max_faulty_validators(len(validators))
    if faulty == 0:
        log.warning(
            "%d validator(s) tolerate no faulty validator; use at least 4 for a consortium",
            len(validators),
        )
    return {
        "config": {
            "chainId": chain_id,
            "berlinBlock": 0,
            "londonBlock": 0,
            "shanghaiTime": 0,
            "zeroBaseFee": True,
            "qbft": {
                "blockperiodseconds": block_period_seconds,
                "epochlength": epoch_length,
                "requesttimeoutseconds": request_timeout_seconds,
            },
        },
        "nonce": "0x0",
        "timestamp": "0x58ee40ba",
        "gasLimit": "0x1fffffffffffff",
        "difficulty": "0x1",
        "mixHash": QBFT_MIX_HASH,
        "coinbase": _ZERO_ADDRESS,
        "alloc": dict(sorted(balances.items())),
        "extraData": extra_data,
    }


def write_network(
    out_dir: Path,
    names: list[str],
    *,
    chain_id: int,
    block_period_seconds: int = 2,
    alloc: Mapping[str, int] | None = None,
) -> BesuNetwork:
    """Write a new consortium network: node keys, ``genesis.json`` and ``validators.json``.

    Everything is checked before the first file is written, and an existing network (an
    ``out_dir/genesis.json``) is never overwritten.
    """
    genesis_path = out_dir / "genesis.json"
    if genesis_path.exists():
        raise BesuConfigError(
            f"{genesis_path} exists already; refuse to overwrite an existing network.",
            f"{genesis_path} existiert bereits; ein bestehendes Netz wird nicht überschrieben.",
        )
    # Validate the genesis parameters with placeholder validators before creating any key.
    placeholders = [
        Validator(name, to_checksum_address(index.to_bytes(_ADDRESS_LENGTH, "big")), "", None)
        for index, name in enumerate(names, start=1)
    ]
    build_genesis(
        placeholders, chain_id=chain_id, block_period_seconds=block_period_seconds, alloc=alloc
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    validators = generate_validators(names, out_dir)
    genesis = build_genesis(
        validators, chain_id=chain_id, block_period_seconds=block_period_seconds, alloc=alloc
    )
    listing = [
        {
            "name": validator.name,
            "address": validator.address,
            "enode_id": validator.public_key,
            "key_file": str(validator.key_path.relative_to(out_dir))
            if validator.key_path
            else None,
        }
        for validator in validators
    ]
    atomic_write_text(
        out_dir / "validators.json", json.dumps(listing, indent=2, ensure_ascii=False) + "\n"
    )
    atomic_write_text(genesis_path, json.dumps(genesis, indent=2) + "\n")
    log.info(
        "Wrote QBFT network with %d validators (tolerates %d faulty) to %s",
        len(validators),
        max_faulty_validators(len(validators)),
        out_dir,
    )
    return BesuNetwork(out_dir=out_dir, genesis_path=genesis_path, validators=validators)


# --- local permissioning ------------------------------------------------------------


def _checked_enode_id(enode_id: str) -> str:
    if not isinstance(enode_id, str) or not _ENODE_ID_RE.fullmatch(enode_id):
        raise BesuConfigError(
            f"{enode_id!r} is not an enode id (128 hex digits, no 0x).",
            f"{enode_id!r} ist keine Enode-ID (128 Hex-Ziffern, ohne 0x).",
        )
    return enode_id.lower()


def _checked_host(host: str) -> str:
    """The host as it goes into an enode URL (IPv6 in brackets)."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        labels = host.rstrip(".").split(".")
        if (
            len(host) <= 253
            and not labels[-1].isdigit()
            and all(_HOSTNAME_LABEL_RE.fullmatch(label) for label in labels)
        ):
            return host.rstrip(".").lower()
        raise BesuConfigError(
            f"{host!r} is not an IP address or host name.",
            f"{host!r} ist weder eine IP-Adresse noch ein Hostname.",
        ) from None
    return f"[{ip.compressed}]" if ip.version == 6 else ip.compressed


def _checked_port(port: int) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise BesuConfigError(
            f"{port!r} is not a port (1 to 65535).",
            f"{port!r} ist kein Port (1 bis 65535).",
        )
    return port


def _enode_url(node: AllowedNode) -> str:
    enode_id = _checked_enode_id(node.enode_id)
    return f"enode://{enode_id}@{_checked_host(node.host)}:{_checked_port(node.port)}"


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _toml_array(values: Sequence[str]) -> str:
    if not values:
        return "[]"
    return "[\n" + ",\n".join(f"  {_toml_string(value)}" for value in values) + "\n]"


def render_permissions_config(accounts: Sequence[str], nodes: Sequence[AllowedNode]) -> str:
    """Render Besu's local permissioning TOML from the consortium's allowlists.

    Besu 25.6+ no longer reads AccountRules/NodeRules from the chain, so govchain writes the
    same state into the file given to ``--permissions-{accounts,nodes}-config-file``. The output
    is sorted and deterministic, so two renders of the same state compare equal.
    """
    checked_accounts: dict[str, ChecksumAddress] = {}
    for account in accounts:
        address = to_checksum_address(_address_bytes(account))
        if address in checked_accounts:
            raise BesuConfigError(
                f"Account {address} appears twice in the allowlist.",
                f"Konto {address} steht doppelt auf der Freigabeliste.",
            )
        checked_accounts[address] = address
    sorted_accounts = sorted(checked_accounts, key=str.lower)

    by_id: dict[str, tuple[str, AllowedNode]] = {}
    for node in nodes:
        url = _enode_url(node)
        enode_id = node.enode_id.lower()
        if enode_id in by_id:
            raise BesuConfigError(
                f"Node {enode_id} appears twice in the allowlist.",
                f"Knoten {enode_id} steht doppelt auf der Freigabeliste.",
            )
        by_id[enode_id] = (url, node)
    sorted_nodes = sorted(by_id.values(), key=lambda item: item[0])

    lines = [
        "# Besu local permissioning config, rendered by govchain from the consortium's",
        "# on-chain AccountRules/NodeRules state. Do not edit by hand: re-render it with",
        "# `govchain besu permissions` after every consortium vote that changes the allowlists.",
        "# Von govchain aus den AccountRules/NodeRules des Konsortiums erzeugt;",
        "# nicht von Hand bearbeiten.",
        "",
        f"accounts-allowlist = {_toml_array(sorted_accounts)}",
        "",
    ]
    if sorted_nodes:
        lines.append("# Nodes / Knoten:")
        for url, node in sorted_nodes:
            city = " ".join(node.city.split()) or "?"
            lines.append(f"#   {city}: {url.split('@', 1)[1]} ({node.enode_id.lower()[:16]}...)")
    lines.append(f"nodes-allowlist = {_toml_array([url for url, _ in sorted_nodes])}")
    return "\n".join(lines) + "\n"


def _checked_string_list(document: Mapping[str, Any], key: str) -> list[str]:
    values = document.get(key)
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise BesuConfigError(
            f"The permissions config needs {key} as a list of strings.",
            f"Die Berechtigungskonfiguration braucht {key} als Liste von Zeichenketten.",
        )
    return values


def parse_permissions_config(text: str) -> tuple[list[ChecksumAddress], list[str]]:
    """Read a local permissioning TOML back into (accounts, enode URLs), validating both.

    This lets govchain compare a node's file with the on-chain allowlists before replacing it.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BesuConfigError(
            f"The permissions config is not valid TOML ({err}).",
            f"Die Berechtigungskonfiguration ist kein gültiges TOML ({err}).",
        ) from err
    accounts = [
        to_checksum_address(_address_bytes(account))
        for account in _checked_string_list(document, "accounts-allowlist")
    ]
    urls: list[str] = []
    for url in _checked_string_list(document, "nodes-allowlist"):
        match = _ENODE_URL_RE.fullmatch(url)
        if match is None:
            raise BesuConfigError(
                f"{url!r} is not an enode URL (enode://<128 hex digits>@<host>:<port>).",
                f"{url!r} ist keine Enode-URL (enode://<128 Hex-Ziffern>@<Host>:<Port>).",
            )
        node = AllowedNode(match["id"], match["host"], int(match["port"]), city="")
        urls.append(_enode_url(node))
    return accounts, urls
