"""Pushing signed messages: validate, sign, keep in HQ's outbox, publish; and what is still due.

A message stays due until every target store reports its kind at this version or later
(from the `<kind>.applied` journal events, or from heartbeats). Messages for every store
go to .../all/inbox/<kind>, retained, so a store that was offline catches up from the
broker; messages for named stores go to each store's .../inbox/<kind>, not retained (the
store's persistent session queues them, and HQ re-publishes until applied), so no older
message lingers on the broker to be mistaken for a rollback attempt.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError

from pos.errors import PosError
from sync.errors import SyncError
from sync.hq.db import hq_delivery, hq_outbox, hq_store, hq_store_version
from sync.schemas import CatalogBody, MessageKind, PriceBody
from sync.signing import sign
from sync.topics import StoreTopics, all_inbox


class PushError(SyncError):
    """A push HQ refuses before signing (bad file, stale version)."""


def _time_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read_body(kind: MessageKind, path: Path) -> dict[str, Any]:
    """The message body from a file: JSON for promotions and prices, CSV for prices and catalog."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PushError(f"{path}: cannot read: {err.strerror}") from err
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        if kind == "catalog":
            return {"items": [{k: v for k, v in row.items() if k and v is not None} for row in rows]}
        if kind == "prices":
            return {"changes": [
                {"sku": r["sku"], "price": int(r["price"]), **({"effective_at": r["effective_at"]} if r.get("effective_at") else {})}
                for r in rows
            ]}
        raise PushError(f"{path}: promotions are pushed as a JSON bundle")
    try:
        body = json.loads(text)
    except ValueError as err:
        raise PushError(f"{path}: not valid JSON: {err}") from err
    if not isinstance(body, dict):
        raise PushError(f"{path}: expected a JSON object")
    return body


def validate(kind: MessageKind, body: dict[str, Any]) -> None:
    """The same checks the stores make, so a bad file never leaves HQ."""
    try:
        if kind == "promotions":
            from pos.promotions.bundle import load_bundle  # the promotions' own schema

            load_bundle(body)
        elif kind == "prices":
            PriceBody.model_validate(body)
        else:
            CatalogBody.model_validate(body)
    except ValidationError as err:
        raise PushError(f"{kind} file refused: {str(err)[:400]}") from None
    except PosError as err:  # the promotion rules name the field
        raise PushError(f"{kind} file refused: {err}") from None


def queue_message(
    engine: Engine, key: Ed25519PrivateKey, *, tenant: str, kind: MessageKind, body: dict[str, Any],
    stores: Sequence[str] = (), expires_in: timedelta = timedelta(days=7), now: datetime | None = None,
) -> tuple[dict[str, Any], bytes]:
    """Validate, give a version, sign and store in the outbox; returns (message, envelope)."""
    validate(kind, body)
    issued = now or datetime.now(UTC)
    with engine.begin() as conn:
        last = conn.execute(select(func.max(hq_outbox.c.version)).where(hq_outbox.c.kind == kind)).scalar() or 0
        if kind == "promotions":
            version = body.get("version")
            if not isinstance(version, int) or version <= last:
                raise PushError(f"the bundle's version {version} must be above the last pushed version {last}")
        else:
            version = last + 1
        msg: dict[str, Any] = {
            "msg_id": str(uuid.uuid4()), "kind": kind, "version": version, "tenant": tenant,
            "stores": sorted(set(stores)), "issued_at": _time_text(issued),
            "expires_at": _time_text(issued + expires_in), "body": body,
        }
        envelope = sign(key, msg)
        try:
            conn.execute(hq_outbox.insert().values(
                msg_id=msg["msg_id"], kind=kind, version=version, stores=",".join(sorted(set(stores))),
                envelope=envelope.decode(), issued_at=msg["issued_at"], expires_at=msg["expires_at"], retired=False,
            ))
        except IntegrityError:
            raise PushError(f"{kind} version {version} was pushed at the same moment by someone else; push again") from None
    return msg, envelope


def topic_for(tenant: str, kind: str, stores: Sequence[str]) -> list[str]:
    if not stores:
        return [all_inbox(tenant, kind)]
    return [StoreTopics(tenant, store).inbox_for(kind) for store in stores]


def due_publications(
    engine: Engine, tenant: str, *, reassert: bool = False, now: datetime | None = None
) -> Iterator[tuple[str, bytes, bool]]:
    """(topic, envelope, retain) for every outbox message some target has not applied yet.

    A promotion bundle counts as applied when the store reports that version or a later
    one (a full set supersedes); prices and catalog updates only when the store reports
    that very message. Expired messages, and ones every target applied, are retired; the
    newest message of a kind for every store stays (retained on .../all/inbox/<kind>) and is
    re-asserted with `reassert` (after HQ reconnects: the broker may have lost it).
    """
    moment = _time_text(now or datetime.now(UTC))
    with engine.begin() as conn:
        known = [r[0] for r in conn.execute(select(hq_store.c.store))]
        versions = {(r[0], r[1]): r[2] for r in conn.execute(select(hq_store_version))}
        delivered = {(r[0], r[1]) for r in conn.execute(select(hq_delivery))}
        rows = conn.execute(
            select(hq_outbox).where(hq_outbox.c.retired.is_(False)).order_by(hq_outbox.c.kind, hq_outbox.c.version)
        ).mappings().all()
        newest_all = {row["kind"]: row["msg_id"] for row in rows if not row["stores"]}
        for row in rows:
            kind, msg_id, stores = row["kind"], row["msg_id"], [s for s in row["stores"].split(",") if s]

            def done(store: str, kind: str = kind, msg_id: str = msg_id, version: int = row["version"]) -> bool:
                superseded = kind == "promotions" and versions.get((store, kind), 0) >= version
                return superseded or (store, msg_id) in delivered

            newest = newest_all.get(kind) == msg_id
            pending = [s for s in stores or known if not done(s)]
            if row["expires_at"] <= moment or (not pending and not newest):
                conn.execute(update(hq_outbox).where(hq_outbox.c.msg_id == msg_id).values(retired=True))
            elif newest:
                if pending or reassert:
                    yield all_inbox(tenant, kind), row["envelope"].encode(), True
            else:
                for topic in topic_for(tenant, kind, pending):
                    yield topic, row["envelope"].encode(), False
