"""Sync benchmarks on loopback with a real Mosquitto (and PostgreSQL for HQ ingest).

- sync_catchup_per_s: a 100,000-row journal drained until HQ (`hq serve`, SQLite) has
  stored and acknowledged all of it; sync_catchup_vs_paho_ratio against bare paho QoS 1
  publishing the same payloads one per message to the same broker in the same run.
- promo_fanout_1000_stores_s: one bundle of 1,000 promotions to 1,000 simulated stores
  (four processes of 250 MQTT clients, each verifying, validating, applying and reporting
  it like a store) until HQ has every store's report.
- hq_ingest_per_s: events stored by two `hq serve` processes into PostgreSQL.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, func, select

from bench import Result, benchmark
from edge.ledger import Ledger
from edge.sync_bridge import LedgerInbox, LedgerJournal
from pos.canonical import canonical_json
from sync.config import SyncSection
from sync.hq.db import hq_store, hq_store_version, open_database
from sync.hq.push import queue_message, topic_for
from sync.inbox import Decision, Inbox, Refusal, decide
from sync.mqtt import BrokerOptions, Link
from sync.publisher import OutboundRow, encode_batch
from sync.schemas import InboxMessage, Status
from sync.signing import generate_private_key, load_public_key, public_key_text
from sync.store import StoreSync
from sync.topics import StoreTopics
from tests.sync.parts import Broker, Postgres, pg_bin, wait_until

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "bench" / ".data"
BACKLOG = 100_000
STORES = 1000
WORKERS = 4
PROMOTIONS = 1000
INGEST_STORES, INGEST_EACH = 20, 10_000


def _scratch() -> tempfile.TemporaryDirectory[str]:
    SCRATCH.mkdir(exist_ok=True)
    return tempfile.TemporaryDirectory(dir=SCRATCH)


def _hq(db: str, port: int, name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sync.hq", "serve", "--db", db, "--broker", f"127.0.0.1:{port}", "--name", name,
         "--republish-seconds", "600"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _sale(n: int) -> dict[str, Any]:
    return {"receipt_no": f"R{n:08d}", "totals": {"total": 1990 + n % 100},
            "stock": [{"sku": f"SKU{n % 500:05d}", "delta": -1}, {"sku": f"SKU{(n * 7) % 500:05d}", "delta": -2}]}


def _chain(store: str, count: int) -> list[OutboundRow]:
    rows, prev = [], "0" * 64
    for seq in range(1, count + 1):
        payload = canonical_json({"seq": seq, "at": "2026-11-23T08:00:00.000000Z", "kind": "sale.completed", "data": _sale(seq)})
        digest = hashlib.sha256(prev.encode() + payload).hexdigest()
        rows.append(OutboundRow(seq, payload.decode(), prev, digest))
        prev = digest
    return rows


def _wait_for_hq(port: int, probe_store: str) -> None:
    """HQ is subscribed once it acknowledges a one-row probe."""
    topics = StoreTopics("default", probe_store)
    acked = threading.Event()
    link = Link(BrokerOptions("127.0.0.1", port, f"probe-{uuid.uuid4().hex[:8]}", session_expiry=0),
                subscriptions=[(topics.ack, 1)], on_message=lambda _t, _p: acked.set())
    link.start()
    try:
        deadline = time.monotonic() + 30
        while not acked.is_set() and time.monotonic() < deadline:
            link.publish(topics.events, encode_batch(probe_store, _chain(probe_store, 1)))
            acked.wait(0.5)
        if not acked.is_set():
            raise RuntimeError("hq serve did not answer")
    finally:
        link.stop()


def _bare_paho_per_s(port: int, payloads: list[bytes], window: int = 20) -> float:
    """Bare paho, QoS 1, one payload per message, at most paho's default 20 in flight.

    (The window is kept by waiting for PUBACKs: handing paho 100,000 messages at once makes
    its queue scan quadratic, which would measure paho's queue, not the link.)
    """
    free = threading.Semaphore(window)
    done, count = threading.Event(), [0]

    def published(*_: Any) -> None:
        count[0] += 1
        free.release()
        if count[0] == len(payloads):
            done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bare-paho", protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(window)
    client.on_publish = published
    client.connect("127.0.0.1", port)
    client.loop_start()
    started = time.perf_counter()
    for payload in payloads:
        free.acquire()
        client.publish("storenode/v1/bench/bare/events", payload, qos=1)
    done.wait(600)
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return len(payloads) / elapsed


@benchmark("sync_catchup_per_s", "sync_catchup_vs_paho_ratio")
def catchup() -> Iterator[Result]:
    with _scratch() as tmp:
        directory = Path(tmp)
        broker = Broker(directory / "mosquitto").start()
        hq = _hq(str(directory / "hq.db"), broker.port, "bench")
        try:
            ledger = Ledger.open(directory / "store.db", store_id="BENCH", init=True)
            for start in range(0, BACKLOG, 10_000):
                with ledger.unit_of_work() as uow:
                    for n in range(start, start + 10_000):
                        uow.journal("sale.completed", _sale(n))
                    uow.commit()
            payloads = [row.payload.encode() for row in LedgerJournal(ledger).rows_after(0, BACKLOG)]
            _wait_for_hq(broker.port, "PROBE")
            key = generate_private_key(directory / "hq.pem")
            settings = SyncSection(broker_port=broker.port, hq_public_key=public_key_text(key.public_key()),
                                   batch_size=1000, in_flight_batches=16)
            sync = StoreSync(settings, tenant="default", store="BENCH", journal=LedgerJournal(ledger), inbox=LedgerInbox(ledger))
            started = time.perf_counter()
            sync.start()
            wait_until(lambda: sync.publisher.acked_seq >= BACKLOG, 600, "HQ to ack the backlog")
            ours = BACKLOG / (time.perf_counter() - started)
            sync.stop()
            ledger.dispose()
            bare = _bare_paho_per_s(broker.port, payloads)
        finally:
            hq.terminate()
            hq.wait(30)
            broker.stop()
    yield Result("sync_catchup_per_s", ours, "events/s", ">= 10000")
    yield Result("sync_catchup_vs_paho_ratio", ours / bare, "x", ">= 1.0")


class MemoryInbox:
    """A simulated store's ledger side: the same decisions and bundle validation, kept in memory."""

    def __init__(self) -> None:
        self.version, self.seen, self.refused = 0, set[str](), 0

    def apply(self, message: InboxMessage) -> Decision:
        from pos.promotions.bundle import load_bundle

        decision = decide(message.kind, message.version, self.version, message.msg_id in self.seen)
        if decision is Decision.APPLY:
            load_bundle(message.body)
            self.version = message.version
            self.seen.add(message.msg_id)
        return decision

    def refuse(self, refusal: Refusal) -> None:
        self.refused += 1

    def versions(self) -> dict[str, int]:
        return {"promotions": self.version}

    def tick(self) -> None:
        return None


def fanout_worker(port: int, first: int, count: int, public_key: str) -> None:
    """Run `count` simulated stores until stdin closes; prints `ready` once all are subscribed.

    Each simulated store is a paho client and the store's own `Inbox.handle` (size, Ed25519,
    schema, addressee, expiry, version decision, bundle validation) over an in-memory
    ledger, reporting its versions on its retained status topic as a store does. One
    thread drives all the sockets through epoll (a thread per client would spend the CPU
    on the GIL, and paho's own select() stops at 1024 descriptors).
    """
    key = load_public_key(public_key)
    selector = selectors.DefaultSelector()
    clients: list[mqtt.Client] = []
    subscribed = [0]
    for n in range(first, first + count):
        store = f"F{n:04d}"
        topics = StoreTopics("default", store)
        memory = MemoryInbox()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sim-{store}", protocol=mqtt.MQTTv5)

        def report(client: mqtt.Client = client, topics: StoreTopics = topics, memory: MemoryInbox = memory) -> None:
            status = Status(state="online", versions=memory.versions()).model_dump_json().encode()
            client.publish(topics.status, status, qos=1, retain=True)

        inbox = Inbox(memory, key, tenant="default", store=store, max_bytes=8 << 20, on_change=report)
        client.on_connect = lambda c, _u, _f, _r, _p, t=topics: c.subscribe(t.all_inbox, 1)
        client.on_subscribe = lambda *_: subscribed.__setitem__(0, subscribed[0] + 1)
        client.on_message = lambda _c, _u, m, inbox=inbox: inbox.handle(m.topic, bytes(m.payload))
        client.connect("127.0.0.1", port, keepalive=120)
        selector.register(client.socket(), selectors.EVENT_READ, client)  # type: ignore[arg-type]
        clients.append(client)
    closed = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), closed.set()), daemon=True).start()
    announced = False
    while not closed.is_set():
        for client in clients:
            if client.want_write():
                client.loop_write()
        for selected, _mask in selector.select(timeout=0.2):
            selected.data.loop_read()
        if not announced and subscribed[0] >= count:
            print("ready", flush=True)
            announced = True
    for client in clients:
        client.disconnect()


