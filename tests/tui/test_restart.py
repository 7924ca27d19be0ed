"""The node dies mid-sale and comes back: the cart reloads and a scan typed meanwhile is replayed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.conftest import copy_store
from tests.tui.node import NodeProcess
from tests.tui.pilot import cart, log_in, scan, wait_for
from tests.tui.screens import screen_text
from tui.app import LaneApp

pytestmark = pytest.mark.anyio

COLA, JUICE, TEA = "6900000000014", "6900000000045", "6900000000069"


@pytest.fixture
def own_node(demo_template: Path, tmp_path: Path) -> Iterator[NodeProcess]:
    process = NodeProcess(copy_store(demo_template, tmp_path / "store"))
    process.start()
    yield process
    process.stop()


async def test_a_node_restart_mid_sale_reloads_the_cart_and_replays_the_scan(own_node: NodeProcess) -> None:
    app = LaneApp(own_node.url, 1, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, COLA, lines_after=1)
        await scan(pilot, app, JUICE, lines_after=2)
        sale_id = app.session.sale_id

        own_node.kill()
        await scan(pilot, app, TEA)  # typed while the node is down
        await wait_for(pilot, lambda: app.session.connection == "offline", "the lost link")
        text = screen_text(app)
        assert "OFFLINE" in text and "1 scan(s) waiting" in text and TEA in text
        assert cart(app).row_keys == ["l1", "l2"]  # the cart stays on screen

        own_node.start()
        await wait_for(pilot, lambda: app.session.connection == "online", "the node back", timeout=60)
        await wait_for(pilot, lambda: cart(app).row_keys == ["l1", "l2", "l3"] and not app.session.pending, "the replayed scan")
        assert app.session.sale_id == sale_id
        assert "Golden Field Green Tea" in screen_text(app)
        await wait_for(pilot, lambda: app.session.stream_up, "the event stream back")

    on_node = own_node.api("GET", "/lanes/1/sale", own_node.token())
    assert on_node["sale_id"] == sale_id
    assert [line["code"] for line in on_node["lines"]] == [COLA, JUICE, TEA]
