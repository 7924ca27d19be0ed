"""Duplicate, out-of-order and gapped delivery to HQ, and refused HQ messages at the store."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from edge.bootstrap import Node
from edge.sync_bridge import LedgerJournal, start_store_sync
from sync.hq.db import hq_refusal, hq_sales_day, reading
from sync.hq.serve import Collector
from sync.hq.status import journal_of
from sync.publisher import encode_batch
from sync.signing import sign
from sync.topics import StoreTopics, all_inbox
from tests.sync.parts import Broker, KeyFixture, wait_until
from tests.sync.support import (
    bundle,
    converged,
    journal_kinds,
    open_store,
    push,
    receive,
    sell,
    store_version,
)

TOPICS = StoreTopics("default", "S1")


@pytest.fixture
def store(broker: Broker, hq_key: KeyFixture, tmp_path: Path) -> Iterator[Node]:
    node = open_store(tmp_path / "S1", "S1", broker.port, hq_key[2])
    yield node
    node.close()


class RawClient:
    """A bare paho client standing in for a misbehaving network: publishes what it is told."""

    def __init__(self, port: int, listen: str | None = None) -> None:
        self.received: list[dict[str, object]] = []
        self._ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"raw-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5)
        self.client.on_message = lambda _c, _u, m: self.received.append(json.loads(m.payload))
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if listen:
            self.client.subscribe(listen, qos=1)
            assert self._ready.wait(10)

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_duplicate_out_of_order_and_gapped_delivery_store_each_row_once(hq: Collector, store: Node, broker: Broker) -> None:
    receive(store.ledger)
    for n in range(199):
        sell(store.ledger, n)
    rows = list(LedgerJournal(store.ledger).rows_after(0, 1000))
    batches = [rows[i : i + 40] for i in range(0, 200, 40)]
    raw = RawClient(broker.port, listen=TOPICS.ack)
    try:
        for part in (batches[2], batches[0], batches[0], rows[30:70], batches[3]):
            raw.publish(TOPICS.events, encode_batch("S1", part))
        wait_until(lambda: any(a.get("resend_from") == 71 for a in raw.received), 15, "HQ to ask for the gap at 71")
        assert max(a["acked_seq"] for a in raw.received) == 70  # highest contiguous, not highest seen
        tampered = [rows[80]._replace(payload=rows[80].payload.replace("sale", "sold"))]
        raw.publish(TOPICS.events, encode_batch("S1", tampered))  # hash no longer holds: dropped
        for part in (batches[4], batches[2], batches[1], batches[4]):
            raw.publish(TOPICS.events, encode_batch("S1", part))
        wait_until(lambda: any(a["acked_seq"] == 200 for a in raw.received), 15, "the ack of all 200")
    finally:
        raw.close()
    assert converged(hq.engine, "S1", store.ledger)
    with reading(hq.engine) as conn:
        assert conn.execute(select(hq_sales_day.c.sales)).scalar_one() == 199  # each sale projected once


def _envelope_with_signature_of(other: Ed25519PrivateKey, real: Ed25519PrivateKey, msg: dict[str, object]) -> bytes:
    forged = json.loads(sign(other, msg))
    forged["key_id"] = json.loads(sign(real, msg))["key_id"]  # claims to be HQ
    return json.dumps(forged).encode()


def _message(version: int, **overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "msg_id": str(uuid.uuid4()), "kind": "promotions", "version": version, "tenant": "default", "stores": [],
        "issued_at": now.isoformat(), "expires_at": (now + timedelta(days=1)).isoformat(), "body": bundle(version),
        **overrides,
    }


def test_bad_signature_replay_malformed_oversized_expired_are_refused_and_reported(
    hq: Collector, broker: Broker, hq_key: KeyFixture, tmp_path: Path
) -> None:
    key = hq_key[1]
    node = open_store(tmp_path / "S1", "S1", broker.port, hq_key[2], max_payload_bytes=4096)
    handle = start_store_sync(node)
    raw = RawClient(broker.port)
    try:
        wait_until(lambda: handle.sync.link.connected.is_set(), 10, "the store to connect")
        first = push(hq, key, "promotions", bundle(1))
        wait_until(lambda: store_version(node.ledger) == 1, 20, "v1")
        push(hq, key, "promotions", bundle(2))
        wait_until(lambda: store_version(node.ledger) == 2, 20, "v2")
        with reading(hq.engine) as conn:  # closed at once: an open transaction would hold HQ's lock
            v1_envelope = conn.exec_driver_sql(
                "SELECT envelope FROM hq_outbox WHERE msg_id = ?", (first["msg_id"],)
            ).scalar_one()
        topic = all_inbox("default", "promotions")
        attacker = Ed25519PrivateKey.generate()
        tampered = json.loads(sign(key, _message(3)))
        tampered["msg"]["body"]["promotions"][0]["percent_off"] = 90  # the signature no longer holds
        bad = [
            _envelope_with_signature_of(attacker, key, _message(3)),
            json.dumps(tampered).encode(),
            v1_envelope.encode(),  # a replay of an old, genuine bundle
            b'{"v": 1, "msg": {"kind": "promotions"',  # malformed
            sign(key, _message(4, body=bundle(4, promotions=40))),  # genuine but above 4096 bytes
            sign(key, _message(5, expires_at=(datetime.now(UTC) - timedelta(seconds=1)).isoformat())),
            sign(key, _message(6, stores=["OTHER"])),
            base64.b64encode(b"\x00" * 100),
        ]
        for payload in bad:
            raw.publish(topic, payload)
        expected = ["bad_signature", "bad_signature", "rollback", "malformed", "oversized", "expired", "not_addressed", "malformed"]
        wait_until(lambda: len(journal_kinds(node.ledger, "sync.message_refused")) == len(expected), 20, "every refusal recorded")
        assert [r["reason"] for r in journal_kinds(node.ledger, "sync.message_refused")] == expected
        assert store_version(node.ledger) == 2
        assert len(journal_kinds(node.ledger, "promotions.applied")) == 2

        def hq_reasons() -> list[str]:
            with reading(hq.engine) as conn:
                return [r[0] for r in conn.execute(select(hq_refusal.c.reason).order_by(hq_refusal.c.seq))]

        wait_until(lambda: hq_reasons() == expected, 20, "HQ to hold every refusal report")
        push(hq, key, "promotions", bundle(3, promotions=1))
        wait_until(lambda: converged(hq.engine, "S1", node.ledger, promotions=3), 20, "the store on the latest bundle")
        assert len(journal_of(hq.engine, "S1")) == node.ledger.last_seq()
    finally:
        raw.close()
        handle.stop()
        node.close()


def test_a_store_offline_at_push_time_catches_up_from_the_retained_bundle(
    hq: Collector, broker: Broker, hq_key: KeyFixture, tmp_path: Path
) -> None:
    late = open_store(tmp_path / "S9", "S9", broker.port, hq_key[2])
    try:
        sell(late.ledger, 1)
        push(hq, hq_key[1], "promotions", bundle(7))
        handle = start_store_sync(late)
        try:
            wait_until(lambda: converged(hq.engine, "S9", late.ledger, promotions=7), 20, "the late store on v7")
        finally:
            handle.stop()
    finally:
        late.close()
