"""edge.clock: times are stored as sortable UTC text, one fixed format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.clock import from_utc_text, to_utc_text

aware = st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30),
                     timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]))


@given(aware)
def test_a_time_is_written_as_strftime_would_and_reads_back_the_same(moment: datetime) -> None:
    text = to_utc_text(moment)
    assert text == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    back = from_utc_text(text)
    assert back == moment and back.tzinfo == UTC


def test_text_in_another_form_is_refused_as_before() -> None:
    for text in ("2026-11-24", "2026-11-24T02:15:11Z", "2026-11-24T02:15:11.611340+08:00", "not a time"):
        with pytest.raises(ValueError):
            from_utc_text(text)
    with pytest.raises(ValueError, match="naive"):
        to_utc_text(datetime(2026, 11, 24))
