"""The store's active promotion bundle, priced into every cart change (the checkout's Repricer).

The bundle lives in the ledger (HQ pushes it; `storenode promotions load` for a store run
alone). The pricer is rebuilt only when a newer version appears; the newest version is
looked up at most once a second, so a bundle applied by sync reaches the lanes within 1 s.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from edge.clock import to_utc_text, utc_now
from edge.ledger import Ledger
from edge.settings import Settings
from pos.canonical import canonical_json
from pos.errors import Conflict, InvalidInput
from pos.promotions import BasketLine, Pricer, PricingContext, PricingResult, load_bundle
from pos.sale import Sale
from pos.tax import LineDiscount, line_discounts

BundleSource = Callable[[], tuple[int, dict[str, Any]] | None]
KnownSku = Callable[[str], bool]
CHECK_EVERY_S = 1.0


def basket_lines(sale: Sale) -> list[BasketLine]:
    return [
        BasketLine(
            line_id=str(line.line_id), sku=line.sku, quantity=line.quantity,
            unit_price=line.effective_unit_price, category=line.category, brand=line.brand,
            weighed=line.weighed,
        )
        for line in sale.active_lines
    ]


class StorePromotions:
    """Implements edge.checkout.Repricer over the newest bundle in the ledger."""

    def __init__(self, settings: Settings, source: BundleSource, known_sku: KnownSku | None = None) -> None:
        self._settings = settings
        self._source = source
        self._known_sku = known_sku
        self._tz = ZoneInfo(settings.store.timezone)
        self._lock = threading.Lock()
        self._pricer: Pricer | None = None
        self.version = 0
        self._checked = 0.0
        self.last: dict[str, PricingResult] = {}  # sale_id -> its latest pricing (near misses)

    def pricer(self) -> Pricer | None:
        now = time.monotonic()
        if now - self._checked >= CHECK_EVERY_S:
            with self._lock:
                self._checked = now
                found = self._source()
                if found is not None and found[0] != self.version:
                    self.activate(found[0], found[1])
        return self._pricer

    def activate(self, version: int, body: dict[str, Any]) -> None:
        """Price with this bundle from now on (it was validated before it was stored)."""
        self._pricer = Pricer(load_bundle(body), known_skus=self._known_sku)
        self.version = version

    def context(self, at: datetime) -> PricingContext:
        return PricingContext(
            at=at, store_id=self._settings.store.id, store_groups=frozenset(self._settings.store.groups), tz=self._tz
        )

    def discounts_for(self, sale: Sale, at: datetime) -> dict[int, LineDiscount]:
        pricer = self.pricer()
        if pricer is None or not sale.active_lines:
            self.last.pop(sale.sale_id, None)
            return {}
        result = pricer.price(basket_lines(sale), self.context(at))
        if len(self.last) > 1000:
            self.last.clear()
        self.last[sale.sale_id] = result
        return line_discounts(result.discounts)

    def near_misses(self, sale_id: str) -> list[dict[str, Any]]:
        result = self.last.get(sale_id)
        return [] if result is None else [asdict(miss) for miss in result.near_misses]


def ledger_bundle_source(read: Callable[[str], Any]) -> BundleSource:
    """The newest bundle stored in the ledger's `promotion_bundle` table (written by sync)."""

    def newest() -> tuple[int, dict[str, Any]] | None:
        row = read("SELECT version, body FROM promotion_bundle ORDER BY version DESC LIMIT 1")
        return None if row is None else (int(row[0]), json.loads(row[1]))

    return newest


def load_bundle_file(ledger: Ledger, path: Path) -> tuple[int, int]:
    """Make a bundle file the store's active promotions, for a store run without HQ.

    Validated like an HQ bundle (the whole bundle is refused if one promotion is bad); its
    version must be newer than the active one. One journal row records it. Returns
    (version, number of promotions)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise InvalidInput(f"{path}: cannot read a JSON promotion bundle: {err}") from err
    bundle = load_bundle(data)
    body = canonical_json(data).decode("utf-8")
    with ledger.unit_of_work() as uow:
        conn = uow.session.connection()
        active = conn.exec_driver_sql("SELECT MAX(version) FROM promotion_bundle").scalar()
        if active is not None and bundle.version <= int(active):
            raise Conflict(f"{path}: bundle version {bundle.version} is not newer than the active version {active}")
        msg_id = "local:" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]
        conn.exec_driver_sql(
            "INSERT INTO promotion_bundle (version, msg_id, body, applied_at) VALUES (?, ?, ?, ?)",
            (bundle.version, msg_id, body, to_utc_text(utc_now())),
        )
        uow.journal("promotions.applied", {
            "version": bundle.version, "msg_id": msg_id, "source": "file", "promotions": len(bundle.promotions),
        })
        uow.commit()
    return bundle.version, len(bundle.promotions)
