"""An MT-SICS scale on a pseudo-terminal: weights, motion, overload, zero and tare."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.errors import (
    DeviceUnavailable,
    ScaleError,
    ScaleMotion,
    ScaleOverload,
    ScaleUnderload,
    WeightRejected,
)
from devices.health import HealthState
from devices.profiles import ProfileCatalog
from devices.scale import Scale, parse_weight
from devices.simulator import VirtualScale


@pytest.fixture
def virtual(dev_dir: Path) -> Iterator[VirtualScale]:
    device = VirtualScale(dev_dir / "usb-Mettler_Toledo-if00", capacity_g=15000, increment_g=5)
    yield device
    device.close()


@pytest.fixture
def scale(catalog: ProfileCatalog, virtual: VirtualScale) -> Iterator[Scale]:
    device = Scale("lane-3-scale", catalog.scale("mettler-toledo-sics"), virtual.path)
    yield device
    device.close()


def test_a_stable_weight_is_given_to_the_sale(scale: Scale, virtual: VirtualScale) -> None:
    assert scale.probe() == "B123456789"
    virtual.put(1234)
    reading = scale.weigh_for_sale()
    assert (reading.grams, reading.stable, reading.scale_id) == (1234, True, "lane-3-scale")
    assert scale.health.state is HealthState.OK


def test_motion_is_refused_and_an_immediate_reading_says_dynamic(scale: Scale, virtual: VirtualScale) -> None:
    virtual.put(800, stable=False)
    with pytest.raises(ScaleMotion, match="keep the item still"):
        scale.weigh_for_sale()
    moving = scale.read(wait_for_stable=False)
    assert (moving.grams, moving.stable) == (800, False)
    assert scale.health.state is HealthState.OK  # motion is normal, not a device fault


def test_overload_and_underload_are_reported_as_faults(scale: Scale, virtual: VirtualScale) -> None:
    virtual.put(20_000)
    with pytest.raises(ScaleOverload, match="overloaded"):
        scale.weigh_for_sale()
    assert scale.health.state is HealthState.FAULT and "overloaded" in scale.health.last_error
    virtual.put(-500)
    with pytest.raises(ScaleUnderload):
        scale.read()
    virtual.put(500)
    scale.read()
    assert scale.health.state is HealthState.OK


@pytest.mark.parametrize(("grams", "reason"), [(0, "put the item on the scale"), (60, "below its minimum of 100 g")])
def test_only_a_positive_weight_above_the_minimum_is_sold(
    scale: Scale, virtual: VirtualScale, grams: int, reason: str
) -> None:
    virtual.put(grams)
    with pytest.raises(WeightRejected, match=reason):
        scale.weigh_for_sale()


def test_zero_and_tare(scale: Scale, virtual: VirtualScale) -> None:
    virtual.put(12)  # crumbs on the platter
    scale.zero()
    virtual.put(12 + 150)  # an empty bowl
    assert scale.tare() == 150
    virtual.put(12 + 150 + 705)
    assert scale.weigh_for_sale().grams == 705
    scale.clear_tare()
    assert scale.read().grams == 855
    virtual.put(900, stable=False)
    with pytest.raises(ScaleError, match="cannot tare: the scale is moving"):
        scale.tare()


def test_an_unplugged_scale_is_unavailable_then_back(scale: Scale, virtual: VirtualScale) -> None:
    virtual.put(300)
    assert scale.read().grams == 300
    virtual.unplug()
    with pytest.raises(DeviceUnavailable, match="is not plugged in"):
        scale.read()
    assert scale.health.state is HealthState.DISCONNECTED
    virtual.plug()
    assert scale.read().grams == 300


@pytest.mark.parametrize(
    ("answer", "grams", "stable"),
    [("S S      1.234 kg", 1234, True), ("S D     250.5 g", 251, False), ("S S     -0.010 kg", -10, True)],
)
def test_parse_weight(answer: str, grams: int, stable: bool) -> None:
    reading = parse_weight(answer)
    assert (reading.grams, reading.stable) == (grams, stable)


@pytest.mark.parametrize(("answer", "message"), [("S S 1.0 lb", "set it to g or kg"), ("ES", "syntax error"),
                                                  ("S S abc kg", "unreadable weight"), ("\x00\xff", "unexpected")])
def test_parse_weight_refuses_what_it_cannot_use(answer: str, message: str) -> None:
    with pytest.raises(ScaleError, match=message):
        parse_weight(answer)
