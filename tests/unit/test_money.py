from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.money import (
    allocate_proportionally,
    div_round_half_even,
    div_round_half_up,
    format_minor,
    round_to_step_half_up,
)


@pytest.mark.parametrize(
    ("num", "den", "half_up", "half_even"),
    [(5, 2, 3, 2), (7, 2, 4, 4), (-5, 2, -3, -2), (1, 3, 0, 0), (2, 3, 1, 1), (0, 7, 0, 0)],
)
def test_named_division_rules(num: int, den: int, half_up: int, half_even: int) -> None:
    assert div_round_half_up(num, den) == half_up
    assert div_round_half_even(num, den) == half_even


@pytest.mark.parametrize(
    ("amount", "step", "expected"), [(1234, 10, 1230), (1235, 10, 1240), (1232, 5, 1230), (1233, 5, 1235), (99, 1, 99)]
)
def test_cash_rounding(amount: int, step: int, expected: int) -> None:
    assert round_to_step_half_up(amount, step) == expected


def test_allocation_is_exact_and_deterministic() -> None:
    assert allocate_proportionally(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate_proportionally(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate_proportionally(10, [0, 0]) == [10, 0]


@given(st.integers(-10**9, 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_allocation_sums_to_total(total: int, weights: list[int]) -> None:
    parts = allocate_proportionally(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)


def test_format_minor() -> None:
    assert format_minor(1234) == "12.34"
    assert format_minor(-5) == "-0.05"
    assert format_minor(7, 0) == "7"
