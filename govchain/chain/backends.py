"""Chain backends behind one factory: ``embedded``, ``ganache`` and ``rpc``.

A backend knows how to reach a node and, for development chains, how to fund accounts.
Everything else (signing, sending, decoding) is the gateway's job.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import ClassVar

import requests
from eth_tester import EthereumTester, PyEVMBackend
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.exceptions import Web3Exception
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import Wei

from govchain.chain.errors import ChainUnavailableError
from govchain.settings import ChainBackendKind, GovchainSettings

__all__ = [
    "ChainBackend",
    "EmbeddedBackend",
    "GanacheBackend",
    "RpcBackend",
    "create_backend",
]

log = logging.getLogger(__name__)

_BACKENDS: dict[ChainBackendKind, type[ChainBackend]] = {}


class ChainBackend(ABC):
    """How to reach one chain node."""

    kind: ClassVar[ChainBackendKind]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if hasattr(cls, "kind"):
            _BACKENDS[cls.kind] = cls

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: GovchainSettings) -> ChainBackend:
        """Build this backend from validated settings."""

    @property
    @abstractmethod
    def url(self) -> str:
        """Where the node is, for messages and receipts (``embedded://`` for in-process)."""

    @abstractmethod
    def web3(self) -> Web3:
        """A connected Web3 object. Raises ChainUnavailableError if the node is down."""

    def fund(self, w3: Web3, address: ChecksumAddress, wei: int) -> None:
        """Give `address` ether from the node's own funded account (development chains only).

        The default does nothing: a production network runs with zero gas price or
        funds accounts through its own genesis allocation.
        """
        del w3, address, wei

    @property
    def can_fund(self) -> bool:
        """Whether this backend can fund accounts by itself."""
        return False


class _FundsFromNodeAccount(ChainBackend):
    """Development chains: the node's first (unlocked, prefunded) account pays."""

    def fund(self, w3: Web3, address: ChecksumAddress, wei: int) -> None:
        _fund_from_node_account(w3, address, wei, self.url)

    @property
    def can_fund(self) -> bool:
        return True


class EmbeddedBackend(_FundsFromNodeAccount):
    """eth-tester with py-evm, inside this process: for tests and the demo.

    The chain lives as long as the process; nothing is persisted.
    """

    kind = ChainBackendKind.EMBEDDED

    def __init__(self) -> None:
        self._w3: Web3 | None = None

    @classmethod
    def from_settings(cls, settings: GovchainSettings) -> ChainBackend:
        del settings
        return cls()

    @property
    def url(self) -> str:
        return "embedded://py-evm"

    def web3(self) -> Web3:
        if self._w3 is None:
            tester = EthereumTester(PyEVMBackend())
            self._w3 = Web3(EthereumTesterProvider(tester))
        return self._w3


class _HttpBackend(ChainBackend):
    def __init__(self, url: str, timeout: float) -> None:
        self._url = url
        self._timeout = timeout

    @property
    def url(self) -> str:
        return self._url

    def web3(self) -> Web3:
        w3 = Web3(Web3.HTTPProvider(self._url, request_kwargs={"timeout": self._timeout}))
        try:
            w3.eth.chain_id  # noqa: B018 - probes the connection
        except (requests.RequestException, OSError, Web3Exception, ValueError) as err:
            raise ChainUnavailableError(self._url, type(err).__name__) from err
        return w3


class GanacheBackend(_FundsFromNodeAccount, _HttpBackend):
    """A local Ganache node (started with ``govchain chain up`` or by the tests)."""

    kind = ChainBackendKind.GANACHE

    @classmethod
    def from_settings(cls, settings: GovchainSettings) -> ChainBackend:
        return cls(settings.effective_rpc_url(), settings.rpc_timeout_seconds)


class RpcBackend(_HttpBackend):
    """Any JSON-RPC node, e.g. a Hyperledger Besu validator of the consortium."""

    kind = ChainBackendKind.RPC

    @classmethod
    def from_settings(cls, settings: GovchainSettings) -> ChainBackend:
        if not settings.rpc_url:
            raise ChainUnavailableError("(none)", "set GOVCHAIN_RPC_URL or pass --rpc")
        return cls(settings.rpc_url, settings.rpc_timeout_seconds)


def _fund_from_node_account(w3: Web3, address: ChecksumAddress, wei: int, url: str) -> None:
    try:
        funder = w3.eth.accounts[0]
        tx_hash = w3.eth.send_transaction({"from": funder, "to": address, "value": Wei(wei)})
        w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    except (requests.RequestException, OSError) as err:
        raise ChainUnavailableError(url, type(err).__name__) from err


def create_backend(
    settings: GovchainSettings, kind: ChainBackendKind | None = None
) -> ChainBackend:
    """Build the backend named by `kind` (default: the settings' ``chain_backend``)."""
    return _BACKENDS[kind or settings.chain_backend].from_settings(settings)
