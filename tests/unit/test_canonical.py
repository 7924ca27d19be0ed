"""Canonical JSON: sorted keys, no spaces, UTF-8; floats and non-string keys refused by path."""

from __future__ import annotations

import enum
import json
import re
from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.canonical import NotCanonical, canonical_json


class Kind(enum.StrEnum):
    SALE = "sale"


def test_the_byte_form_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": [1, (2, 3)], "a": Kind.SALE, "名": "苹果"}) == '{"a":"sale","b":[1,[2,3]],"名":"苹果"}'.encode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"x": [1.5]}, "x[0] is a float (1.5)"),
        ({"a": {"b": [{"c": 2.0}]}}, "a.b[0].c is a float (2.0)"),
        ({1: 2}, "value has a non-string key 1"),
        (OrderedDict(total=3.25), "total is a float (3.25)"),  # a dict subclass is walked too
    ],
)
def test_floats_and_non_string_keys_are_refused_by_path(value: object, message: str) -> None:
    with pytest.raises(NotCanonical, match=re.escape(message)):
        canonical_json(value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=20,
)


def _has_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


@given(json_values)
def test_a_value_is_refused_exactly_when_it_holds_a_float(value: object) -> None:
    if _has_float(value):
        with pytest.raises(NotCanonical):
            canonical_json(value)
    else:
        assert canonical_json(value)


def test_a_value_that_contains_itself_is_refused_not_walked_forever() -> None:
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(RecursionError):
        canonical_json({"a": looped})


plain_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children)
    | st.dictionaries(st.text(max_size=6), children, max_size=5),
    max_leaves=25,
)


@given(plain_values)
def test_the_fast_writer_gives_the_bytes_json_gives(value: object) -> None:
    """The journal's hashes are over these bytes: orjson's must be json's, for every string
    (control characters, quotes, astral and CJK text) and key order."""
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert canonical_json(value) == expected


def test_awkward_strings_are_escaped_as_json_escapes_them() -> None:
    value = {"\x00\x1f\x7f": "\u2028\u2029\"\\\n\t\b\f\r", "\U0001f600": "ｅ", "é": [2**64, -(2**63)]}
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert canonical_json(value) == expected