def _reported(engine: Engine, version: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(hq_store_version).where(
            hq_store_version.c.kind == "promotions", hq_store_version.c.version >= version)).scalar_one())


@benchmark("promo_fanout_1000_stores_s")
def fanout() -> Iterator[Result]:
    from tests.sync.support import bundle

    with _scratch() as tmp:
        directory = Path(tmp)
        broker = Broker(directory / "mosquitto").start()
        db = str(directory / "hq.db")
        engine = open_database(db)
        hq = _hq(db, broker.port, "bench")
        key = generate_private_key(directory / "hq.pem")
        workers: list[subprocess.Popen[str]] = []
        try:
            _wait_for_hq(broker.port, "PROBE")
            # paho waits with select(): keep each process under FD_SETSIZE (3 descriptors per client)
            share = STORES // WORKERS
            for first in range(0, STORES, share):
                workers.append(subprocess.Popen(
                    [sys.executable, "-m", "bench.bench_sync", "fanout-worker", str(broker.port), str(first), str(share),
                     public_key_text(key.public_key())],
                    cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                ))
            for worker in workers:
                assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
            started = time.perf_counter()
            _msg, envelope = queue_message(engine, key, tenant="default", kind="promotions", body=bundle(1, PROMOTIONS))
            link = Link(BrokerOptions("127.0.0.1", broker.port, "bench-push", session_expiry=0))
            link.start()
            assert link.publish_and_wait(topic_for("default", "promotions", ())[0], envelope, retain=True)
            link.stop()
            wait_until(lambda: _reported(engine, 1) >= STORES, 300, "every store to report v1")
            elapsed = time.perf_counter() - started
        finally:
            for worker in workers:
                if worker.stdin:
                    worker.stdin.close()
                worker.wait(60)
            hq.terminate()
            hq.wait(30)
            broker.stop()
    yield Result("promo_fanout_1000_stores_s", elapsed, "s", "<= 30")


