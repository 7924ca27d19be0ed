"""The store's `[sync]` settings section: broker, credentials, HQ's public key, tuning."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class SyncSection(BaseModel):
    """How this store reaches HQ over MQTT (docs/sync.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    broker_host: str = "127.0.0.1"
    broker_port: int = Field(default=1883, ge=1, le=65535)
    tls_ca: Path | None = Field(default=None, description="CA file: turns TLS on")
    tls_cert: Path | None = Field(default=None, description="client certificate (PEM)")
    tls_key: Path | None = Field(default=None, description="client key (PEM)")
    username: str | None = None
    password: str | None = None
    hq_public_key: str = Field(
        min_length=40, description="HQ's Ed25519 public key, base64 (printed by `storenode hq keygen`)"
    )
    heartbeat_seconds: float = Field(default=30.0, gt=0, le=3600)
    batch_size: int = Field(default=200, ge=1, le=5000, description="journal rows per MQTT message")
    in_flight_batches: int = Field(default=8, ge=1, le=1000, description="messages sent but not acked by HQ")
    max_payload_bytes: int = Field(default=8 << 20, ge=1024, le=256 << 20)
    ack_timeout_seconds: float = Field(
        default=15.0, gt=0, le=3600, description="resend from the last ack when HQ says nothing this long"
    )
    session_expiry_seconds: int = Field(default=7 * 24 * 3600, ge=0)
    keepalive_seconds: int = Field(default=30, ge=5, le=3600)
    reconnect_min_seconds: float = Field(default=0.5, gt=0)
    reconnect_max_seconds: float = Field(default=30.0, gt=0)

    @field_validator("hq_public_key")
    @classmethod
    def _an_ed25519_key(cls, value: str) -> str:
        try:
            raw = base64.b64decode(value.strip(), validate=True)
        except binascii.Error:
            raise ValueError("not base64 (copy the key `storenode hq keygen` printed)") from None
        if len(raw) != 32:
            raise ValueError(f"an Ed25519 public key is 32 bytes, this one is {len(raw)}")
        return value.strip()

    @model_validator(mode="after")
    def _consistent(self) -> SyncSection:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        if self.tls_cert is not None and self.tls_ca is None:
            raise ValueError("a client certificate needs tls_ca as well")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            raise ValueError("reconnect_max_seconds is below reconnect_min_seconds")
        return self
