"""`storenode hq add-store ID`: everything a new store needs, printed once."""

from __future__ import annotations

import secrets

from sqlalchemy import Engine, update

from sync.hq.db import hq_store, upsert
from sync.topics import ROOT, StoreTopics


def acl_lines(tenant: str, store: str) -> list[str]:
    """Mosquitto acl_file lines: the store writes and reads only its own topics."""
    topics = StoreTopics(tenant, store)
    return [
        f"user {store}",
        f"topic write {topics.events}",
        f"topic write {topics.status}",
        f"topic read {topics.ack}",
        f"topic read {topics.base}/inbox/#",
        f"topic read {ROOT}/{tenant}/all/inbox/#",
    ]


def hq_acl_lines(tenant: str, user: str = "hq") -> list[str]:
    return [
        f"user {user}",
        f"topic read {ROOT}/{tenant}/store/+/events",
        f"topic read {ROOT}/{tenant}/store/+/status",
        f"topic write {ROOT}/{tenant}/store/+/ack",
        f"topic write {ROOT}/{tenant}/store/+/inbox/#",
        f"topic write {ROOT}/{tenant}/all/inbox/#",
    ]


def enrol(
    engine: Engine, *, tenant: str, store: str, public_key: str, broker_host: str, broker_port: int,
    password: str | None = None, tls: bool = True,
) -> str:
    """Register the store (so pushes to every store wait for it) and describe its set-up."""
    with engine.begin() as conn:
        conn.execute(upsert(conn, hq_store).values(store=store).on_conflict_do_nothing())
        conn.execute(update(hq_store).where(hq_store.c.store == store).values(enrolled=True))
    password = password or secrets.token_urlsafe(18)
    tls_line = 'tls_ca = "ca.crt"              # the broker\'s CA; remove for a plain-TCP test broker\n' if tls else ""
    return "\n".join([
        f"# Store {store} of tenant {tenant} is enrolled at HQ.",
        "",
        "# 1. On the broker: its credentials (Mosquitto password file) ...",
        f"mosquitto_passwd -b /etc/mosquitto/passwd {store} '{password}'",
        "# ... and its ACL lines (acl_file): it publishes and reads only its own topics.",
        *acl_lines(tenant, store),
        "",
        f"# 2. HQ's public key (the store verifies every HQ message with it): {public_key}",
        "",
        "# 3. In the store's store.toml ([store] id must be the same, tenant too):",
        "[sync]",
        f'broker_host = "{broker_host}"',
        f"broker_port = {broker_port}",
        tls_line + f'username = "{store}"',
        f'password = "{password}"',
        f'hq_public_key = "{public_key}"',
        "",
    ])
