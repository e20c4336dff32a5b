# ISO 8601 dates as the service writes and reads them.
from replenish.clock import days_from_civil, iso8601, parse_iso8601


def test_formats_utc_with_z():
    assert iso8601(0) == "1970-01-01T00:00:00Z"
    assert iso8601(1451296800) == "2015-12-28T10:00:00Z"


def test_leap_days_and_century_rules():
    assert iso8601(days_from_civil(2024, 2, 29) * 86400) == "2024-02-29T00:00:00Z"
    assert days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28) == 1
    assert days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28) == 2


def test_round_trips_across_decades():
    t = 946684800 - 1  # the last second of 1999: the ESP32 port's epoch edge
    while t < 4102444800:
        assert parse_iso8601(iso8601(t)) == t
        t += 7654321


def test_parses_what_clients_sent():
    assert parse_iso8601("2017-04-01") == parse_iso8601("2017-04-01T00:00:00Z")
    assert parse_iso8601("2017-01-05T07:59:59.000Z") == parse_iso8601("2017-01-05T07:59:59Z")
    assert parse_iso8601("2017-01-05T07:59:59+00:00") == parse_iso8601("2017-01-05T07:59:59Z")


def test_rejects_what_is_not_an_utc_date():
    for bad in ("", "tomorrow", "2017-13-01", "2017-04-01T25:00:00Z",
                "2017-04-01T10:00:00+02:00", "2017-04-01 10:00:00", "20170401"):
        try:
            parse_iso8601(bad)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % bad)
