# UTC calendar arithmetic for the service's ISO 8601 dates. Pure: works from
# Unix seconds, never from time.gmtime(), whose epoch is 1970 on the unix port
# but 2000 on the ESP32 port. Date <-> day-number formulas after Howard
# Hinnant's "chrono-compatible low-level date algorithms".

DAY = 86400
# No correct clock reads earlier than this firmware (2026-01-01T00:00:00Z):
# before it the RTC was never set (an ESP32 starts at 2000 after power-on).
CLOCK_VALID_FROM = 1767225600


def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


def iso8601(t):
    """Unix seconds -> 'YYYY-MM-DDTHH:MM:SSZ', the form the service documents."""
    t = int(t)
    days, secs = divmod(t, DAY)
    y, m, d = civil_from_days(days)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (
        y, m, d, secs // 3600, secs % 3600 // 60, secs % 60)


def _digits(s, a, b):
    part = s[a:b]
    if len(part) != b - a or not part.isdigit():
        raise ValueError("not an ISO 8601 date: %r" % s)
    return int(part)


def parse_iso8601(s):
    """'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SS[.fff](Z|+00:00)' -> Unix seconds."""
    if len(s) < 10 or s[4] != "-" or s[7] != "-":
        raise ValueError("not an ISO 8601 date: %r" % s)
    y, m, d = _digits(s, 0, 4), _digits(s, 5, 7), _digits(s, 8, 10)
    if not (1 <= m <= 12 and 1 <= d <= 31):
        raise ValueError("not an ISO 8601 date: %r" % s)
    t = days_from_civil(y, m, d) * DAY
    if len(s) == 10:
        return t
    if s[10] != "T" or s[13] != ":" or len(s) < 19 or s[16] != ":":
        raise ValueError("not an ISO 8601 date-time: %r" % s)
    hh, mm, ss = _digits(s, 11, 13), _digits(s, 14, 16), _digits(s, 17, 19)
    if hh > 23 or mm > 59 or ss > 60:
        raise ValueError("not an ISO 8601 date-time: %r" % s)
    rest = s[19:]
    if rest.startswith("."):
        i = 1
        while i < len(rest) and rest[i].isdigit():
            i += 1
        if i == 1:
            raise ValueError("not an ISO 8601 date-time: %r" % s)
        rest = rest[i:]
    if rest not in ("Z", "+00:00"):
        raise ValueError("not a UTC date-time: %r" % s)
    return t + hh * 3600 + mm * 60 + ss
