"""mdp: keeps the services of a market-data stack agreeing on what their messages look like.

Bounded contexts live in sub-packages (``contracts``, ``compat``, ``registry``, ``client``, ``pulse``,
``enforcement``, ``pipeline``, ``store``, ``drift``, ``orchestrator``); ``cli`` is the one console script.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mdp")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    __version__ = "0.0.0"

__all__ = ["__version__"]
