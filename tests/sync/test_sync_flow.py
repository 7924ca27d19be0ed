"""The happy paths end to end: journal up, acks back, promotions/prices/catalog down, presence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from edge.bootstrap import Node
from edge.sync_bridge import active_promotion_bundle, start_store_sync
from sync.hq.db import hq_sales_day, hq_store, open_database, reading
from sync.hq.serve import Collector
from sync.hq.status import store_reports
from tests.sync.parts import Broker, KeyFixture, wait_until
from tests.sync.support import (
    bundle,
    converged,
    explain,
    journal_kinds,
    open_store,
    push,
    receive,
    sell,
    store_version,
)


@pytest.fixture
def store(broker: Broker, hq_key: KeyFixture, tmp_path: Path) -> Iterator[Node]:
    node = open_store(tmp_path / "S1", "S1", broker.port, hq_key[2])
    yield node
    node.close()


def test_the_journal_reaches_hq_exactly_once_and_is_acked(hq: Collector, store: Node) -> None:
    receive(store.ledger)
    for n in range(300):
        sell(store.ledger, n)
    handle = start_store_sync(store)
    try:
        wait_until(lambda: converged(hq.engine, "S1", store.ledger), 30, "HQ to hold the store's journal")
        for n in range(300, 320):  # live sales after the backlog: woken by the commit
            sell(store.ledger, n)
        wait_until(lambda: converged(hq.engine, "S1", store.ledger), 30, "live sales to reach HQ")
        wait_until(lambda: handle.sync.publisher.acked_seq == store.ledger.last_seq(), 10, "the ack")
        assert handle.sync.publisher.sent_messages < store.ledger.last_seq()  # several rows per message
    finally:
        handle.stop()
    with store.ledger.reader.connect() as conn:
        saved = conn.exec_driver_sql("SELECT value FROM node_state WHERE key = 'sync.acked_seq'").scalar_one()
    assert int(saved) == store.ledger.last_seq()
    with reading(hq.engine) as conn:
        day = conn.execute(select(hq_sales_day.c.sales, hq_sales_day.c.amount)).one()
    assert day.sales == 320
    assert day.amount == sum(500 * (2 + n % 3) for n in range(320))


def test_presence_is_retained_with_heartbeat_figures_and_offline_on_stop(hq: Collector, store: Node) -> None:
    sell(store.ledger, 1)
    handle = start_store_sync(store)

    def online() -> bool:
        with reading(hq.engine) as conn:
            row = conn.execute(select(hq_store.c.state, hq_store.c.status).where(hq_store.c.store == "S1")).first()
        return row is not None and row.state == "online" and json.loads(row.status)["acked_seq"] == 1

    wait_until(online, 20, "an online heartbeat with the ack")
    handle.stop()

    def offline() -> bool:
        return any(r.store == "S1" and r.state == "offline" for r in store_reports(hq.engine))

    wait_until(offline, 20, "the offline status")


def test_promotions_prices_and_catalog_are_applied_once_and_reported(
    hq: Collector, store: Node, hq_key: KeyFixture
) -> None:
    key = hq_key[1]
    handle = start_store_sync(store)
    try:
        wait_until(lambda: handle.sync.link.connected.is_set(), 10, "the store to connect")
        push(hq, key, "promotions", bundle(1))
        wait_until(lambda: store_version(store.ledger) == 1, 20, "promotions v1 applied")
        soon = datetime.now(UTC) + timedelta(seconds=2)
        push(hq, key, "prices", {"changes": [
            {"sku": "A1", "price": 777},
            {"sku": "B2", "price": 888, "effective_at": soon.isoformat()},
            {"sku": "NOPE", "price": 1},
        ]}, stores=("S1",))
        push(hq, key, "catalog", {"items": [
            {"sku": "N9", "name_en": "New item", "unit": "each", "price": 1234, "tax_class": "VAT13", "barcodes": "6901234567892"},
            {"sku": "A1", "name_en": "Renamed A1", "unit": "each", "price": 1, "tax_class": "VAT13"},
            {"sku": "BAD", "name_en": "Bad tax", "unit": "each", "price": 1, "tax_class": "NOPE"},
        ]}, stores=("S1",))

        def prices() -> dict[str, int]:
            with store.ledger.reader.connect() as conn:
                return {r[0]: r[1] for r in conn.exec_driver_sql("SELECT sku, price FROM item")}

        wait_until(lambda: prices().get("N9") == 1234 and prices()["A1"] == 777, 20, "price A1 and new item N9")
        assert prices()["B2"] == 500  # not yet effective
        wait_until(lambda: prices()["B2"] == 888, 20, "the scheduled price to take effect")
        applied = journal_kinds(store.ledger, "prices.applied")
        assert len(applied) == 1 and applied[0]["unknown_skus"] == ["NOPE"] and applied[0]["scheduled"] == 1
        catalog = journal_kinds(store.ledger, "catalog.applied")
        assert catalog[0]["updated_count"] == 2 and catalog[0]["refused"][0]["sku"] == "BAD"
        assert prices()["A1"] == 777  # a catalog update does not move an existing item's price
        assert len(journal_kinds(store.ledger, "prices.activated")) == 1
        assert active_promotion_bundle(store.ledger) == bundle(1)

        def reported() -> bool:
            report = {r.store: r for r in store_reports(hq.engine)}.get("S1")
            return report is not None and report.versions == {"promotions": 1, "prices": 1, "catalog": 1}

        wait_until(reported, 20, "HQ to see every version applied")
        wait_until(lambda: converged(hq.engine, "S1", store.ledger, promotions=1), 20, explain(hq.engine, "S1", store.ledger))
        assert len(journal_kinds(store.ledger, "promotions.applied")) == 1  # republished and retained: still once
    finally:
        handle.stop()


def test_a_database_url_or_path_opens_sqlite(tmp_path: Path) -> None:
    engine = open_database(str(tmp_path / "x.db"))
    assert engine.dialect.name == "sqlite"
    assert store_reports(engine) == []
