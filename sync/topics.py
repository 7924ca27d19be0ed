"""The MQTT topic tree (docs/sync.md): storenode/v1/<tenant>/store/<store>/{events,ack,status,inbox/<kind>}
and storenode/v1/<tenant>/all/inbox/<kind>."""

from __future__ import annotations

from dataclasses import dataclass

ROOT = "storenode/v1"
SHARE_GROUP = "hq"


@dataclass(frozen=True, slots=True)
class StoreTopics:
    """The topics one store publishes and reads."""

    tenant: str
    store: str

    @property
    def base(self) -> str:
        return f"{ROOT}/{self.tenant}/store/{self.store}"

    @property
    def events(self) -> str:
        return f"{self.base}/events"

    @property
    def ack(self) -> str:
        return f"{self.base}/ack"

    @property
    def inbox(self) -> str:
        """This store's messages, one retained topic per kind: .../inbox/<kind>."""
        return f"{self.base}/inbox/+"

    def inbox_for(self, kind: str) -> str:
        return f"{self.base}/inbox/{kind}"

    @property
    def status(self) -> str:
        return f"{self.base}/status"

    @property
    def all_inbox(self) -> str:
        return all_inbox(self.tenant, "+")


def all_inbox(tenant: str, kind: str) -> str:
    """Messages for every store of the tenant; the latest of each kind is retained."""
    return f"{ROOT}/{tenant}/all/inbox/{kind}"


def hq_events_filter(tenant: str) -> str:
    """Every store's events, shared between the `hq serve` processes."""
    return f"$share/{SHARE_GROUP}/{ROOT}/{tenant}/store/+/events"


def hq_status_filter(tenant: str) -> str:
    """Not shared: every `hq serve` sees the retained presence of every store."""
    return f"{ROOT}/{tenant}/store/+/status"


def store_of(topic: str) -> str:
    """The store id in .../store/<store>/<leaf>."""
    parts = topic.split("/")
    try:
        return parts[parts.index("store") + 1]
    except (ValueError, IndexError):
        raise ValueError(f"not a store topic: {topic!r}") from None
