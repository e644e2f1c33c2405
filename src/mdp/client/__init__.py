"""Registry client SDK: async client, blocking facade, memory cache + on-disk snapshot, index poller.

See ``docs/client.md``. Services use :class:`RegistryClient` (+ :class:`RegistryPoller`); scripts use
:class:`SyncRegistryClient`. Everything raised on purpose derives from :class:`ClientError`.
"""

from mdp.client._base import ChangeCallback
from mdp.client.cache import SchemaCache
from mdp.client.client import RegistryClient
from mdp.client.diff import SchemaChange
from mdp.client.errors import (
    BadRequest,
    ClientError,
    Forbidden,
    IncompatibleSchema,
    InvalidArgument,
    InvalidConfig,
    InvalidResponse,
    InvalidSchema,
    InvalidVersion,
    PayloadTooLarge,
    RegistryDisabled,
    RegistryHTTPError,
    RegistryUnavailable,
    SchemaNotFound,
    Unauthorized,
)
from mdp.client.metrics import ClientMetrics, client_metrics
from mdp.client.models import (
    ContentRecord,
    EventPage,
    IndexEntry,
    PublishResult,
    RegistryEvent,
    SchemaRecord,
    SyncResult,
    TrackConfig,
    TrackIndex,
    VersionInfo,
    VersionList,
)
from mdp.client.poller import RegistryPoller
from mdp.client.protocol import RetryPolicy
from mdp.client.sync_client import SyncRegistryClient

__all__ = [
    "BadRequest",
    "ChangeCallback",
    "ClientError",
    "ClientMetrics",
    "ContentRecord",
    "EventPage",
    "Forbidden",
    "IncompatibleSchema",
    "IndexEntry",
    "InvalidArgument",
    "InvalidConfig",
    "InvalidResponse",
    "InvalidSchema",
    "InvalidVersion",
    "PayloadTooLarge",
    "PublishResult",
    "RegistryClient",
    "RegistryDisabled",
    "RegistryEvent",
    "RegistryHTTPError",
    "RegistryPoller",
    "RegistryUnavailable",
    "RetryPolicy",
    "SchemaCache",
    "SchemaChange",
    "SchemaNotFound",
    "SchemaRecord",
    "SyncRegistryClient",
    "SyncResult",
    "TrackConfig",
    "TrackIndex",
    "Unauthorized",
    "VersionInfo",
    "VersionList",
    "client_metrics",
]
