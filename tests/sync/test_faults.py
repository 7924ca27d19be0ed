"""The issue's fault tests, against a real Mosquitto, real SQLite ledgers and a real PostgreSQL.

In every case HQ ends with exactly the store's journal (same seqs, same hashes), HQ's stock
for the store equals the store's `stock_level`, and the store is on the latest promotions.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.bootstrap import Node, build_node
from edge.settings import load_settings
from edge.sync_bridge import start_store_sync
from sync.hq.db import open_database
from sync.hq.push import queue_message
from sync.hq.serve import Collector
from sync.hq.status import journal_of
from tests.sync.parts import Broker, KeyFixture, wait_until
from tests.sync.support import (
    Seller,
    bundle,
    converged,
    explain,
    open_store,
    push,
    receive,
    sell,
    spawn_hq,
    spawn_store,
    store_config,
)


@pytest.fixture
def store(broker: Broker, hq_key: KeyFixture, tmp_path: Path) -> Iterator[Node]:
    node = open_store(tmp_path / "S1", "S1", broker.port, hq_key[2])
    receive(node.ledger, 100_000)
    yield node
    node.close()


def test_broker_sigkilled_mid_stream_and_restarted(hq: Collector, store: Node, broker: Broker, hq_key: KeyFixture) -> None:
    for n in range(1500):
        sell(store.ledger, n)
    handle = start_store_sync(store)
    try:
        push(hq, hq_key[1], "promotions", bundle(1))
        with Seller(store.ledger):
            wait_until(lambda: len(journal_of(hq.engine, "S1")) > 0, 20, "HQ to start receiving")
            broker.kill()
            # While the broker is gone: HQ queues v2 (it cannot publish), the store keeps selling.
            queue_message(hq.engine, hq_key[1], tenant="default", kind="promotions", body=bundle(2))
            time.sleep(1.0)
            broker.start()
            wait_until(lambda: handle.sync.link.connected.is_set(), 20, "the store to reconnect")
        wait_until(lambda: converged(hq.engine, "S1", store.ledger, promotions=2), 60,
                   "convergence after the broker's SIGKILL")
    finally:
        handle.stop()
    assert converged(hq.engine, "S1", store.ledger, promotions=2), explain(hq.engine, "S1", store.ledger)


def test_broker_stopped_for_a_while_sales_go_on(hq: Collector, store: Node, broker: Broker, hq_key: KeyFixture) -> None:
    handle = start_store_sync(store)
    try:
        with Seller(store.ledger, every=0.01) as seller:
            wait_until(lambda: len(journal_of(hq.engine, "S1")) > 20, 20, "HQ to receive live sales")
            broker.stop()
            down_at = store.ledger.last_seq()
            time.sleep(3.0)  # the network is cut; the lanes keep selling
            assert store.ledger.last_seq() > down_at + 20
            assert handle.sync.publisher.acked_seq <= down_at
            broker.start()
        assert seller.slowest < 1.0  # a sale never waited for the network
        push(hq, hq_key[1], "promotions", bundle(1))
        wait_until(lambda: converged(hq.engine, "S1", store.ledger, promotions=1), 60, "the backlog to drain")
    finally:
        handle.stop()


def test_store_sigkilled_mid_publish_and_restarted(hq: Collector, broker: Broker, hq_key: KeyFixture, tmp_path: Path) -> None:
    config = store_config(tmp_path / "S2", "S2", broker.port, hq_key[2])
    node = build_node(load_settings(config), init=True)
    try:
        for n in range(2000):
            sell(node.ledger, n)
        push(hq, hq_key[1], "promotions", bundle(1))
        first = spawn_store(config, sell_count=100_000, sell_every=0.002)
        wait_until(lambda: len(journal_of(hq.engine, "S2")) > 200, 30, "the store process to publish")
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
        killed_at = node.ledger.last_seq()
        assert len(journal_of(hq.engine, "S2")) < killed_at  # it really was mid-publish
        second = spawn_store(config, sell_count=30, sell_every=0.01)
        try:
            wait_until(lambda: node.ledger.last_seq() >= killed_at + 30, 30, "the restarted store to sell")
            wait_until(lambda: converged(hq.engine, "S2", node.ledger, promotions=1), 60,
                       "convergence after the store's SIGKILL")
        finally:
            second.terminate()
            assert second.wait(15) == 0, second.stderr.read().decode() if second.stderr else ""
        assert converged(hq.engine, "S2", node.ledger, promotions=1), explain(hq.engine, "S2", node.ledger)
    finally:
        node.close()


def test_hq_killed_and_restarted_two_processes_on_postgresql(
    broker: Broker, hq_key: KeyFixture, tmp_path: Path, postgres_url: str
) -> None:
    stores = [open_store(tmp_path / f"P{i}", f"P{i}", broker.port, hq_key[2]) for i in range(2)]
    engine = open_database(postgres_url)
    hqs = [spawn_hq(postgres_url, broker.port, f"pg{i}", key=hq_key[0]) for i in range(2)]
    handles = []
    try:
        for i, node in enumerate(stores):
            receive(node.ledger, 100_000)
            for n in range(1000):
                sell(node.ledger, n + i)
        queue_message(engine, hq_key[1], tenant="default", kind="promotions", body=bundle(1))
        handles = [start_store_sync(node) for node in stores]
        with Seller(stores[0].ledger, start=20_000), Seller(stores[1].ledger, start=30_000):
            wait_until(lambda: len(journal_of(engine, "P0")) > 100, 30, "HQ to start storing")
            hqs[0].send_signal(signal.SIGKILL)  # mid-stream: both lanes keep selling
            hqs[0].wait(10)
            queue_message(engine, hq_key[1], tenant="default", kind="promotions", body=bundle(2))
            seen = len(journal_of(engine, "P1"))
            wait_until(lambda: len(journal_of(engine, "P1")) > seen + 20, 30, "the surviving HQ to carry on")
            hqs[1].send_signal(signal.SIGKILL)  # now both are down: nothing may be lost
            hqs[1].wait(10)
            marks = [node.ledger.last_seq() for node in stores]
            wait_until(lambda: all(n.ledger.last_seq() > m + 20 for n, m in zip(stores, marks, strict=True)), 30,
                       "sales while HQ is down")
            assert all(max(journal_of(engine, f"P{i}")) <= marks[i] for i in range(2))
            hqs = [spawn_hq(postgres_url, broker.port, f"pg{i}", key=hq_key[0]) for i in range(2)]
        for i, node in enumerate(stores):
            wait_until(lambda node=node, i=i: converged(engine, f"P{i}", node.ledger, promotions=2), 90,
                       f"store P{i} to converge after HQ's SIGKILL")
    finally:
        for handle in handles:
            handle.stop()
        for process in hqs:
            process.terminate()
            process.wait(15)
        for node in stores:
            node.close()
        engine.dispose()
