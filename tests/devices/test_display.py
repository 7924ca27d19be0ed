"""A 2x20 pole display on a pseudo-terminal: item and total, change, Chinese or folded text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.display import PoleDisplay
from devices.errors import DeviceUnavailable
from devices.health import HealthState
from devices.profiles import ProfileCatalog
from devices.simulator import VirtualDisplay
from pos.receipt import Language
from tests.devices.helpers import wait_until


@pytest.fixture
def virtual(dev_dir: Path) -> Iterator[VirtualDisplay]:
    device = VirtualDisplay(dev_dir / "usb-FTDI_display-if00")
    yield device
    device.close()


def test_the_last_item_and_the_total_then_the_change(catalog: ProfileCatalog, virtual: VirtualDisplay) -> None:
    display = PoleDisplay("d", catalog.display("epson-dm-d110"), virtual.path, language=Language.EN)
    display.show_item("Fuji Apple", "富士苹果", 1580, 9870)
    wait_until(lambda: virtual.lines == ["Fuji Apple     15.80", "TOTAL          98.70"], what="the item")
    display.show_change(10000, 130)
    wait_until(lambda: virtual.lines == ["PAID          100.00", "CHANGE          1.30"], what="the change")
    display.close()


def test_a_chinese_display_shows_chinese_two_columns_per_character(
    catalog: ProfileCatalog, virtual: VirtualDisplay
) -> None:
    display = PoleDisplay("d", catalog.display("generic-vfd-2x20-gb18030"), virtual.path)
    display.show_item("Jasmine Rice", "茉莉香米 5公斤装特价", 5990, 15860)
    # 20 columns: the price (5) and a space leave 14 for the name: 茉莉香米 5公斤 (8+2+4)
    wait_until(lambda: virtual.lines[1] == "合计          158.60", what="the total")
    assert virtual.lines[0] == "茉莉香米 5公斤 59.90"
    display.close()


def test_a_western_display_shows_the_english_name_with_accents_folded(
    catalog: ProfileCatalog, virtual: VirtualDisplay
) -> None:
    display = PoleDisplay("d", catalog.display("epson-dm-d110"), virtual.path, language=Language.ZH)
    display.show_item("Crème brûlée", "焦糖布丁", 1200, 1200)
    wait_until(lambda: virtual.lines[0] == "Creme brulee   12.00", what="the folded name")
    display.show_item("", "焦糖布丁", 1200, 2400)  # no English name: replaced visibly
    wait_until(lambda: virtual.lines[0] == "????           12.00", what="the replaced name")
    display.close()


def test_an_unplugged_display_raises_and_recovers(catalog: ProfileCatalog, virtual: VirtualDisplay) -> None:
    display = PoleDisplay("d", catalog.display("epson-dm-d110"), virtual.path, language=Language.EN)
    display.show_total(500)
    virtual.unplug()
    with pytest.raises(DeviceUnavailable):
        display.show_total(600)
    assert display.health.state is HealthState.DISCONNECTED
    virtual.plug()
    display.show_total(700)
    wait_until(lambda: virtual.lines[1] == "TOTAL           7.00", what="the total after replug")
    assert display.health.state is HealthState.OK
    display.close()
