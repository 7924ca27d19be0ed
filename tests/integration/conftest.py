"""Fixtures of the lane tests with devices: the simulator, and a lane 1 with its printer beside
a lane 2 without one (for "this lane has no printer" answers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.simulator import Simulator
from tests.support.lane_devices import LaneRig, running_lane, write_lane_store


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Simulator]:
    with Simulator(tmp_path / "sim") as simulator:
        yield simulator


@pytest.fixture
def printing_rig(tmp_path: Path, sim: Simulator) -> Iterator[LaneRig]:
    """Lane 1 with the simulator's printer, lane 2 with none; receipts in English."""
    config = write_lane_store(tmp_path / "store", sim, language="en")
    config.write_text(config.read_text(encoding="utf-8") + "\n[[lanes]]\nid = 2\n", encoding="utf-8")
    with running_lane(config) as lane_rig:
        yield lane_rig
