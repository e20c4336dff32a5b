"""Properties of the service's ISO 8601 dates (lib/replenish/clock.py): every
second from 1970 to 2399 prints and parses back to itself, in each form the
parser takes, and text that is no date is a ValueError, never anything else."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from replenish.clock import DAY, days_from_civil, iso8601, parse_iso8601

SETTINGS = settings(max_examples=300, deadline=None)
END = days_from_civil(2400, 1, 1) * DAY  # the first second of 2400
SECONDS = st.integers(0, END - 1)
FORM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@SETTINGS
@given(SECONDS)
def test_every_second_from_1970_to_2399_round_trips(t):
    text = iso8601(t)
    assert FORM.match(text), text
    assert 1970 <= int(text[:4]) <= 2399
    assert parse_iso8601(text) == t


@SETTINGS
@given(SECONDS, st.text("0123456789", min_size=1, max_size=6))
def test_fractions_offsets_and_plain_dates_mean_the_same_second(t, fraction):
    text = iso8601(t)
    assert parse_iso8601(text[:-1] + "." + fraction + "Z") == t
    assert parse_iso8601(text[:-1] + "+00:00") == t
    assert parse_iso8601(text[:10]) == t - t % DAY


@SETTINGS
@given(st.integers(1970, 2399), st.integers(1, 12), st.integers(1, 28))
def test_dates_follow_the_calendar(year, month, day):
    t = days_from_civil(year, month, day) * DAY
    assert iso8601(t)[:10] == "%04d-%02d-%02d" % (year, month, day)
    assert iso8601(t + DAY - 1)[:10] == "%04d-%02d-%02d" % (year, month, day)


def mangled(draw):
    text = iso8601(draw(SECONDS))
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.text(max_size=3)) + text[at + draw(st.integers(0, 3)):]


@SETTINGS
@given(st.text(max_size=30) | st.composite(mangled)())
def test_any_text_is_a_date_or_a_value_error(text):
    try:
        t = parse_iso8601(text)
    except ValueError:
        return
    assert isinstance(t, int)
