"""The X report view prints the report on the lane's printer (a network printer the test runs),
and a lane without a printer says so instead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from devices.sim_printer import VirtualPrinter
from tests.tui.conftest import copy_store
from tests.tui.node import NodeProcess
from tests.tui.pilot import log_in, wait_for
from tests.tui.screens import screen_text
from tui.app import LaneApp
from tui.screens.report import ReportModal

pytestmark = pytest.mark.anyio


@pytest.fixture
def printer() -> Iterator[VirtualPrinter]:
    virtual = VirtualPrinter().start()
    yield virtual
    virtual.stop()


@pytest.fixture
def printing_node(demo_template: Path, tmp_path: Path, printer: VirtualPrinter) -> Iterator[NodeProcess]:
    """The demo store with lane 1's printer at the test's printer; lane 2 has none."""
    store = copy_store(demo_template, tmp_path / "store")
    config = store / "store.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index('address = "tcp://', text.index("printers = ["))
    end = text.index('"', start + len('address = "'))
    config.write_text(f'{text[:start]}address = "{printer.address}{text[end:]}', encoding="utf-8")
    process = NodeProcess(store)
    process.start()
    yield process
    process.stop()


async def open_x_report(pilot: Pilot[None], app: LaneApp) -> None:
    await log_in(pilot, app)
    await pilot.press("ctrl+x")
    await wait_for(pilot, lambda: isinstance(app.screen, ReportModal), "the X report")


async def test_p_in_the_x_report_view_prints_it_on_the_lane_printer(
    printing_node: NodeProcess, printer: VirtualPrinter
) -> None:
    app = LaneApp(printing_node.url, 1, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_x_report(pilot, app)
        assert "P: print on the lane printer" in screen_text(app)
        await pilot.press("p")
        await wait_for(pilot, lambda: printer.receipts(), "the X report on paper")
        await wait_for(pilot, lambda: "X report sent to printer lane1" in screen_text(app), "the notice")
        assert isinstance(app.screen, ReportModal)  # the cashier still reads the report
    (paper,) = printer.receipts()
    assert "X 报表 (班中读数)" in paper.text and "101" in paper.text  # the demo store prints in Chinese
    jobs = printing_node.api("GET", "/lanes/1/print-jobs", printing_node.token())
    assert [job["kind"] for job in jobs] == ["x_report"]


async def test_a_lane_without_a_printer_says_so(printing_node: NodeProcess, printer: VirtualPrinter) -> None:
    app = LaneApp(printing_node.url, 2, "zh-CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_x_report(pilot, app)
        assert "P：打印" in screen_text(app)
        await pilot.press("p")
        await wait_for(pilot, lambda: "lane 2 has no receipt printer" in screen_text(app), "the refusal")
    assert printer.receipts() == []
