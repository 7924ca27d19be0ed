"""A scan whose answer was lost is sent again with its request id: the node adds it once."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.tui.node import NodeProcess
from tui.api import NodeClient
from tui.session import LaneSession

pytestmark = pytest.mark.anyio

COLA = "6900000000014"


class LosesFirstAnswer(httpx.AsyncBaseTransport):
    """Delivers every request; the answer to the first add-item never comes back."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/items") and not self.lost:
            await response.aread()
            self.lost += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_scan_resent_after_a_lost_answer_is_added_once(node: NodeProcess, lane: int) -> None:
    transport = LosesFirstAnswer()
    session = LaneSession(NodeClient(node.url, transport=transport), lane)
    await session.login("101", "1357")
    if session.shift is None:
        await session.open_shift(20000)
    running = asyncio.create_task(session.run())
    try:
        session.scan(COLA)
        deadline = time.monotonic() + 20
        while (session.pending or session.sale is None) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert transport.lost == 1 and not session.pending
        sale = node.api("GET", f"/sales/{session.sale_id}", node.token())
        assert [(line["sku"], line["quantity"]) for line in sale["lines"] if not line["voided"]] == [("P00001", 1)]
    finally:
        running.cancel()
        await session.client.aclose()