def _stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(hq_store.c.contig_seq), 0)).where(
            hq_store.c.store != "PROBE")).scalar_one())


@benchmark("hq_ingest_per_s")
def ingest() -> Iterator[Result]:
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("hq_ingest_per_s needs PostgreSQL (apt-get install postgresql)")
    cluster = Postgres(bindir).start()
    with _scratch() as tmp:
        broker = Broker(Path(tmp) / "mosquitto").start()
        url = cluster.new_database()
        engine = open_database(url)
        hqs = [_hq(url, broker.port, f"pg{i}") for i in range(2)]
        try:
            _wait_for_hq(broker.port, "PROBE")
            messages = []
            for s in range(INGEST_STORES):
                store = f"I{s:03d}"
                rows = _chain(store, INGEST_EACH)
                topic = StoreTopics("default", store).events
                messages += [(topic, encode_batch(store, rows[i : i + 500])) for i in range(0, INGEST_EACH, 500)]
            messages.sort(key=lambda m: json.loads(m[1])["events"][0]["seq"])  # stores interleaved, as in life
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ingest-feeder", protocol=mqtt.MQTTv5)
            client.max_queued_messages_set(0)
            client.connect("127.0.0.1", broker.port)
            client.loop_start()
            total = INGEST_STORES * INGEST_EACH
            started = time.perf_counter()
            for topic, payload in messages:
                client.publish(topic, payload, qos=1)
            wait_until(lambda: _stored(engine) >= total, 600, "HQ to store every event")
            elapsed = time.perf_counter() - started
            client.disconnect()
            client.loop_stop()
        finally:
            for process in hqs:
                process.terminate()
                process.wait(30)
            engine.dispose()
            broker.stop()
            cluster.stop()
    yield Result("hq_ingest_per_s", total / elapsed, "events/s", ">= 10000")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["fanout-worker"])
    parser.add_argument("port", type=int)
    parser.add_argument("first", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("public_key")
    cli = parser.parse_args()
    fanout_worker(cli.port, cli.first, cli.count, cli.public_key)
