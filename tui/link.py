"""The lane's link to the node: the event stream (reconnected after any drop) and, when the node
stops answering, probing it until it is back, then reloading the cart before the queued scans go.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from tui.api import Json, NodeRefused, NodeUnreachable, ServerEvent

if TYPE_CHECKING:
    from tui.session import LaneSession

RECEIPT_PREFIX = "storenode:receipt:"


async def watch_link(session: LaneSession) -> None:
    """When the link is lost: probe the node until it answers, reload the cart, go on."""
    while True:
        await session.lost.wait()
        delay = 0.2
        while True:
            if await session.client.healthy():
                try:
                    await session.reload_sale()
                    if session.logged_in.is_set():
                        session.shift = await session.client.shift(session.lane)
                    break
                except NodeUnreachable:
                    pass
                except NodeRefused as err:
                    session.tell("error", "node.said", message=err.message)
                    break
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
        session.lost.clear()
        session.connection = "online"
        session.online.set()
        session.changed("status")
        session.tell("info", "node.back", queued=len(session.pending))


async def follow_events(session: LaneSession) -> None:
    """The lane's event stream, reconnected after any drop."""
    delay = 0.2
    while True:
        await session.logged_in.wait()
        try:
            async for event in session.client.events(session.lane):
                if event.kind == "open":
                    session.stream_up, delay = True, 0.2
                    session.changed("status")
                    with contextlib.suppress(NodeRefused, NodeUnreachable):
                        await session.reload_sale()  # what happened while we were not listening
                else:
                    dispatch(session, event)
        except NodeUnreachable:
            session.link_lost()
        except NodeRefused as err:
            session.tell("error", "node.said", message=err.message)
        if session.stream_up:
            session.stream_up = False
            session.changed("status")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


def dispatch(session: LaneSession, event: ServerEvent) -> None:
    """One event from the lane's stream into the session's state."""
    data = event.data
    if event.kind == "sale":
        session.accept_sale(data)
    elif event.kind == "sale.completed":
        sale_id = str(data.get("sale_id", ""))
        session.closed_sales.add(sale_id)
        if session.sale_id == sale_id:
            session.accept_sale(None)
    elif event.kind == "scan":
        code = str(data.get("code") or data.get("data") or "")
        session.last_scan = code
        handled = bool(data.get("sale_id") or data.get("added"))
        if code and session.add_stream_scans and not handled:
            session.scan(code)
        else:
            session.changed("scan")  # the node adds its scanners' scans itself (a `sale` follows)
    elif event.kind == "scan.error":
        code, message = str(data.get("code") or ""), str(data.get("message") or "")
        if code and "no open sale" in message and session.sale is None and not code.startswith(RECEIPT_PREFIX):
            session.scan(code)  # the node adds scans to an open sale only: open one, add it here
        elif not code.startswith(RECEIPT_PREFIX):
            session.tell("error", "scan.refused", code=code or str(data.get("source", "")), message=message)
    elif event.kind == "device":
        for kind, health in device_states(data).items():
            before = session.devices.get(kind, {}).get("state")
            session.devices[kind] = health
            if health["state"] != "ok" and health["state"] != before:
                session.tell("warn", "device.trouble", device=kind, state=health["state"], error=health.get("last_error", ""))
        session.changed("status")
    elif event.kind == "drawer":
        if data.get("opened"):
            session.tell("info", "drawer.opened")
        else:
            session.tell("error", "drawer.failed", error=str(data.get("error") or ""))
    elif event.kind == "sync":
        session.sync = data
        session.changed("status")
    elif event.kind == "alarm":
        session.tell("error", "node.said", message=str(data.get("message") or data))


def device_states(data: Json) -> dict[str, Json]:
    """Health per device kind from a `device` event: the node's lane summary (`devices` and the
    worst state per kind), or a single device's health."""
    views = data.get("devices")
    if not isinstance(views, list):
        kind = str(data.get("kind") or data.get("device") or data.get("device_id") or "device")
        return {kind: {**data, "state": str(data.get("state", "ok" if data.get("ok", True) else "fault"))}}
    states: dict[str, Json] = {}
    for kind in ("printer", "scanner", "scale", "display"):
        if kind in data:
            kinds = ("printer", "print-queue") if kind == "printer" else (kind,)
            errors = [str(v.get("last_error") or "") for v in views if v.get("kind") in kinds and v.get("state") != "ok"]
            states[kind] = {"state": str(data[kind]), "last_error": next((e for e in errors if e), "")}
    return states
