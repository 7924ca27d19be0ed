"""The store's active promotion bundle, priced into every cart change (the checkout's Repricer).

The bundle lives in the ledger (HQ pushes it; `storenode promotions load` for a store run
alone). The pricer is rebuilt only when a newer version appears; the newest version is
looked up at most once a second, so a bundle applied by sync reaches the lanes within 1 s.
"""

from __future__ import annotations

import gc
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from edge.clock import to_utc_text, utc_now
from edge.ledger import Ledger
from edge.members import coupon_uses
from edge.settings import Settings
from pos.canonical import canonical_json
from pos.errors import Conflict, InvalidInput, NotFound
from pos.promotions import BasketLine, Pricer, PricingContext, PricingResult, load_bundle
from pos.promotions.coupons import normalise
from pos.promotions.memo import Memo
from pos.sale import Sale, SaleCoupon
from pos.sale_line import SaleLine
from pos.tax import DiscountParts, LineDiscount, line_discounts

KnownSku = Callable[[str], bool]
CHECK_EVERY_S = 1.0
# a coupon refused for one of these reasons cannot help the sale, whatever is scanned next
LASTING_REFUSALS = ("not_live", "used_up", "customer_limit")


def basket_line(line: SaleLine) -> BasketLine:
    return BasketLine(
        line_id=str(line.line_id), sku=line.sku, quantity=line.quantity, unit_price=line.effective_unit_price,
        category=line.category, brand=line.brand, weighed=line.weighed,
    )


class BasketLines:
    """The engine's view of a cart's lines, each made once per (immutable) SaleLine: a scan
    changes one line, and a 150-line cart need not be rebuilt for it. Keyed by identity, the
    line held beside its basket line so that its id cannot be reused."""

    def __init__(self, size: int = 10_000) -> None:
        self._made: Memo[tuple[SaleLine, BasketLine]] = Memo(size)

    def __call__(self, sale: Sale) -> list[BasketLine]:
        made, basket = self._made, []
        for line in sale.active_lines:
            found = made.get(id(line))
            if found is None or found[0] is not line:
                found = (line, basket_line(line))
                made.put(id(line), found)
            basket.append(found[1])
        return basket


