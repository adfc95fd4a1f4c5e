"""The one chain gateway: builds the Web3 object, signs and sends transactions, waits for
receipts, decodes events and turns reverts into typed exceptions.

Nothing else in govchain talks to a node directly.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import (
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)
from web3.types import BlockIdentifier, TxParams, TxReceipt

from govchain.chain._abi import decode_revert, event_table, load_artifact
from govchain.chain.backends import ChainBackend
from govchain.chain.errors import (
    ChainError,
    ChainIdMismatchError,
    ChainUnavailableError,
    InsufficientFundsError,
    TransactionFailedError,
)

__all__ = ["ChainGateway", "DecodedEvent", "EncodedCall", "TxResult"]

log = logging.getLogger(__name__)

_GAS_HEADROOM = 1.25


@dataclass(frozen=True)
class DecodedEvent:
    """One event from a receipt, decoded with the emitting contract's ABI."""

    contract: str
    name: str
    address: ChecksumAddress
    args: dict[str, Any]


@dataclass(frozen=True)
class TxResult:
    """A mined, successful transaction."""

    description: str
    tx_hash: str
    block_number: int
    gas_used: int
    events: tuple[DecodedEvent, ...] = field(default=())
    contract_address: ChecksumAddress | None = None

    def events_named(self, name: str) -> list[DecodedEvent]:
        """The events of this transaction with the given name, in log order."""
        return [e for e in self.events if e.name == name]


@dataclass(frozen=True)
class EncodedCall:
    """A contract call encoded for someone else to make, e.g. a consortium proposal."""

    target: ChecksumAddress
    data: bytes
    description: str


