"""Sync's pure rules: version decisions, the stock projection, signatures, backoff."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.settings import ConfigError, load_settings
from sync.errors import MessageRefused
from sync.inbox import Decision, decide
from sync.mqtt import backoff_delay
from sync.projection import project_stock, sales_figure
from sync.signing import open_envelope, public_key_text, sign
from tests.support.store import write_config


@pytest.mark.parametrize(
    ("kind", "version", "last", "seen", "expected"),
    [
        ("promotions", 3, 2, False, Decision.APPLY),
        ("promotions", 2, 2, False, Decision.SAME_VERSION),
        ("promotions", 2, 2, True, Decision.DUPLICATE),
        ("promotions", 1, 2, False, Decision.ROLLBACK),
        ("promotions", 1, 2, True, Decision.ROLLBACK),  # a replay of an applied, older bundle
        ("prices", 1, 2, False, Decision.LATE),  # per item: applied only where newer
        ("prices", 1, 2, True, Decision.DUPLICATE),
    ],
)
def test_version_decisions(kind: str, version: int, last: int, seen: bool, expected: Decision) -> None:
    assert decide(kind, version, last, seen) is expected


def test_stock_projection_adds_deltas_and_counts_replace() -> None:
    events = [
        ("stock.received", {"stock": [{"sku": "A", "delta": 10}, {"sku": "B", "delta": 5}]}),
        ("sale.completed", {"stock": [{"sku": "A", "delta": -3}], "totals": {"total": 900}}),
        ("stock.counted", {"counted": [{"sku": "B", "on_hand": 4}]}),
        ("return.completed", {"stock": [{"sku": "B", "delta": 1}], "refund": {"total": 100}}),
        ("shift.opened", {"stock": "not a list"}),
        ("sale.completed", {"stock": [{"sku": "A", "delta": 1.5}, {"delta": -1}]}),  # unusable entries skipped
    ]
    assert project_stock(events) == {"A": 7, "B": 5}
    figure = sales_figure(*events[1])
    assert figure is not None and (figure.sales, figure.amount, figure.quantities) == (1, 900, (("A", 3),))
    returned = sales_figure(*events[3])
    assert returned is not None and (returned.returns, returned.amount) == (1, -100)


def test_a_return_row_without_its_total_counts_the_sum_of_its_lines() -> None:
    """`return.completed` rows written before the refund carried its total: HQ still subtracts
    what was refunded for the goods (the lines' amounts), not nothing."""
    lines = [{"sku": "A", "amount": 250}, {"sku": "B", "amount": 120}, {"sku": "C", "amount": "x"}]
    old_row = {"stock": [{"sku": "A", "delta": 1}, {"sku": "B", "delta": 1}], "refund": {"lines": lines}}
    figure = sales_figure("return.completed", old_row)
    assert figure is not None and (figure.returns, figure.amount) == (1, -370)
    assert figure.quantities == (("A", -1), ("B", -1))  # a return takes its goods off the day's sold quantities
    with_total = {"refund": {"total": 300, "lines": lines}}  # the total, where the row has it, wins
    assert sales_figure("return.completed", with_total).amount == -300  # type: ignore[union-attr]
    for unusable in ({}, {"refund": "x"}, {"refund": {"lines": "x"}}):
        assert sales_figure("return.completed", unusable).amount == 0  # type: ignore[union-attr]


def test_signature_covers_the_canonical_message() -> None:
    key = Ed25519PrivateKey.generate()
    now = datetime.now(UTC)
    msg = {"msg_id": str(uuid.uuid4()), "kind": "prices", "version": 1, "tenant": "t", "stores": [],
           "issued_at": now.isoformat(), "expires_at": (now + timedelta(hours=1)).isoformat(),
           "body": {"changes": [{"sku": "A", "price": 100}]}}
    opened = open_envelope(sign(key, msg), key.public_key(), 10_000)
    assert opened.version == 1 and opened.body == msg["body"]
    assert public_key_text(key.public_key())
    with pytest.raises(MessageRefused) as refused:
        open_envelope(sign(Ed25519PrivateKey.generate(), msg), key.public_key(), 10_000)
    assert refused.value.reason == "unknown_key"
    with_float = json.loads(sign(key, msg))
    with_float["msg"]["body"]["changes"][0]["price"] = 1.5
    with pytest.raises(MessageRefused) as refused:
        open_envelope(json.dumps(with_float).encode(), key.public_key(), 10_000)
    assert refused.value.reason == "malformed"  # floats have no canonical form
    with pytest.raises(MessageRefused) as refused:
        open_envelope(sign(key, msg), key.public_key(), 100)
    assert refused.value.reason == "oversized"


def test_signing_a_float_is_refused_before_it_leaves_hq() -> None:
    with pytest.raises(ValueError):
        sign(Ed25519PrivateKey.generate(), {"price": 1.5})


def test_backoff_has_full_jitter_and_a_ceiling() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(attempt, 0.5, 30.0, rng) for attempt in range(1, 40)]
    assert all(0.5 <= d <= 30.0 for d in delays)
    assert len({round(d, 3) for d in delays}) > 30  # not a fixed schedule: stores spread out
    assert max(delays[:3]) <= 4.0


def test_the_sync_section_is_read_from_the_store_config(tmp_path: Path) -> None:
    key = public_key_text(Ed25519PrivateKey.generate().public_key())
    path = write_config(tmp_path, extra=f'[sync]\nbroker_host = "mqtt.example"\nhq_public_key = "{key}"\nbatch_size = 500\n')
    settings = load_settings(path)
    assert settings.sync is not None
    assert (settings.sync.broker_host, settings.sync.batch_size, settings.sync.hq_public_key) == ("mqtt.example", 500, key)
    assert load_settings(write_config(tmp_path / "plain")).sync is None


def test_a_bad_hq_key_or_half_a_credential_stops_the_node_with_one_line(tmp_path: Path) -> None:
    bad_key = write_config(tmp_path / "a", extra='[sync]\nhq_public_key = "' + "A" * 40 + '"\n')
    with pytest.raises(ConfigError, match=r"sync\.hq_public_key: an Ed25519 public key is 32 bytes"):
        load_settings(bad_key)
    key = public_key_text(Ed25519PrivateKey.generate().public_key())
    half = write_config(tmp_path / "b", extra=f'[sync]\nhq_public_key = "{key}"\nusername = "S1"\n')
    with pytest.raises(ConfigError, match="username and password go together"):
        load_settings(half)
