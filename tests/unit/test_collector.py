"""edge.collector: full passes only while the node is quiet; survivors frozen while it is busy;
nothing leaks for good (a cycle frozen under load is collected at the next quiet moment)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from edge.collector import NEVER, Activity, IdleCollector, calm_collector


class Node:
    """A stand-in object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def collector_state() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def _cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def _young_pass() -> None:
    gc.collect(0)


def test_the_node_settings_leave_full_passes_to_the_idle_collector() -> None:
    calm_collector()
    assert gc.get_threshold()[2] == NEVER and gc.get_freeze_count() > 0


def _quiet(activity: Activity, seconds: float) -> None:
    activity.last_done -= seconds


def test_while_busy_survivors_are_frozen_and_no_full_pass_runs() -> None:
    activity = Activity()
    activity.begin()  # a request in flight
    collector = IdleCollector(activity, thorough_every_s=0)
    calm_collector()
    kept = [Node() for _ in range(100)]
    frozen = gc.get_freeze_count()
    _young_pass()
    collector.tick()
    assert (collector.full_passes, collector.thorough_passes) == (0, 0)
    assert gc.get_freeze_count() >= frozen + len(kept)


def test_at_a_pause_what_is_not_frozen_is_collected_and_in_a_lull_everything_is() -> None:
    activity = Activity()
    collector = IdleCollector(activity, quiet_s=1, lull_s=30, thorough_every_s=0)
    calm_collector()
    activity.begin()
    frozen_under_load = _cycle()
    collector.tick()  # busy: the cycle is frozen with everything else
    activity.end()
    since_the_freeze = _cycle()
    _quiet(activity, 2)  # a pause between scans
    _young_pass()
    collector.tick()
    assert collector.full_passes == 1 and collector.thorough_passes == 0
    assert since_the_freeze() is None and frozen_under_load() is not None
    _quiet(activity, 60)  # a lull
    collector.tick()
    assert collector.thorough_passes == 1 and frozen_under_load() is None


def test_a_pause_with_nothing_new_runs_no_pass_and_six_busy_hours_run_a_thorough_one() -> None:
    activity = Activity()
    collector = IdleCollector(activity, quiet_s=1)
    calm_collector()
    _quiet(activity, 2)
    _young_pass()
    collector.tick()
    assert collector.full_passes == 1
    collector.tick()  # no young pass since: nothing worth a full pass
    assert collector.full_passes == 1
    activity.begin()
    overdue = IdleCollector(activity, thorough_at_most_s=0)
    overdue.tick()
    assert overdue.thorough_passes == 1


def test_at_most_one_thorough_pass_per_half_hour_of_lulls() -> None:
    activity = Activity()
    collector = IdleCollector(activity, quiet_s=1, lull_s=30)
    calm_collector()
    _quiet(activity, 60)
    _young_pass()
    collector.tick()
    assert collector.thorough_passes == 0 and collector.full_passes == 1  # the node started under half an hour ago


def test_quiet_time_work_runs_only_when_quiet_and_a_failing_job_stops_nothing() -> None:
    activity, done = Activity(), []

    def broken() -> None:
        raise OSError("disk gone")

    collector = IdleCollector(activity, quiet_s=1, when_quiet=(broken, lambda: done.append(1)))
    activity.begin()
    collector.tick()
    assert done == []
    activity.end()
    _quiet(activity, 2)
    collector.tick()
    collector.tick()
    assert done == [1, 1]


def test_one_collector_runs_per_process() -> None:
    """The demo serves the node and runs a lane terminal in one process: one thread for both."""
    first = IdleCollector(young=7_000, middle=4).start()
    try:
        lane_terminal = IdleCollector(young=20_000, middle=20).start()
        assert first.running and not lane_terminal.running
        assert gc.get_threshold() == (7_000, 4, NEVER)  # the first one's settings hold
        lane_terminal.stop()  # the terminal quits: the node's collector goes on
        assert first.running
    finally:
        first.stop()
    assert not first.running
    second = IdleCollector().start()
    try:
        assert second.running
    finally:
        second.stop()
