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


def test_while_busy_survivors_are_frozen_and_no_full_pass_runs() -> None:
    activity = Activity()
    activity.begin()  # a request in flight
    collector = IdleCollector(activity, at_least_s=0)
    calm_collector()
    kept = [Node() for _ in range(100)]
    frozen = gc.get_freeze_count()
    _young_pass()
    collector.tick()
    assert collector.full_passes == 0 and gc.get_freeze_count() >= frozen + len(kept)


def test_a_cycle_frozen_under_load_is_collected_when_the_node_is_quiet() -> None:
    activity = Activity()
    collector = IdleCollector(activity, quiet_s=1, at_least_s=0)
    calm_collector()
    activity.begin()
    alive = _cycle()
    collector.tick()  # busy: the cycle is frozen with everything else
    activity.end()
    activity.last_done -= 2  # quiet for two seconds
    gc.collect()
    assert alive() is not None  # a frozen cycle is not collected by an ordinary pass
    _young_pass()
    collector.tick()  # quiet: unfreeze, collect, freeze
    assert collector.full_passes == 1 and alive() is None


def test_quiet_with_nothing_new_runs_no_full_pass_and_busy_for_too_long_runs_one() -> None:
    activity = Activity()
    collector = IdleCollector(activity, quiet_s=0, at_least_s=0)
    calm_collector()
    _young_pass()
    collector.tick()
    assert collector.full_passes == 1
    collector.tick()  # no young pass since: nothing worth a full pass
    assert collector.full_passes == 1
    activity.begin()
    overdue = IdleCollector(activity, at_most_s=0)
    overdue.tick()
    assert overdue.full_passes == 1


def test_at_most_one_full_pass_per_gap_while_quiet() -> None:
    activity = Activity()
    collector = IdleCollector(activity, quiet_s=0, at_least_s=3600)
    calm_collector()
    _young_pass()
    collector.tick()
    assert collector.full_passes == 0  # the node started under a minute ago: the gap has not passed


def test_quiet_time_work_runs_only_when_quiet_and_a_failing_job_stops_nothing() -> None:
    activity, done = Activity(), []

    def broken() -> None:
        raise OSError("disk gone")

    collector = IdleCollector(activity, quiet_s=1, at_least_s=3600, when_quiet=(broken, lambda: done.append(1)))
    activity.begin()
    collector.tick()
    assert done == []
    activity.end()
    activity.last_done -= 2
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
