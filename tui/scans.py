"""Scans on their way to the node: checked, queued, sent one at a time in the order typed.

Each scan carries a client-made request id, kept while it waits: a scan whose request went out
but got no answer is sent again with the same id, and the node adds it at most once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui.api import Json, NodeRefused, NodeUnreachable, new_id

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
    request_id: str = field(default_factory=new_id)  # the same on every resend

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


async def send(session: LaneSession, pending: PendingScan) -> Json:
    """Add one scan to the lane's open sale (opening one first); a sale gone meanwhile is
    replaced by a new one, once."""
    for attempt in (1, 2):
        sale_id = await session.ensure_sale()
        try:
            return await session.client.add_item(
                sale_id, code=pending.code, sku=pending.sku, quantity=pending.quantity, request_id=pending.request_id
            )
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
