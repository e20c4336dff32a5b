"""ISO 8601 as DRS accepts and writes it.

Accepted on input (drs-api.md): a date (`2017-04-01`, what Amazon's sample apps
sent) or a date-time with optional fraction and zone (`2015-12-28T10:00:00Z`).
"""

import datetime
import re

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$")
UTC = datetime.timezone.utc


def parse(text):
    """ISO 8601 date or date-time -> Unix seconds; ValueError says what is wrong."""
    if not isinstance(text, str):
        raise ValueError("must be an ISO 8601 string, not %s" % type(text).__name__)
    m = _ISO.match(text)
    if not m:
        raise ValueError("%r is not an ISO 8601 date or date-time "
                         "(e.g. 2015-12-28T10:00:00Z)" % text)
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    tz = UTC
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]),
                                                         minutes=int(digits[2:])))
    try:
        when = datetime.datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0),
                                 int(ss or 0), tzinfo=tz)
    except ValueError as e:
        raise ValueError("%r is not a valid date: %s" % (text, e)) from None
    return when.timestamp() + (float("0." + frac) if frac else 0.0)


def utc_seconds(t):
    """'2015-12-28T10:00:00Z'"""
    return datetime.datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_millis(t):
    """'2017-01-05T07:59:59.000Z', the form of order info's expectedDeliveryDate."""
    return datetime.datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def amz_date(t):
    """X-Amz-Date, AWS's basic format: '20151228T100000Z'."""
    return datetime.datetime.fromtimestamp(int(t), UTC).strftime("%Y%m%dT%H%M%SZ")
