"""Scans on their way to the node: checked, queued, sent one at a time in the order typed.

Adding an item carries no client id in the node's API, so a scan whose request went out but
got no answer is checked against the reloaded cart before it is sent again: a new line with
that code means it was added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.api import Json, NodeRefused, NodeUnreachable

if TYPE_CHECKING:
    from tui.session import LaneSession

MAX_CODE = 64
_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_/:+]*$")
_QUANTITY_PREFIX = re.compile(r"^(\d{1,3})\*(.+)$")  # "3*6900000000014": three of them


@dataclass
class PendingScan:
    code: str | None
    sku: str | None = None
    quantity: int = 1
    # set when the request went out and no answer came: (sale id, highest line id before)
    sent_after: tuple[str, int] | None = None

    @property
    def label(self) -> str:
        text = self.code or self.sku or ""
        return f"{self.quantity}*{text}" if self.quantity != 1 else text


def parse_scan(text: str) -> PendingScan:
    """A scan or typed code as the node takes it; ValueError naming what is wrong."""
    raw = text.strip()
    quantity = 1
    match = _QUANTITY_PREFIX.match(raw)
    if match:
        quantity, raw = int(match.group(1)), match.group(2).strip()
        if not 1 <= quantity <= 999:
            raise ValueError("quantity")
    if not raw or len(raw) > MAX_CODE or not _CODE.match(raw):
        raise ValueError("junk")
    return PendingScan(code=raw, quantity=quantity)


def max_line_id(sale: Json | None) -> int:
    return max((int(line["line_id"]) for line in (sale or {}).get("lines", [])), default=0)


def already_added(session: LaneSession, pending: PendingScan) -> bool:
    """True when a scan sent without an answer shows up as a new line in the reloaded cart."""
    if pending.sent_after is None or session.sale is None:
        return False
    sale_id, after = pending.sent_after
    if session.sale["sale_id"] != sale_id:
        return False
    return any(
        int(line["line_id"]) > after and (line.get("code") == pending.code if pending.code else line["sku"] == pending.sku)
        for line in session.sale["lines"]
    )


async def send(session: LaneSession, pending: PendingScan) -> Json:
    """Add one scan to the lane's open sale (opening one first); a sale gone meanwhile is
    replaced by a new one, once."""
    for attempt in (1, 2):
        sale_id = await session.ensure_sale()
        pending.sent_after = None
        before = max_line_id(session.sale)
        try:
            return await session.client.add_item(sale_id, code=pending.code, sku=pending.sku, quantity=pending.quantity)
        except NodeUnreachable as err:
            if err.maybe_applied:
                pending.sent_after = (sale_id, before)
            raise
        except NodeRefused as err:
            gone = (err.status == 404 and "sale" in err.message and "no open" in err.message) or (
                err.status == 409 and "already completed" in err.message
            )
            if not gone or attempt == 2:
                raise
            session.closed_sales.add(sale_id)
            session.accept_sale(None)
    raise AssertionError("unreachable")


async def pump_scans(session: LaneSession) -> None:
    """Send queued scans one by one, in order; wait out a lost link and go on."""
    while True:
        await session.scans_waiting.wait()
        while session.pending:
            await session.online.wait()
            head = session.pending[0]
            if already_added(session, head):
                session.pending.popleft()
                session.changed("queue")
                continue
            try:
                sale = await send(session, head)
            except NodeUnreachable:
                session.link_lost()
                continue
            except NodeRefused as err:
                session.pending.popleft()
                session.changed("queue")
                session.tell("error", "scan.refused", code=head.label, message=err.message)
                continue
            session.pending.popleft()
            session.accept_sale(sale)
            session.changed("queue")
        session.scans_waiting.clear()
