"""HQ's options: broker, database, tenant, key; from the command line or STORENODE_HQ_* variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sync.mqtt import BrokerOptions


@dataclass(frozen=True)
class HqSettings:
    db: str = "hq.db"
    broker_host: str = "127.0.0.1"
    broker_port: int = 1883
    tenant: str = "default"
    key: Path = Path("hq_key.pem")
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    username: str | None = None
    password: str | None = None

    def broker(self, client_id: str, *, session_expiry: int = 7 * 24 * 3600) -> BrokerOptions:
        return BrokerOptions(
            host=self.broker_host, port=self.broker_port, client_id=client_id,
            tls_ca=self.tls_ca, tls_cert=self.tls_cert, tls_key=self.tls_key,
            username=self.username, password=self.password, session_expiry=session_expiry,
            reconnect_min=0.2, reconnect_max=10.0, max_inflight=1000,
        )
