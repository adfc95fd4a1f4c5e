"""Tests of the Besu QBFT kit: extraData, genesis, node keys and local permissioning."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import rlp
from eth_account import Account
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from govchain.chain.besu import (
    QBFT_MIX_HASH,
    AllowedNode,
    BesuConfigError,
    Validator,
    build_genesis,
    decode_qbft_extra_data,
    generate_validators,
    max_faulty_validators,
    parse_permissions_config,
    qbft_extra_data,
    render_permissions_config,
    write_network,
)
from govchain.chain.errors import ChainError

# The four validators of the QBFT genesis example in Besu's documentation, and the extraData
# Besu prints for them (``besu rlp encode --type=QBFT_EXTRA_DATA``).
BESU_DOC_VALIDATORS = [
    "0x64a702e6263b7297a96638cac6ae65e6541f4169",
    "0x3923390ad55e90c237593b3b0e401f3b08a03185",
    "0xaefdb9a738c9f433e5b6b212a6d62f6370c2f692",
    "0xc7eeb9a4e00ce683cf93039b212648e01c6c6b78",
]
BESU_DOC_EXTRA_DATA = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f854"
    "9464a702e6263b7297a96638cac6ae65e6541f4169943923390ad55e90c237593b3b0e401f3b08a03185"
    "94aefdb9a738c9f433e5b6b212a6d62f6370c2f69294c7eeb9a4e00ce683cf93039b212648e01c6c6b78"
    "c080c0"
)

CITIES = ["Aachen", "Gelsenkirchen", "Soest", "Köln"]


def _addresses(count: int) -> list[ChecksumAddress]:
    return [to_checksum_address(bytes([index + 1]) * 20) for index in range(count)]


def _enode_id(fill: str) -> str:
    return fill * 128


@pytest.mark.parametrize("count", [1, 4, 7])
def test_extra_data_round_trip(count: int) -> None:
    addresses = _addresses(count)
    extra = qbft_extra_data(addresses)
    assert extra.startswith("0x")
    assert decode_qbft_extra_data(extra) == addresses
    raw = bytes.fromhex(extra[2:])
    assert raw.endswith(bytes.fromhex("c080c0"))
    assert rlp.decode(raw)[0] == b"\x00" * 32


def test_extra_data_matches_hand_built_rlp() -> None:
    # RLP by hand: a 32-byte string is 0xa0 + bytes; a 20-byte string is 0x94 + bytes;
    # lists up to 55 bytes are 0xc0 + length, longer ones 0xf8 + one length byte.
    validators = b"".join(b"\x94" + bytes.fromhex(a[2:]) for a in BESU_DOC_VALIDATORS)
    assert len(validators) == 84
    vanity = b"\xa0" + b"\x00" * 32
    payload = vanity + b"\xf8" + bytes([len(validators)]) + validators + b"\xc0\x80\xc0"
    expected = b"\xf8" + bytes([len(payload)]) + payload
    assert qbft_extra_data(BESU_DOC_VALIDATORS) == "0x" + expected.hex()
    assert qbft_extra_data(BESU_DOC_VALIDATORS) == BESU_DOC_EXTRA_DATA


def test_extra_data_single_validator_exact_bytes() -> None:
    address = "0x" + "ab" * 20
    vanity = b"\xa0" + b"\x00" * 32
    validators = b"\xd5\x94" + bytes.fromhex("ab" * 20)
    payload = vanity + validators + b"\xc0\x80\xc0"
    assert len(payload) == 58  # more than 55 bytes: long list header 0xf8 + length
    assert qbft_extra_data([address]) == "0x" + (b"\xf8\x3a" + payload).hex()


def test_decode_accepts_besu_example() -> None:
    decoded = decode_qbft_extra_data(BESU_DOC_EXTRA_DATA)
    assert decoded == [to_checksum_address(a) for a in BESU_DOC_VALIDATORS]


def _encode(items: list[object]) -> str:
    return "0x" + bytes(rlp.encode(items)).hex()


@pytest.mark.parametrize(
    "extra",
    [
        _encode([b"\x00" * 31, [b"\x01" * 20], [], 0, []]),  # short vanity
        _encode([b"\x00" * 33, [b"\x01" * 20], [], 0, []]),  # long vanity
        _encode([b"\x00" * 32, [b"\x01" * 20], [], 0, [b"\x02" * 65]]),  # a seal
        _encode([b"\x00" * 32, [b"\x01" * 20], [b"\x01" * 20, b"\x00"], 0, []]),  # a vote
        _encode([b"\x00" * 32, [b"\x01" * 20], [], 1, []]),  # round 1
        _encode([b"\x00" * 32, [b"\x01" * 20], [], b"\x00\x00\x00\x00", []]),  # IBFT-style round
        _encode([b"\x00" * 32, [b"\x01" * 19], [], 0, []]),  # short address
        _encode([b"\x00" * 32, [], [], 0, []]),  # no validators
        _encode([b"\x00" * 32, [b"\x01" * 20, b"\x01" * 20], [], 0, []]),  # duplicate
        _encode([b"\x00" * 32, [b"\x01" * 20], [], 0]),  # four items
        _encode([b"\x00" * 32, [b"\x01" * 20], b"", 0, []]),  # vote as empty string
        "0xzz",
        "not hex at all",
        "0x",
        BESU_DOC_EXTRA_DATA + "00",  # trailing bytes
        BESU_DOC_EXTRA_DATA[:-2],  # truncated
    ],
)
def test_malformed_extra_data_refused(extra: str) -> None:
    with pytest.raises(BesuConfigError) as info:
        decode_qbft_extra_data(extra)
    assert "extraData" in str(info.value)
    assert info.value.message_de != info.value.message


def test_extra_data_refuses_bad_input() -> None:
    with pytest.raises(BesuConfigError):
        qbft_extra_data([])
    with pytest.raises(BesuConfigError):
        qbft_extra_data(["0x1234"])
    address = _addresses(1)[0]
    with pytest.raises(BesuConfigError):
        qbft_extra_data([address, address.lower()])


def test_besu_config_error_is_chain_error() -> None:
    assert issubclass(BesuConfigError, ChainError)


def test_generate_validators_writes_besu_key_files(tmp_path: Path) -> None:
    validators = generate_validators(CITIES, tmp_path)
    assert [v.name for v in validators] == CITIES
    assert [v.key_path for v in validators] == [
        tmp_path / slug / "key" for slug in ("aachen", "gelsenkirchen", "soest", "koeln")
    ]
    for validator in validators:
        assert validator.key_path is not None
        key_text = validator.key_path.read_text()
        assert key_text.startswith("0x")
        assert len(key_text) == 66
        assert "\n" not in key_text
        assert stat.S_IMODE(validator.key_path.stat().st_mode) == 0o600
        assert Account.from_key(key_text).address == validator.address
        pub_text = (validator.key_path.parent / "key.pub").read_text()
        assert pub_text == "0x" + validator.public_key
        assert len(validator.public_key) == 128
    assert len({v.address for v in validators}) == len(validators)


def test_generate_validators_never_overwrites(tmp_path: Path) -> None:
    (first,) = generate_validators(["Aachen"], tmp_path)
    assert first.key_path is not None
    before = first.key_path.read_text()
    with pytest.raises(BesuConfigError, match="never overwrites"):
        generate_validators(["Soest", "Aachen"], tmp_path)
    assert first.key_path.read_text() == before
    assert not (tmp_path / "soest" / "key").exists()  # nothing written when one is refused


def test_generate_validators_refuses_names_sharing_a_folder(tmp_path: Path) -> None:
    with pytest.raises(BesuConfigError):
        generate_validators(["Köln", "koeln"], tmp_path)
    with pytest.raises(BesuConfigError):
        generate_validators(["!!!"], tmp_path)
    with pytest.raises(BesuConfigError):
        generate_validators([], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_build_genesis_fields() -> None:
    validators = [Validator(f"v{i}", a, "00" * 64, None) for i, a in enumerate(_addresses(4))]
    funded = _addresses(1)[0]
    genesis = build_genesis(
        validators, chain_id=2026, block_period_seconds=5, alloc={funded.lower(): 10**18}
    )
    config = genesis["config"]
    assert config["chainId"] == 2026
    assert config["berlinBlock"] == 0
    assert config["londonBlock"] == 0
    assert config["shanghaiTime"] == 0
    assert config["zeroBaseFee"] is True
    assert config["qbft"] == {
        "blockperiodseconds": 5,
        "epochlength": 30000,
        "requesttimeoutseconds": 4,
    }
    assert genesis["nonce"] == "0x0"
    assert genesis["timestamp"] == "0x58ee40ba"
    assert genesis["gasLimit"] == "0x1fffffffffffff"
    assert genesis["difficulty"] == "0x1"
    assert genesis["mixHash"] == QBFT_MIX_HASH
    assert bytes.fromhex(QBFT_MIX_HASH[2:]) == b"ctical byzantine fault tolerance"
    assert genesis["coinbase"] == "0x" + "00" * 20
    assert genesis["alloc"] == {funded[2:].lower(): {"balance": hex(10**18)}}
    assert decode_qbft_extra_data(genesis["extraData"]) == [v.address for v in validators]
    json.dumps(genesis)  # serialisable as is


def test_build_genesis_refusals() -> None:
    addresses = _addresses(2)
    one = [Validator("a", addresses[0], "", None)]
    with pytest.raises(BesuConfigError):
        build_genesis([], chain_id=2026)
    with pytest.raises(BesuConfigError, match="twice"):
        build_genesis([one[0], Validator("b", addresses[0], "", None)], chain_id=2026)
    with pytest.raises(BesuConfigError, match="chain id"):
        build_genesis(one, chain_id=0)
    with pytest.raises(BesuConfigError):
        build_genesis(one, chain_id=2026, block_period_seconds=0)
    with pytest.raises(BesuConfigError):
        build_genesis(one, chain_id=2026, alloc={"0x1234": 1})
    with pytest.raises(BesuConfigError):
        build_genesis(one, chain_id=2026, alloc={addresses[1]: -1})


def test_fault_tolerance() -> None:
    assert [max_faulty_validators(n) for n in (1, 3, 4, 6, 7, 10)] == [0, 0, 1, 1, 2, 3]


def test_write_network_genesis_matches_key_files(tmp_path: Path) -> None:
    out = tmp_path / "network"
    network = write_network(out, CITIES, chain_id=2026, block_period_seconds=3)
    assert network.genesis_path == out / "genesis.json"
    genesis = json.loads(network.genesis_path.read_text())
    assert genesis["config"]["chainId"] == 2026
    assert genesis["config"]["qbft"]["blockperiodseconds"] == 3

    from_disk = [
        Account.from_key((out / slug / "key").read_text().strip()).address
        for slug in ("aachen", "gelsenkirchen", "soest", "koeln")
    ]
    assert decode_qbft_extra_data(genesis["extraData"]) == from_disk
    assert [v.address for v in network.validators] == from_disk

    listing = json.loads((out / "validators.json").read_text(encoding="utf-8"))
    assert [entry["name"] for entry in listing] == CITIES
    assert [entry["address"] for entry in listing] == from_disk
    assert [entry["enode_id"] for entry in listing] == [v.public_key for v in network.validators]
    assert not list(out.glob("**/*.tmp"))


def test_write_network_refuses_to_overwrite(tmp_path: Path) -> None:
    write_network(tmp_path, ["Aachen"], chain_id=2026)
    genesis_before = (tmp_path / "genesis.json").read_text()
    with pytest.raises(BesuConfigError, match="refuse to overwrite an existing network"):
        write_network(tmp_path, ["Soest"], chain_id=2026)
    assert (tmp_path / "genesis.json").read_text() == genesis_before
    assert not (tmp_path / "soest").exists()


def test_write_network_checks_before_writing(tmp_path: Path) -> None:
    with pytest.raises(BesuConfigError):
        write_network(tmp_path / "net", CITIES, chain_id=0)
    assert not (tmp_path / "net").exists()


def _nodes() -> list[AllowedNode]:
    return [
        AllowedNode(_enode_id("b"), "10.0.0.2", 30303, "Soest"),
        AllowedNode(_enode_id("A"), "10.0.0.1", 30304, "Aachen"),
        AllowedNode(_enode_id("c"), "2001:db8::1", 30303, "Köln"),
    ]


def test_permissions_config_round_trip() -> None:
    accounts = _addresses(3)
    text = render_permissions_config([accounts[2].lower(), accounts[0], accounts[1]], _nodes())
    assert text.startswith("#")
    assert "govchain" in text.splitlines()[0]
    assert "AccountRules/NodeRules" in text
    assert "by hand" in text
    parsed_accounts, urls = parse_permissions_config(text)
    assert parsed_accounts == accounts
    assert urls == [
        f"enode://{'a' * 128}@10.0.0.1:30304",
        f"enode://{'b' * 128}@10.0.0.2:30303",
        f"enode://{'c' * 128}@[2001:db8::1]:30303",
    ]
    # Deterministic: the same state in another order renders the same text.
    assert render_permissions_config(accounts[::-1], _nodes()[::-1]) == text


def test_permissions_config_empty_lists() -> None:
    assert parse_permissions_config(render_permissions_config([], [])) == ([], [])


@pytest.mark.parametrize(
    "node",
    [
        AllowedNode(_enode_id("a")[:-1], "10.0.0.1", 30303, "Aachen"),
        AllowedNode("0x" + _enode_id("a")[2:], "10.0.0.1", 30303, "Aachen"),
        AllowedNode(_enode_id("g"), "10.0.0.1", 30303, "Aachen"),
        AllowedNode(_enode_id("a"), "10.0.0.1", 0, "Aachen"),
        AllowedNode(_enode_id("a"), "10.0.0.1", 65536, "Aachen"),
        AllowedNode(_enode_id("a"), "bad host@x", 30303, "Aachen"),
        AllowedNode(_enode_id("a"), "", 30303, "Aachen"),
    ],
)
def test_permissions_config_refuses_bad_node(node: AllowedNode) -> None:
    with pytest.raises(BesuConfigError):
        render_permissions_config([], [node])


@pytest.mark.parametrize(
    "account",
    [
        "0x1234",
        "0x" + "zz" * 20,
        "0x64A702E6263B7297a96638cAc6aE65e6541F4169",  # wrong checksum
    ],
)
def test_permissions_config_refuses_bad_address(account: str) -> None:
    with pytest.raises(BesuConfigError):
        render_permissions_config([account], [])


def test_permissions_config_refuses_duplicates() -> None:
    account = _addresses(1)[0]
    with pytest.raises(BesuConfigError):
        render_permissions_config([account, account.lower()], [])
    node = _nodes()[0]
    with pytest.raises(BesuConfigError):
        render_permissions_config([], [node, AllowedNode(node.enode_id, "10.9.9.9", 1, "X")])


@pytest.mark.parametrize(
    "text",
    [
        "accounts-allowlist = [\n",  # not TOML
        "nodes-allowlist = []\n",  # accounts missing
        'accounts-allowlist = ["0x1234"]\nnodes-allowlist = []\n',
        'accounts-allowlist = []\nnodes-allowlist = ["enode://abc@10.0.0.1:30303"]\n',
        'accounts-allowlist = []\nnodes-allowlist = "enode://x"\n',
    ],
)
def test_parse_permissions_config_refuses_bad_files(text: str) -> None:
    with pytest.raises(BesuConfigError):
        parse_permissions_config(text)