def basket_lines(sale: Sale) -> list[BasketLine]:
    return [basket_line(line) for line in sale.active_lines]


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
        self._basket = BasketLines()
        self._parts = DiscountParts()

    def prepare(self) -> None:
        self.pricer()

    def ready(self) -> bool:
        """Whether pricing can begin at once: no newer bundle to load first. When the last look
        is a second old, this looks again (one small read) and counts as that look, so that a
        command found ready does not then find the look due inside its own pricing, and load a
        bundle (100+ ms) on the event loop, which runs the lanes' commands. Never waits: while
        another thread looks or loads, it is not ready."""
        now = time.monotonic()
        if now - self._checked < CHECK_EVERY_S:
            return True
        if not self._lock.acquire(blocking=False):
            return False
        try:
            newest = self._source.version()
            if newest is not None and newest != self.version:
                return False  # the writer thread loads it (`prepare`)
            self._checked = now
            return True
        finally:
            self._lock.release()

    def pricer(self) -> Pricer | None:
        now = time.monotonic()
        if now - self._checked >= CHECK_EVERY_S:
            with self._lock:
                self._checked = now
                newest = self._source.version()
                if newest is not None and newest != self.version:
                    found = self._source.bundle(newest)
                    self.activate(newest, found)
        return self._pricer

    def activate(self, version: int, body: dict[str, Any]) -> None:
        """Price with this bundle from now on (it was validated before it was stored)."""
        self._pricer = Pricer(load_bundle(body), known_skus=self._known_sku)
        self.version = version
        # The bundle's objects live as long as it does: keep them out of the collector's
        # full passes, which otherwise cost 100+ ms over 5,000 promotions (a p99 spike).
        # Unfrozen first, so the bundle this one replaces can be collected.
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def context(self, at: datetime, sale: Sale | None = None) -> PricingContext:
        ctx = PricingContext(
            at=at, store_id=self._settings.store.id, store_groups=frozenset(self._settings.store.groups), tz=self._tz
        )
        if sale is None or (sale.member is None and not sale.coupons):
            return ctx
        return self.customer_context(ctx, sale, sale.coupon_codes)

    def discounts_for(self, sale: Sale, at: datetime) -> dict[int, LineDiscount]:
        pricer = self.pricer()
        if pricer is None or not sale.active_lines:
            self.last.pop(sale.sale_id, None)
            return {}
        result = pricer.price(self._basket(sale), self.context(at, sale))
        if len(self.last) > 1000:
            self.last.clear()
        self.last[sale.sale_id] = result
        return line_discounts(result.discounts, self._parts)

    def near_misses(self, sale_id: str) -> list[dict[str, Any]]:
        result = self.last.get(sale_id)
        return [] if result is None else [asdict(miss) for miss in result.near_misses]

    # -- members and coupons ----------------------------------------------------------------

    def customer_context(self, ctx: PricingContext, sale: Sale, codes: tuple[str, ...]) -> PricingContext:
        """The context for the sale's member and these coupon codes, with the codes' uses so far."""
        member_id = None if sale.member is None else sale.member.member_id
        uses, mine = self._source.coupon_uses(codes, member_id) if codes else ({}, {})
        return replace(
            ctx, member_tier=None if sale.member is None else sale.member.tier, customer_id=member_id,
            coupon_codes=codes, coupon_uses=uses, customer_coupon_uses=mine,
        )

    def coupon_for(self, sale: Sale, code: str, at: datetime) -> SaleCoupon:
        """The coupon a presented code is in the active promotions; NotFound or InvalidInput naming it."""
        pricer = self.pricer()
        rules = () if pricer is None else [r for r in pricer.rules if r.id not in pricer.inert]
        rule = next((r for r in rules if r.promotion.coupon and normalise(r.promotion.coupon.code) == code), None)
        if pricer is None or rule is None or rule.promotion.coupon is None:
            raise NotFound(f"coupon {code}: no active promotion takes this code")
        ctx = self.customer_context(self.context(at), sale, (*sale.coupon_codes, code))
        for refusal in pricer.price(basket_lines(sale), ctx).rejected_coupons:
            if refusal.code == code and refusal.reason in LASTING_REFUSALS:
                raise InvalidInput(refusal.message_en)
        coupon = rule.promotion.coupon
        return SaleCoupon(code, rule.id, coupon.max_uses, coupon.max_uses_per_customer)

    def rejected_coupons(self, sale_id: str) -> list[dict[str, Any]]:
        """The sale's presented coupons that gave nothing at its last pricing, and why."""
        result = self.last.get(sale_id)
        return [] if result is None else [asdict(r) for r in result.rejected_coupons]


class LedgerBundles:
    """The bundles stored in the ledger's `promotion_bundle` table (by sync or `promotions load`)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def version(self) -> int | None:
        with self._ledger.reader.connect() as conn:
            value = conn.exec_driver_sql("SELECT MAX(version) FROM promotion_bundle").scalar()
        return None if value is None else int(value)

    def bundle(self, version: int) -> dict[str, Any]:
        with self._ledger.reader.connect() as conn:
            body = conn.exec_driver_sql("SELECT body FROM promotion_bundle WHERE version = ?", (version,)).scalar()
        result: dict[str, Any] = json.loads(str(body))
        return result

    def coupon_uses(self, codes: tuple[str, ...], customer_id: str | None) -> tuple[dict[str, int], dict[str, int]]:
        with self._ledger.reader.connect() as conn:
            return coupon_uses(conn, codes, customer_id)


class BundleSource(Protocol):
    def version(self) -> int | None: ...

    def bundle(self, version: int) -> dict[str, Any]: ...

    def coupon_uses(self, codes: tuple[str, ...], customer_id: str | None) -> tuple[dict[str, int], dict[str, int]]: ...


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