class ChainGateway:
    """A connection to one chain, with signing and typed errors.

    Args:
        backend: where the node is.
        expected_chain_id: refuse to work if the node serves another chain.
        receipt_timeout: seconds to wait for a transaction to be mined.
    """

    def __init__(
        self,
        backend: ChainBackend,
        *,
        expected_chain_id: int | None = None,
        receipt_timeout: float = 60.0,
    ) -> None:
        self.backend = backend
        self._receipt_timeout = receipt_timeout
        self._w3 = backend.web3()
        with self._guard("Reading the chain id"):
            self.chain_id = int(self._w3.eth.chain_id)
        if expected_chain_id is not None and expected_chain_id != self.chain_id:
            raise ChainIdMismatchError(expected_chain_id, self.chain_id, backend.url)

    @property
    def url(self) -> str:
        """Where the node is."""
        return self.backend.url

    @property
    def w3(self) -> Web3:
        """The underlying Web3 object, for read-only use by clients in this package."""
        return self._w3

    # --- reading ----------------------------------------------------------------------

    def block_number(self) -> int:
        """The number of the latest block."""
        with self._guard("Reading the block number"):
            return int(self._w3.eth.block_number)

    def block_timestamp(self, block_number: BlockIdentifier = "latest") -> int:
        """The timestamp (unix seconds) of a block."""
        with self._guard("Reading a block"):
            return int(self._w3.eth.get_block(block_number)["timestamp"])

    def has_code(self, address: ChecksumAddress) -> bool:
        """Whether a contract is deployed at `address`."""
        with self._guard("Reading contract code"):
            return len(self._w3.eth.get_code(address)) > 0

    def balance(self, address: ChecksumAddress) -> int:
        """The balance of `address` in wei."""
        with self._guard("Reading a balance"):
            return int(self._w3.eth.get_balance(address))

    def contract(self, name: str, address: ChecksumAddress) -> Contract:
        """A Web3 contract object for a govchain contract at `address`."""
        return self._w3.eth.contract(address=address, abi=load_artifact(name).abi)

    def call(
        self,
        name: str,
        address: ChecksumAddress,
        function: str,
        *args: Any,
        block: BlockIdentifier = "latest",
    ) -> Any:
        """Call a view function (at `block`); reverts become typed exceptions."""
        with self._guard(f"{name}.{function}"):
            bound = self.contract(name, address).functions[function](*args)
            return bound.call(block_identifier=block)

    def event_logs(
        self,
        name: str,
        address: ChecksumAddress,
        event: str,
        block: int,
        filters: dict[str, Any] | None = None,
    ) -> list[tuple[str, dict[str, Any]]]:
        """The `event`s a contract emitted in one block, as (transaction hash, arguments)."""
        with self._guard(f"Reading {name}.{event} events"):
            entries = (
                self.contract(name, address)
                .events[event]()
                .get_logs(from_block=block, to_block=block, argument_filters=filters)
            )
        return [("0x" + bytes(e["transactionHash"]).hex(), dict(e["args"])) for e in entries]

    def encode(
        self, name: str, address: ChecksumAddress, function: str, *args: Any, description: str
    ) -> EncodedCall:
        """Encode a call of `function` on the contract at `address` without sending it."""
        with self._guard(f"Encoding {name}.{function}"):
            data = self.contract(name, address).encode_abi(function, args=list(args))
        return EncodedCall(target=address, data=bytes(HexBytes(data)), description=description)

    # --- writing ----------------------------------------------------------------------

    def fund(self, address: ChecksumAddress, wei: int) -> None:
        """Fund `address` from the node's own account (development chains only)."""
        with self._guard("Funding an account"):
            self.backend.fund(self._w3, address, wei)

    def deploy(
        self, account: LocalAccount, name: str, *args: Any, description: str | None = None
    ) -> TxResult:
        """Deploy contract `name` with constructor `args`, signed by `account`."""
        artifact = load_artifact(name)
        factory = self._w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        with self._guard(f"Encoding the {name} constructor"):
            data = factory.constructor(*args).data_in_transaction
        result = self._send(account, {"data": data}, description or f"Deploying {name}")
        if result.contract_address is None:
            raise TransactionFailedError(result.description, result.tx_hash, "no contract address")
        return result

    def transact(
        self,
        account: LocalAccount,
        name: str,
        address: ChecksumAddress,
        function: str,
        *args: Any,
        description: str | None = None,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Call `function` on a contract in a transaction signed by `account`.

        `on_sent` is called with the transaction hash once the node accepted the
        transaction and before it is mined, so callers can record it durably.
        """
        with self._guard(f"Encoding {name}.{function}"):
            data = self.contract(name, address).encode_abi(function, args=list(args))
        return self._send(
            account,
            {"to": address, "data": data},
            description or f"{name}.{function}",
            on_sent=on_sent,
        )

    def _fees(self) -> dict[str, int]:
        block = self._w3.eth.get_block("latest")
        base_fee = block.get("baseFeePerGas")
        if base_fee is None:
            return {"gasPrice": int(self._w3.eth.gas_price)}
        priority = 1_000_000_000 if base_fee > 0 else 0
        return {"maxFeePerGas": 2 * int(base_fee) + priority, "maxPriorityFeePerGas": priority}

    def _send(
        self,
        account: LocalAccount,
        tx: dict[str, Any],
        description: str,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        with self._guard(description, sender=account.address):
            params: dict[str, Any] = {
                **tx,
                "from": account.address,
                "value": 0,
                "chainId": self.chain_id,
                "nonce": self._w3.eth.get_transaction_count(account.address, "pending"),
            }
            gas = self._w3.eth.estimate_gas(cast(TxParams, params))
            params["gas"] = int(gas * _GAS_HEADROOM)
            params.update(self._fees())
            signed = account.sign_transaction(params)
            tx_hash = self._w3.eth.send_raw_transaction(signed.raw_transaction)
        hex_hash = "0x" + bytes(tx_hash).hex()
        if on_sent is not None:
            on_sent(hex_hash)
        with self._guard(description, hex_hash):
            receipt = self._w3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=self._receipt_timeout, poll_latency=0.05
            )
        if receipt["status"] != 1:
            self._explain_failure(params, receipt, description, hex_hash)
        return self._result(description, hex_hash, receipt)

    def _result(self, description: str, hex_hash: str, receipt: TxReceipt) -> TxResult:
        result = TxResult(
            description=description,
            tx_hash=hex_hash,
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            events=self._decode_events(receipt),
            contract_address=receipt.get("contractAddress"),
        )
        log.info("%s: block %d, gas %d", description, result.block_number, result.gas_used)
        return result

    def mined(self, tx_hash: str, timeout: float = 0.0) -> TxResult | None:
        """The result of an earlier transaction if it was mined successfully, else None.

        Waits up to `timeout` seconds for a pending one; a reverted one counts as None.
        """
        with self._guard("Looking up a transaction", tx_hash):
            try:
                if timeout > 0:
                    receipt = self._w3.eth.wait_for_transaction_receipt(
                        HexBytes(tx_hash), timeout=timeout, poll_latency=0.05
                    )
                else:
                    receipt = self._w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            except (TransactionNotFound, TimeExhausted):
                return None
        if receipt["status"] != 1:
            return None
        return self._result("Earlier transaction", tx_hash, receipt)

    def _explain_failure(
        self, params: dict[str, Any], receipt: TxReceipt, description: str, tx_hash: str
    ) -> None:
        replay = {k: params[k] for k in ("from", "to", "data") if k in params}
        with self._guard(description, tx_hash):
            self._w3.eth.call(cast(TxParams, replay), receipt["blockNumber"] - 1)
        raise TransactionFailedError(description, tx_hash, "reverted without a reason")

    def _decode_events(self, receipt: TxReceipt) -> tuple[DecodedEvent, ...]:
        table = event_table()
        events = []
        for entry in receipt["logs"]:
            if not entry["topics"]:
                continue
            known = table.get(bytes(entry["topics"][0]))
            if known is None:
                continue
            contract_name, event_name = known
            decoded = (
                self.contract(contract_name, entry["address"])
                .events[event_name]()
                .process_log(entry)
            )
            events.append(
                DecodedEvent(
                    contract=contract_name,
                    name=event_name,
                    address=entry["address"],
                    args=dict(decoded["args"]),
                )
            )
        return tuple(events)

    # --- errors -----------------------------------------------------------------------

    @contextmanager
    def _guard(
        self, description: str, tx_hash: str | None = None, sender: str | None = None
    ) -> Iterator[None]:
        """Translate everything the node or web3 can throw into govchain errors."""
        try:
            yield
        except ChainError:
            raise
        except ContractLogicError as err:
            data = _revert_hex(err.data)
            typed = decode_revert(bytes(HexBytes(data)), tx_hash) if data else None
            if typed is not None:
                raise typed from err
            raise TransactionFailedError(description, tx_hash, str(err.message or err)) from err
        except (requests.ConnectionError, requests.Timeout, ConnectionError) as err:
            raise ChainUnavailableError(self.url, type(err).__name__) from err
        except TimeExhausted as err:
            raise ChainError(
                f"{description}: the transaction was not mined within "
                f"{self._receipt_timeout:.0f} s (hash {tx_hash}).",
                f"{description}: die Transaktion wurde nicht binnen "
                f"{self._receipt_timeout:.0f} s aufgenommen (Hash {tx_hash}).",
            ) from err
        except Web3RPCError as err:
            if "insufficient funds" in str(err.message).lower():
                raise _insufficient_funds(description, sender) from err
            raise TransactionFailedError(description, tx_hash, str(err.message)) from err
        except (Web3Exception, TypeError, ValueError, OverflowError) as err:
            # web3 raises its own and plain Type/ValueErrors for arguments that do not fit
            # the ABI (a negative uint, a malformed address): the caller's input was bad.
            raise TransactionFailedError(description, tx_hash, str(err)) from err
        except Exception as err:
            # eth-tester raises its own exception types; the revert data sits, as bytes,
            # in the first argument of an exception down the cause chain.
            if type(err).__module__.startswith("eth_tester"):
                raw = _raw_revert_data(err)
                typed = decode_revert(raw, tx_hash) if raw is not None else None
                if typed is not None:
                    raise typed from err
                if "insufficient" in str(err).lower():
                    raise _insufficient_funds(description, sender) from err
                raise TransactionFailedError(description, tx_hash, str(err)) from err
            raise


def _raw_revert_data(err: BaseException) -> bytes | None:
    seen: BaseException | None = err
    while seen is not None:
        if seen.args and isinstance(seen.args[0], bytes):
            return seen.args[0]
        if seen.args and isinstance(seen.args[0], str):
            # For calls eth-tester hands the data over as the repr of a bytes literal.
            text = seen.args[0].removeprefix("execution reverted: ")
            if text.startswith(("b'", 'b"')):
                try:
                    value = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    value = None
                if isinstance(value, bytes):
                    return value
        seen = seen.__cause__ or seen.__context__
    return None


def _revert_hex(data: object) -> str | None:
    """Revert data as nodes report it: a hex string (geth, Besu, web3), or Ganache's
    ``{"result": "0x..."}`` for gas estimates."""
    if isinstance(data, str) and data.startswith("0x"):
        return data
    if isinstance(data, dict):
        for key in ("result", "data"):
            value = data.get(key)
            if isinstance(value, str) and value.startswith("0x"):
                return value
    return None


def _insufficient_funds(description: str, sender: str | None) -> InsufficientFundsError:
    who = sender or "the sending account"
    return InsufficientFundsError(
        f"{description}: account {who} cannot pay for gas; fund it, or run the network "
        "with a zero gas price (Besu: --min-gas-price=0).",
        f"{description}: Konto {who} kann das Gas nicht bezahlen; Guthaben aufladen oder "
        "das Netz mit Gaspreis null betreiben (Besu: --min-gas-price=0).",
    )
