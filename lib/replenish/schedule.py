# When the radio comes on for the daily session. Pure: time comes in as Unix
# seconds, so every rule is a unit test.
#
# Each device holds its session at its own minute of the (UTC) day, derived
# from its serial: a fleet spreads over the day (or over a configured window)
# instead of calling Amazon at the same minute, and a device needs no state to
# know its minute. The session this wake holds is the latest of those minutes
# that has passed since the last session: a session that failed all day is
# held once, for today, not once per missed day.
#
#   t = next_session(now, serial, last_session, window, cold_boot_at)
#   t <= now: this wake holds the session at t (policy.decide(..., session=t))
#   next_radio(t, retry_at, waiting) -> when Wi-Fi comes on next (the console)
#   sleep_s(now, period_s, radio_at) -> how long to sleep before the next wake
#
# The first wake ever (no session held yet) talks at once: the device was just
# installed and linked, installations are spread by nature, and the installer
# sees at once that it works (device status, subscriptions).
#
# After a cold boot (a power cut, or a reset, forgets RTC memory and the wake
# rhythm) a session missed while the power was off is not held at once: a
# street's worth of devices would call in the same second when the power came
# back. It moves to cold_boot_at plus a delay in [0, spread_s) drawn from the
# serial (a second, independent hash), so a device needs no state to find it
# again on each wake, and a fleet spreads over spread_s.
from replenish.clock import DAY

MINUTES = 1440
WHOLE_DAY = (0, MINUTES)  # session window: [start, end) minutes of the UTC day
SPREAD_S = 4 * 3600  # a missed session after a cold boot is held within this


def fleet_hash(text):
    """32-bit FNV-1a of the text, then MurmurHash3's finaliser: serials that
    differ in one digit land far apart. The same on every interpreter (unlike
    hash(), which CPython salts per process)."""
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    return h ^ (h >> 16)


def _pick(text, n):
    """0 <= value < n, from the hash's high bits (the best-mixed ones)."""
    return fleet_hash(text) * n >> 32


def parse_window(pair):
    """["01:00", "05:00"] -> (60, 300): the UTC hours a session may start.
    The end may be before the start (a window across midnight); equal ends
    mean the whole day. A ValueError names what is wrong."""
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise ValueError("a list of two times, like [\"01:00\", \"05:00\"]")
    minutes = []
    for text in pair:
        parts = text.split(":") if isinstance(text, str) else ()
        if len(parts) != 2 or not (parts[0].isdigit() and parts[1].isdigit()):
            raise ValueError("%r is not a time of day HH:MM" % (text,))
        hour, minute = int(parts[0]), int(parts[1])
        if hour > 24 or minute > 59 or (hour == 24 and minute):
            raise ValueError("%r is not a time of day HH:MM" % (text,))
        minutes.append(hour * 60 + minute)
    return minutes[0] % MINUTES, minutes[1] % MINUTES


def session_minute(serial, window=WHOLE_DAY):
    """The device's minute of the UTC day for its session: stable for a
    serial, spread evenly over the window across a fleet."""
    start, end = window
    length = (end - start) % MINUTES or MINUTES
    return (start + _pick(serial, length)) % MINUTES


def cold_boot_delay(serial, spread_s=SPREAD_S):
    return _pick("cold boot " + serial, spread_s)


def next_session(now, serial, last_session, window=WHOLE_DAY, cold_boot_at=None,
                 spread_s=SPREAD_S):
    """The time of the session to hold next; <= now means this wake holds it.
    last_session: the last session held, its scheduled time or the time it
    was held (None: never); cold_boot_at: when this power-on began."""
    if last_session is None:
        return now
    offset = session_minute(serial, window) * 60
    latest = now - (now - offset) % DAY  # this device's minute, at or before now
    if latest <= last_session:
        return latest + DAY
    if cold_boot_at is not None and latest < cold_boot_at:
        # Missed while the power was off: spread the fleet, but never past
        # the next regular session.
        return min(cold_boot_at + cold_boot_delay(serial, spread_s), latest + DAY)
    return latest


def next_radio(session_at, retry_at=None, waiting=False):
    """When the radio comes on next, unless a slot runs low before: the next
    session, held no earlier than a retry the device must wait for; or the
    retry itself when something that can't wait (waiting) failed."""
    if retry_at is None:
        return session_at
    return retry_at if waiting else max(session_at, retry_at)


def sleep_s(now, period_s, radio_at):
    """How long to sleep: a measuring period, cut short to wake at the next
    radio time, so a session starts at the device's own minute, not at
    whatever wake follows it. After a fleet-wide power cut every device wakes
    in step: without this, their sessions would bunch at those shared wakes.
    The wake at the session then sets the rhythm, so later sessions fall on
    a regular wake and cost no extra one."""
    if now < radio_at < now + period_s:
        return radio_at - now
    return period_s
