# When a 429 or 503 answer says to come back: its Retry-After header, in
# seconds or as an HTTP date (RFC 9110 10.2.3), as Unix seconds.
from replenish.clock import DAY, days_from_civil

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A broken or hostile server must not park the device for weeks with one header.
MAX_S = DAY


def retry_after(value, now, default_s):
    """Unix seconds, at most a day away; default_s from now when the header
    is missing or unreadable."""
    value = (value or "").strip()
    if value.isdigit():
        return now + min(int(value), MAX_S)
    parts = value.replace(":", " ").split()  # Sun, 06 Nov 1994 08:49:37 GMT
    try:
        day = days_from_civil(int(parts[3]), MONTHS.index(parts[2]) + 1, int(parts[1]))
        at = day * DAY + int(parts[4]) * 3600 + int(parts[5]) * 60 + int(parts[6])
    except (IndexError, ValueError):
        return now + default_s
    return min(max(now, at), now + MAX_S)
