"""Message schemas (JSON, versioned by the `v` field). Examples are in docs/sync.md.

Upstream: `EventBatch` (journal rows, several per message) and `Status` (presence).
Downstream: `Ack` (HQ's highest contiguous stored seq, maybe asking for a resend) and the
signed `Envelope` around an `InboxMessage` (promotions, prices, catalog).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
Hash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
StoreId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
MessageKind = Literal["promotions", "prices", "catalog"]
MESSAGE_KINDS: tuple[MessageKind, ...] = ("promotions", "prices", "catalog")


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventRow(_Message):
    """One journal row exactly as the store keeps it: HQ re-checks sha256(prev_hash || payload)."""

    seq: Annotated[int, Field(ge=1)]
    payload: str
    prev_hash: Hash
    hash: Hash


class EventBatch(_Message):
    """Consecutive journal rows of one store, in seq order."""

    v: Literal[1] = 1
    store: StoreId
    events: Annotated[list[EventRow], Field(min_length=1, max_length=5000)]


class Ack(_Message):
    """HQ has durably stored every seq up to `acked_seq`; `resend_from` names a gap's first seq."""

    v: Literal[1] = 1
    acked_seq: Annotated[int, Field(ge=0)]
    resend_from: Annotated[int, Field(ge=1)] | None = None


class Status(_Message):
    """The store's presence, retained on .../status; the broker publishes `offline` as its will."""

    v: Literal[1] = 1
    state: Literal["online", "offline"]
    at: str | None = None
    last_seq: int | None = None
    acked_seq: int | None = None
    outbox_depth: int | None = None
    versions: dict[str, int] = Field(default_factory=dict)
    devices: dict[str, Any] = Field(default_factory=dict)
    refused: int = 0


class InboxMessage(_Message):
    """What HQ signs: one promotion bundle, price list change or catalog update."""

    msg_id: Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{16,64}$")]
    kind: MessageKind
    version: Annotated[int, Field(ge=1)]
    tenant: StoreId
    stores: tuple[StoreId, ...] = Field(default=(), description="empty = every store of the tenant")
    issued_at: AwareDatetime
    expires_at: AwareDatetime
    body: dict[str, Any]

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.expires_at

    def addressed_to(self, tenant: str, store: str) -> bool:
        return self.tenant == tenant and (not self.stores or store in self.stores)


class Envelope(_Message):
    """`sig` is Ed25519 over canonical_json(msg), base64; `key_id` names HQ's key."""

    v: Literal[1] = 1
    msg: dict[str, Any]
    sig: str
    key_id: str


class PriceChange(_Message):
    sku: Annotated[str, Field(min_length=1, max_length=40)]
    price: Annotated[int, Field(ge=0, le=100_000_000)]
    effective_at: AwareDatetime | None = Field(default=None, description="none = at once")


class PriceBody(_Message):
    changes: Annotated[list[PriceChange], Field(min_length=1, max_length=200_000)]


class CatalogBody(_Message):
    """Items in the catalog CSV's columns (docs/catalog.md), as strings or numbers."""

    items: Annotated[list[dict[str, str | int | bool]], Field(min_length=1, max_length=200_000)]
