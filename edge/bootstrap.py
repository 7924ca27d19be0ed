"""The composition root: builds the node (ledger, services, metrics) from settings."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from edge.catalog import sync_tax_classes
from edge.checkout import Checkout
from edge.completion import Completed, Completion
from edge.events import EventHub
from edge.lane_hooks import ObservedReturns, ObservedShifts
from edge.lanes import Lanes
from edge.ledger import Ledger
from edge.metrics import Metrics
from edge.operators import Operators
from edge.print_queue import PrintQueue
from edge.promotions import LedgerBundles, StorePromotions
from edge.refunds import Returns
from edge.settings import Settings
from edge.shifts import Shifts
from pos.catalog import TaxClass
from pos.sale import Sale

log = logging.getLogger("storenode.node")


@dataclass
class Node:
    settings: Settings
    ledger: Ledger
    operators: Operators
    checkout: Checkout
    promotions: StorePromotions
    completion: Completion
    shifts: Shifts
    returns: Returns
    events: EventHub
    metrics: Metrics
    print_queue: PrintQueue
    lanes: Lanes
    started: float = field(default_factory=time.monotonic)

    def start_devices(self) -> None:
        """Build and start the lanes' devices and the print queue; ConfigError on a bad binding."""
        self.lanes.start()

    def close(self) -> None:
        # The lane's last groups tell their listeners (a cash sale's drawer) before the devices stop.
        if not self.ledger.wait_settled(5.0):
            log.warning("lane commands were still being saved when the node stopped")
        self.lanes.stop()
        self.ledger.dispose()


def build_node(settings: Settings, *, init: bool = False) -> Node:
    """Open (or with `init`, create) the store's ledger and wire the services onto it."""
    ledger = Ledger.open(
        settings.ledger_path, store_id=settings.store.id, init=init, busy_timeout_ms=settings.ledger.busy_timeout_ms
    )
    sync_tax_classes(ledger, [TaxClass(t.code, t.rate_bp, t.name_en, t.name_zh) for t in settings.tax_classes])
    started = time.monotonic()
    print_queue = PrintQueue(ledger, settings)
    promotions = StorePromotions(settings, LedgerBundles(ledger), known_sku=_known_sku(ledger))
    checkout, events = Checkout(ledger, settings, repricer=promotions), EventHub()
    shifts = ObservedShifts(ledger, print_hook=print_queue.report_hook)
    returns = ObservedReturns(ledger, settings, print_hook=print_queue.return_slip_hook)
    node = Node(
        settings=settings,
        ledger=ledger,
        operators=Operators(ledger, settings.security),
        checkout=checkout,
        promotions=promotions,
        completion=Completion(ledger, settings, print_hook=print_queue.print_hook, carts=checkout.take_cart),
        shifts=shifts,
        returns=returns,
        events=events,
        metrics=Metrics(ledger.last_seq, started),
        print_queue=print_queue,
        lanes=Lanes(settings, ledger, checkout, events, print_queue),
        started=started,
    )
    _publish_lane_events(node)
    _devices_follow_the_lanes(node, shifts, returns)
    return node


def _known_sku(ledger: Ledger) -> Callable[[str], bool]:
    def known(sku: str) -> bool:
        with ledger.reader.connect() as conn:
            return conn.exec_driver_sql("SELECT 1 FROM item WHERE sku = ?", (sku,)).first() is not None

    return known


def _devices_follow_the_lanes(node: Node, shifts: ObservedShifts, returns: ObservedReturns) -> None:
    """Receipts, slips and reports are queued with their facts (the queue wakes after the commit);
    the display and the drawer follow the sale."""
    node.checkout.listeners.append(node.lanes.sale_changed)
    node.completion.listeners.extend([node.print_queue.after_completion, node.lanes.sale_completed])
    shifts.no_sale_listeners.append(node.lanes.no_sale)
    shifts.closed_listeners.append(lambda *_: node.print_queue.wake())
    returns.listeners.extend([lambda *_: node.print_queue.wake(), node.lanes.return_completed])


def _publish_lane_events(node: Node) -> None:
    """Every cart change and completion goes out on the lane's event stream."""
    from edge.cart_view import sale_json

    def sale_changed(sale: Sale) -> None:
        lane = int(sale.lane_id)
        if node.events.watched(lane):
            node.events.publish(lane, "sale", sale_json(sale))  # the view with its lane, rendered once

    def sale_completed(done: Completed) -> None:
        node.events.publish(int(done.sale.lane_id), "sale.completed", {"receipt_no": done.receipt_no, "sale_id": done.sale.sale_id})

    node.checkout.listeners.append(sale_changed)
    node.completion.listeners.append(sale_completed)
