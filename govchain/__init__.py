"""govchain: permissioned chain and verifiable credentials for a region of German municipalities."""

from govchain.errors import GovchainError

__version__ = "0.1.0"

__all__ = ["GovchainError", "__version__"]
