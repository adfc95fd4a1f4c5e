"""Reverts are decoded by selector into typed exceptions with both languages."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from govchain.chain._abi import decode_revert
from govchain.chain.errors import (
    AccessDeniedError,
    ConsortiumExecutionFailed,
    StatusRegistryNotListOwner,
    StatusRegistryRevokedIsFinal,
)


def _encoded(signature: str, types: list[str], values: list[object]) -> bytes:
    return keccak(text=signature)[:4] + encode(types, values)


def test_a_custom_error_is_decoded_with_its_fields_and_messages() -> None:
    data = _encoded("StatusRegistryRevokedIsFinal(uint256,uint32)", ["uint256", "uint32"], [3, 77])
    err = decode_revert(data, tx_hash="0xabc")
    assert isinstance(err, StatusRegistryRevokedIsFinal)
    assert err.fields == {"listId": 3, "index": 77}
    assert err.tx_hash == "0xabc"
    assert str(err) == "Entry 77 of status list 3 is revoked; revocation is final."
    assert (
        err.message_de == "Eintrag 77 der Statusliste 3 ist widerrufen; ein Widerruf ist endgültig."
    )


def test_access_errors_share_one_base_and_addresses_are_checksummed() -> None:
    caller = "0x" + "ab" * 20
    data = _encoded(
        "StatusRegistryNotListOwner(address,uint256)", ["address", "uint256"], [caller, 1]
    )
    err = decode_revert(data)
    assert isinstance(err, StatusRegistryNotListOwner)
    assert isinstance(err, AccessDeniedError)
    assert err.fields["caller"] == to_checksum_address(caller) != caller


def test_a_failed_proposal_carries_the_inner_error() -> None:
    inner = _encoded("StatusRegistryRevokedIsFinal(uint256,uint32)", ["uint256", "uint32"], [0, 1])
    outer = _encoded("ConsortiumExecutionFailed(uint256,bytes)", ["uint256", "bytes"], [4, inner])
    err = decode_revert(outer)
    assert isinstance(err, ConsortiumExecutionFailed)
    assert isinstance(err.inner, StatusRegistryRevokedIsFinal)
    assert "revocation is final" in str(err)


def test_unknown_or_short_data_is_not_guessed() -> None:
    assert decode_revert(b"\x12\x34") is None
    assert decode_revert(b"\xde\xad\xbe\xef" + b"\x00" * 32) is None
    truncated = _encoded(
        "StatusRegistryRevokedIsFinal(uint256,uint32)", ["uint256", "uint32"], [1, 2]
    )
    assert decode_revert(truncated[:20]) is None
