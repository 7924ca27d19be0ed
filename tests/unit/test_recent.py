"""pos.recent: a bounded map that forgets its least recently used entry, one at a time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.recent import Recent


def test_it_forgets_the_least_recently_used_one_at_a_time() -> None:
    table: Recent[str, int] = Recent(3)
    for n, key in enumerate("abc"):
        assert table.put(key, n) == n
    assert table.get("a") == 0  # used: now the freshest
    table.put("d", 3)
    assert "b" not in table and [table.get(k) for k in "acd"] == [0, 2, 3] and len(table) == 3
    table.put("e", 4)  # "a" was used before "c" and "d" were read above
    assert "a" not in table and len(table) == 3


def test_a_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Recent(0)


@given(st.integers(1, 8), st.lists(st.tuples(st.booleans(), st.integers(0, 12)), max_size=80))
def test_it_answers_as_a_plain_lru_would(size: int, steps: list[tuple[bool, int]]) -> None:
    table: Recent[int, int] = Recent(size)
    model: list[int] = []  # keys, least recently used first
    for put, key in steps:
        if put:
            table.put(key, key * 10)
            if key in model:
                model.remove(key)
            model.append(key)
            del model[:-size]
        else:
            assert table.get(key) == (key * 10 if key in model else None)
            if key in model:
                model.remove(key)
                model.append(key)
        assert len(table) == len(model) <= size
