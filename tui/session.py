"""One lane's session with the node: the cart as the node last said it, scans in order, the
event stream, and the link's health. No Textual here: the app listens through two callbacks.

Scans go through one queue and one sender (tui.scans), so they reach the node in the order
typed. While the node does not answer, they wait in the queue (shown on screen) and are
replayed when it is back, after the open cart is reloaded (tui.link).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from tui.api import Approval, Json, NodeClient, NodeRefused, NodeUnreachable, new_id
from tui.link import follow_events, watch_link
from tui.scans import PendingScan, parse_scan, pump_scans

T = TypeVar("T")


@dataclass(frozen=True)
class Notice:
    """Something to tell the cashier: `key` is a message id, `params` fill it in."""

    level: str  # info, warn, error
    key: str
    params: dict[str, object] = field(default_factory=dict)


class LaneSession:
    """The lane's state and every call it makes; `run()` drives the scans, stream and link."""

    def __init__(
        self,
        client: NodeClient,
        lane: int,
        on_change: Callable[[str], None] | None = None,
        on_notice: Callable[[Notice], None] | None = None,
        *,
        add_stream_scans: bool = False,
    ) -> None:
        self.client, self.lane = client, lane
        self.on_change = on_change or (lambda _what: None)
        self.on_notice = on_notice or (lambda _notice: None)
        self.add_stream_scans = add_stream_scans  # the node adds its scanners' scans itself
        self.operator: Json | None = None
        self.shift: Json | None = None
        self.sale: Json | None = None
        self.connection = "online"  # online | offline
        self.stream_up = False
        self.sync: Json | None = None  # last `sync` event; None: not heard yet
        self.devices: dict[str, Json] = {}
        self.pending: deque[PendingScan] = deque()
        self.last_receipt: Json | None = None
        self.last_scan: str = ""
        self.closed_sales: set[str] = set()
        self._intents: dict[str, str] = {}
        self.online = asyncio.Event()
        self.online.set()
        self.lost = asyncio.Event()
        self.scans_waiting = asyncio.Event()
        self.logged_in = asyncio.Event()

    # -- what the screens read -------------------------------------------------------------

    @property
    def sale_id(self) -> str | None:
        return None if self.sale is None else str(self.sale["sale_id"])

    @property
    def currency(self) -> str:
        return str((self.sale or {}).get("currency", "CNY"))

    def changed(self, what: str) -> None:
        self.on_change(what)

    def tell(self, level: str, key: str, **params: object) -> None:
        self.on_notice(Notice(level, key, params))

    # -- the cart ----------------------------------------------------------------------------

    def accept_sale(self, sale: Json | None) -> None:
        """Take the node's word for the cart, unless it is older than what we have."""
        if sale is None:
            self.sale = None
        else:
            sale_id, current = str(sale["sale_id"]), self.sale
            if sale_id in self.closed_sales:
                return
            if sale.get("state") != "open":
                self.closed_sales.add(sale_id)
                if current is None or current["sale_id"] != sale_id:
                    return
                self.sale = None
            elif current is not None and current["sale_id"] == sale_id and sale["version"] <= current["version"]:
                return  # older, or the same again (our own change echoed by the event stream)
            else:
                self.sale = sale
        self.changed("sale")

    async def reload_sale(self) -> None:
        """The lane's open cart from the node (after a restart, a blip, a lost event)."""
        before = self.sale_id
        sale = await self.client.lane_sale(self.lane)
        if sale is None:
            if self.sale_id == before and before is not None:
                self.accept_sale(None)
        else:
            self.accept_sale(sale)

    def intent(self, key: str) -> str:
        """The client id of one thing the cashier asked for; a retry reuses it."""
        return self._intents.setdefault(key, new_id())

    def settle(self, key: str) -> None:
        self._intents.pop(key, None)

    async def call(self, request: Awaitable[T]) -> T:
        """Await a call to the node; no answer marks the link lost (the watcher reconnects)."""
        try:
            return await request
        except NodeUnreachable:
            self.link_lost()
            raise

    async def ensure_sale(self) -> str:
        """The open sale's id, opening one (with a client-made id) when the lane has none."""
        if self.sale is not None:
            return str(self.sale["sale_id"])
        current = await self.client.lane_sale(self.lane)
        if current is None:
            key = f"open-sale:{self.lane}"
            current = await self.client.open_sale(self.lane, self.intent(key))
            self.settle(key)
        self.accept_sale(current)
        return str(current["sale_id"])

    async def sale_call(self, method: str, suffix: str, body: Json | None = None, approval: Approval | None = None) -> Json:
        """A command on the open sale; the answer becomes the cart."""
        if self.sale is None:
            raise NodeRefused(409, "no_sale", "no sale is open")
        sale = await self.call(self.client.sale_call(method, f"/sales/{self.sale['sale_id']}{suffix}", body, approval))
        self.accept_sale(sale)
        return sale

    # -- member and coupons ------------------------------------------------------------------

    async def attach_member(self, member_id: str) -> Json:
        await self.call(self.ensure_sale())
        return await self.sale_call("POST", "/member", {"member_id": member_id})

    async def detach_member(self) -> Json:
        return await self.sale_call("DELETE", "/member")

    async def add_coupon(self, code: str) -> Json:
        await self.call(self.ensure_sale())
        return await self.sale_call("POST", "/coupons", {"code": code})

    async def remove_coupon(self, code: str) -> Json:
        return await self.sale_call("DELETE", f"/coupons/{quote(code, safe='')}")

    # -- scans: one queue, in order ----------------------------------------------------------

    def scan(self, text: str) -> bool:
        """Queue a typed or scanned code; False (and a notice) when it is not a code at all."""
        try:
            pending = parse_scan(text)
        except ValueError as err:
            self.tell("error", "scan.quantity" if str(err) == "quantity" else "scan.junk", text=text.strip()[:40])
            return False
        return self.queue(pending)

    def queue(self, pending: PendingScan) -> bool:
        self.pending.append(pending)
        self.last_scan = pending.label
        self.scans_waiting.set()
        self.changed("queue")
        return True

    # -- the link ----------------------------------------------------------------------------

    def link_lost(self) -> None:
        if self.connection != "offline":
            self.connection = "offline"
            self.online.clear()
            self.lost.set()
            self.changed("status")
            self.tell("warn", "node.offline")

    async def run(self) -> None:
        """Everything that runs while the lane is up (cancel to stop)."""
        await asyncio.gather(pump_scans(self), watch_link(self), follow_events(self))

    # -- login and shift ---------------------------------------------------------------------

    async def login(self, operator_id: str, pin: str) -> Json:
        answer = await self.call(self.client.login(operator_id, pin, self.lane))
        self.operator = answer["operator"]
        self.logged_in.set()
        self.shift = await self.call(self.client.shift(self.lane))
        await self.call(self.reload_sale())
        self.changed("status")
        return answer

    async def logout(self) -> None:
        self.logged_in.clear()
        with contextlib.suppress(NodeRefused, NodeUnreachable):
            await self.client.logout()
        self.operator, self.sale = None, None
        self.changed("status")

    async def open_shift(self, float_amount: int) -> Json:
        key = f"shift:{self.lane}"
        self.shift = await self.call(self.client.open_shift(self.lane, self.intent(key), float_amount))
        self.settle(key)
        return self.shift

    async def shift_call(self, method: str, suffix: str, body: Json | None = None, approval: Approval | None = None) -> Json:
        if approval is not None:
            body = {**(body or {}), "approval": approval.as_json()}
        answer: Json = await self.call(self.client.request(method, f"/lanes/{self.lane}/shift{suffix}", body))
        return answer

    async def close_shift(self, counted_cash: int) -> Json:
        report = await self.shift_call("POST", "/close", {"counted_cash": counted_cash})
        self.shift = None
        return report

    # -- tenders, completion -----------------------------------------------------------------

    async def tender(self, kind: str, amount: int, reference: str = "") -> Json:
        sale_id = self.sale_id or ""
        key = f"tender:{sale_id}:{kind}:{amount}:{reference}"
        body = {"tender_id": self.intent(key), "kind": kind, "amount": amount, "currency": self.currency, "reference": reference}
        sale = await self.sale_call("POST", "/tenders", body)
        self.settle(key)
        return sale

    async def complete(self) -> Json:
        sale_id = self.sale_id or ""
        key = f"complete:{sale_id}"
        done: Json = await self.call(self.client.request("POST", f"/sales/{sale_id}/complete", {"request_id": self.intent(key)}))
        self.settle(key)
        self.closed_sales.add(sale_id)
        self.last_receipt = done
        self.accept_sale(None)
        return done

    async def reprint(self, receipt_no: str) -> Json:
        """A copy of a receipt, marked REPRINT, on the lane's printer (a print job on the node)."""
        answer: Json = await self.call(self.client.request("POST", f"/receipts/{quote(receipt_no, safe='')}/reprint"))
        return answer

    # -- suspend, resume ---------------------------------------------------------------------

    async def suspended(self) -> list[Json]:
        answer: list[Json] = await self.call(self.client.request("GET", "/sales/suspended"))
        return answer

    async def resume(self, sale_id: str) -> Json:
        """Resume a parked sale here; an empty open cart is cancelled first (the lane holds one)."""
        if self.sale is not None:
            if any(not line.get("voided") for line in self.sale["lines"]) or self.sale["tenders"]:
                raise NodeRefused(409, "busy", "")
            await self.sale_call("POST", "/cancel")
        sale: Json = await self.call(self.client.request("POST", f"/sales/{sale_id}/resume", {"lane": self.lane}))
        self.closed_sales.discard(sale_id)
        self.accept_sale(sale)
        return sale

    # -- returns -----------------------------------------------------------------------------

    async def receipt_for_return(self, receipt: str) -> Json:
        answer: Json = await self.call(self.client.request("GET", f"/returns/receipts/{quote(receipt.strip(), safe='')}"))
        return answer

    async def refund(self, receipt: str, lines: list[tuple[int, int]], approval: Approval | None = None) -> Json:
        key = f"return:{receipt}:{sorted(lines)}"
        body: dict[str, Any] = {
            "return_id": self.intent(key), "lane": self.lane, "receipt": receipt,
            "lines": [{"line_id": line_id, "quantity": qty} for line_id, qty in lines],
        }
        if approval is not None:
            body["approval"] = approval.as_json()
        answer: Json = await self.call(self.client.request("POST", "/returns", body))
        self.settle(key)
        return answer
