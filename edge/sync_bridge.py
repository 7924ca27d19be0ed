"""Sync wired onto the ledger: the journal as the publisher's outbox, and HQ's messages
applied inside `ledger.unit_of_work()` with one journal row each.

Positions and versions live in `node_state`: `sync.acked_seq` and `sync.version.<kind>`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from edge.bootstrap import Node
from edge.clock import to_utc_text, utc_now
from edge.errors import NodeError
from edge.ledger import Ledger
from pos.canonical import canonical_json
from pos.catalog import parse_item_row
from pos.errors import InvalidInput
from sync.errors import MessageRefused
from sync.inbox import Decision, Refusal, decide
from sync.publisher import OutboundRow
from sync.schemas import MESSAGE_KINDS, CatalogBody, InboxMessage, PriceBody
from sync.store import DeviceHealth, StoreSync

ACKED_KEY = "sync.acked_seq"
MAX_LISTED = 100  # skus named in one journal row; the rest are counted


def _state(conn: Connection, key: str) -> str | None:
    row = conn.exec_driver_sql("SELECT value FROM node_state WHERE key = ?", (key,)).first()
    return None if row is None else str(row[0])


def _set_state(conn: Connection, key: str, value: str) -> None:
    conn.exec_driver_sql(
        "INSERT INTO node_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


class LedgerJournal:
    """The journal as the publisher's outbox (read through the reader engine: never waits)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def rows_after(self, seq: int, limit: int) -> Sequence[OutboundRow]:
        """Rows to publish, once durable: a row read a moment after its commit may not be synced
        yet (`edge.ledger`), and HQ must never count a sale a power cut then takes back."""
        with self._ledger.reader.connect() as conn:
            result = conn.exec_driver_sql(
                "SELECT seq, payload, prev_hash, hash FROM journal WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
            )
            rows = [OutboundRow(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in result]
        self._ledger.make_durable()
        return rows

    def last_seq(self) -> int:
        return self._ledger.last_seq()

    def acked_seq(self) -> int:
        with self._ledger.reader.connect() as conn:
            return int(_state(conn, ACKED_KEY) or 0)

    def save_acked_seq(self, seq: int) -> None:
        with self._ledger.writer.begin() as conn:
            _set_state(conn, ACKED_KEY, str(seq))


class LedgerInbox:
    """Applies verified HQ messages to the ledger (the `InboxLedger` of sync.inbox)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._appliers: dict[str, Callable[[Connection, InboxMessage, bool], dict[str, Any]]] = {
            "promotions": self._promotions,
            "prices": self._prices,
            "catalog": self._catalog,
        }

    def versions(self) -> dict[str, int]:
        with self._ledger.reader.connect() as conn:
            return {kind: int(_state(conn, f"sync.version.{kind}") or 0) for kind in MESSAGE_KINDS}

    def apply(self, message: InboxMessage) -> Decision:
        with self._ledger.unit_of_work() as uow:
            conn = uow.session.connection()
            seen = conn.exec_driver_sql("SELECT 1 FROM sync_inbox WHERE msg_id = ?", (message.msg_id,)).first()
            last = int(_state(conn, f"sync.version.{message.kind}") or 0)
            decision = decide(message.kind, message.version, last, seen is not None)
            if decision is Decision.ROLLBACK:
                raise MessageRefused(
                    "rollback", f"{message.kind} version {message.version} is older than the applied {last}"
                )
            if decision not in (Decision.APPLY, Decision.LATE):
                return decision
            data = self._appliers[message.kind](conn, message, decision is Decision.LATE)
            entry = uow.journal(f"{message.kind}.applied", {"msg_id": message.msg_id, "version": message.version, **data})
            conn.exec_driver_sql(
                "INSERT INTO sync_inbox (msg_id, kind, version, outcome, journal_seq, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                (message.msg_id, message.kind, message.version, decision.value, entry.seq, to_utc_text(utc_now())),
            )
            if message.version > last:
                _set_state(conn, f"sync.version.{message.kind}", str(message.version))
            uow.commit()
        return decision

    def refuse(self, refusal: Refusal) -> None:
        with self._ledger.unit_of_work() as uow:
            uow.journal("sync.message_refused", refusal.as_data())
            uow.commit()

    def tick(self) -> None:
        now = utc_now()
        with self._ledger.reader.connect() as conn:
            due = conn.exec_driver_sql(
                "SELECT 1 FROM price_change WHERE state = 'pending' AND effective_at <= ? LIMIT 1", (to_utc_text(now),)
            ).first()
        if due is None:
            return
        with self._ledger.unit_of_work() as uow:
            changes = _activate_due(uow.session.connection(), now)
            if changes:
                uow.journal("prices.activated", {"changes": changes[:MAX_LISTED], "count": len(changes)})
                uow.commit()

    # -- appliers: each returns the journal row's data ----------------------------------------
    def _promotions(self, conn: Connection, message: InboxMessage, late: bool) -> dict[str, Any]:
        from pos.promotions.bundle import load_bundle  # the rules validate the bundle

        if message.body.get("version") != message.version:
            raise MessageRefused("invalid_body", "the bundle's version differs from the message's version")
        try:
            bundle = load_bundle(message.body)
        except InvalidInput as err:
            raise MessageRefused("invalid_body", f"promotion bundle refused: {err.message}") from None
        conn.exec_driver_sql(
            "INSERT INTO promotion_bundle (version, msg_id, body, applied_at) VALUES (?, ?, ?, ?)",
            (message.version, message.msg_id, canonical_json(message.body).decode(), to_utc_text(utc_now())),
        )
        return {"promotions": len(bundle.promotions), "resolution": bundle.resolution}

    def _prices(self, conn: Connection, message: InboxMessage, late: bool) -> dict[str, Any]:
        try:
            body = PriceBody.model_validate(message.body)
        except ValueError as err:
            raise MessageRefused("invalid_body", f"price changes refused: {str(err)[:200]}") from None
        known = _known_skus(conn, [change.sku for change in body.changes])
        unknown = sorted({change.sku for change in body.changes} - known)
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO price_change (msg_id, sku, version, price, effective_at, state) VALUES (?, ?, ?, ?, ?, 'pending')",
            [
                (message.msg_id, c.sku, message.version, c.price, to_utc_text(c.effective_at or message.issued_at))
                for c in body.changes
                if c.sku in known
            ],
        )
        applied = _activate_due(conn, utc_now(), message.msg_id)
        pending = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM price_change WHERE msg_id = ? AND state = 'pending'", (message.msg_id,)
        ).scalar_one()
        return {
            "late": late, "changes": len(body.changes), "applied": applied[:MAX_LISTED],
            "applied_count": len(applied), "scheduled": int(pending), "unknown_skus": unknown[:MAX_LISTED],
        }

    def _catalog(self, conn: Connection, message: InboxMessage, late: bool) -> dict[str, Any]:
        try:
            body = CatalogBody.model_validate(message.body)
        except ValueError as err:
            raise MessageRefused("invalid_body", f"catalog update refused: {str(err)[:200]}") from None
        tax_classes = frozenset(str(r[0]) for r in conn.exec_driver_sql("SELECT code FROM tax_class"))
        updated: list[str] = []
        refused: list[dict[str, str]] = []
        for raw in body.items:
            try:
                record = parse_item_row({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in raw.items()}, tax_classes)
            except InvalidInput as err:
                refused.append({"sku": str(raw.get("sku", "")), "reason": err.message})
                continue
            row = conn.exec_driver_sql("SELECT catalog_version FROM item_sync WHERE sku = ?", (record.sku,)).first()
            if row is not None and int(row[0]) >= message.version:
                continue  # a newer catalog update already set this item
            owner = next(
                (o for c in record.codes if (o := _code_owner(conn, c.value)) not in (None, record.sku)), None
            )
            if owner is not None:
                refused.append({"sku": record.sku, "reason": f"a barcode already belongs to item {owner}"})
                continue
            now = to_utc_text(utc_now())
            # A catalog update never changes an existing item's price: prices move by price changes.
            conn.exec_driver_sql(
                "INSERT INTO item (sku, name_en, name_zh, unit, price, tax_class, category, brand, active, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sku) DO UPDATE SET name_en = excluded.name_en, "
                "name_zh = excluded.name_zh, unit = excluded.unit, tax_class = excluded.tax_class, "
                "category = excluded.category, brand = excluded.brand, active = excluded.active, updated_at = excluded.updated_at",
                (record.sku, record.name_en, record.name_zh, record.unit.value, record.price, record.tax_class,
                 record.category, record.brand, record.active, now),
            )
            conn.exec_driver_sql("DELETE FROM item_code WHERE sku = ?", (record.sku,))
            for code in record.codes:
                conn.exec_driver_sql("INSERT INTO item_code (code, kind, sku) VALUES (?, ?, ?)", (code.value, code.kind.value, record.sku))
            conn.exec_driver_sql(
                "INSERT INTO item_sync (sku, catalog_version, price_version) VALUES (?, ?, 0) "
                "ON CONFLICT(sku) DO UPDATE SET catalog_version = excluded.catalog_version",
                (record.sku, message.version),
            )
            updated.append(record.sku)
        return {"late": late, "items": len(body.items), "updated": updated[:MAX_LISTED],
                "updated_count": len(updated), "refused": refused[:MAX_LISTED], "refused_count": len(refused)}


def _known_skus(conn: Connection, skus: Sequence[str]) -> set[str]:
    found: set[str] = set()
    unique = sorted(set(skus))
    for start in range(0, len(unique), 900):
        chunk = unique[start : start + 900]
        marks = ",".join("?" * len(chunk))
        found.update(str(r[0]) for r in conn.exec_driver_sql(f"SELECT sku FROM item WHERE sku IN ({marks})", tuple(chunk)))
    return found


def _code_owner(conn: Connection, code: str) -> str | None:
    row = conn.exec_driver_sql("SELECT sku FROM item_code WHERE code = ?", (code,)).first()
    return None if row is None else str(row[0])


def _activate_due(conn: Connection, now: datetime, msg_id: str | None = None) -> list[dict[str, Any]]:
    """Put due price changes into effect: per item, the latest (effective time, version) wins."""
    where = "state = 'pending' AND effective_at <= ?" + (" AND msg_id = ?" if msg_id else "")
    params: tuple[Any, ...] = (to_utc_text(now), msg_id) if msg_id else (to_utc_text(now),)
    due = conn.exec_driver_sql(
        f"SELECT msg_id, sku, version, price, effective_at FROM price_change WHERE {where} ORDER BY effective_at, version",
        params,
    ).all()
    applied: list[dict[str, Any]] = []
    for change_msg, sku, version, price, effective_at in due:
        current = conn.exec_driver_sql(
            "SELECT price_effective_at, price_version FROM item_sync WHERE sku = ?", (sku,)
        ).first()
        newer = current is None or current[0] is None or (effective_at, version) > (current[0], current[1])
        state = "applied" if newer else "superseded"
        if newer:
            conn.exec_driver_sql("UPDATE item SET price = ?, updated_at = ? WHERE sku = ?", (price, to_utc_text(now), sku))
            conn.exec_driver_sql(
                "INSERT INTO item_sync (sku, catalog_version, price_version, price_effective_at) VALUES (?, 0, ?, ?) "
                "ON CONFLICT(sku) DO UPDATE SET price_version = excluded.price_version, price_effective_at = excluded.price_effective_at",
                (sku, version, effective_at),
            )
            applied.append({"sku": sku, "price": price, "version": version, "effective_at": effective_at})
        conn.exec_driver_sql("UPDATE price_change SET state = ? WHERE msg_id = ? AND sku = ?", (state, change_msg, sku))
    return applied


def active_promotion_bundle(ledger: Ledger) -> dict[str, Any] | None:
    """The bundle in force (highest version applied), as HQ signed it; None before the first."""
    with ledger.reader.connect() as conn:
        row = conn.exec_driver_sql("SELECT body FROM promotion_bundle ORDER BY version DESC LIMIT 1").first()
    if row is None:
        return None
    body: dict[str, Any] = json.loads(row[0])
    return body


class StoreSyncHandle:
    """What `start_store_sync` returns: `stop()` ends the threads and says offline."""

    def __init__(self, sync: StoreSync, ledger: Ledger) -> None:
        self.sync, self._ledger = sync, ledger
        ledger.on_commit(self.sync.wake)

    def stop(self) -> None:
        self._ledger.remove_on_commit(self.sync.wake)
        self.sync.stop()


def start_store_sync(node: Node, device_health: DeviceHealth | None = None) -> StoreSyncHandle:
    """Start publishing the journal to HQ and applying HQ's messages (needs a [sync] section)."""
    settings = node.settings.sync
    if settings is None:
        raise NodeError("no [sync] section in the store config: sync with HQ is off")
    sync = StoreSync(
        settings,
        tenant=node.settings.store.tenant,
        store=node.settings.store.id,
        journal=LedgerJournal(node.ledger),
        inbox=LedgerInbox(node.ledger),
        device_health=device_health,
    )
    handle = StoreSyncHandle(sync, node.ledger)
    sync.start()
    return handle
