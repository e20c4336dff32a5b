"""The fleet row: when 1000 devices hold their daily session
(lib/replenish/schedule.py, each minute derived from the serial), the busiest
minute against the mean; then the same fleet after a power cut that ends for
all at once: the busiest minute of the day after, and what would call in the
first minute if missed sessions were held at once instead of spread."""

from collections import Counter

from replenish import schedule
from tools.bench.household import DAY

MINUTES = 1440


def serials(n):
    return ["FLEET-%05d" % i for i in range(n)]


def daily(fleet):
    minutes = Counter(schedule.session_minute(s) for s in fleet)
    return {"devices": len(fleet), "busiest_minute": max(minutes.values()),
            "mean_per_minute": round(len(fleet) / MINUTES, 3),
            "busiest_over_mean": round(max(minutes.values()) * MINUTES / len(fleet), 1)}


def after_power_cut(fleet, day0, off_at_s, back_at_s):
    """Sessions in the day after the power comes back at day0 + back_at_s,
    the cut having begun at day0 + off_at_s: each device's first wake is at
    power-back (a cold boot), its session per schedule.next_session."""
    back = day0 + back_at_s
    held = Counter()
    for serial in fleet:
        minute = schedule.session_minute(serial) * 60
        last = day0 + minute if minute < off_at_s else day0 - DAY + minute
        at = schedule.next_session(back, serial, last, cold_boot_at=back)
        held[(at - back) // 60] += 1
    busiest = max(held.values())
    missed = sum(1 for s in fleet if off_at_s <= schedule.session_minute(s) * 60 < back_at_s)
    return {"power_off": "%02d:%02d" % divmod(off_at_s // 60, 60),
            "power_back": "%02d:%02d" % divmod(back_at_s // 60, 60),
            "missed": missed,
            "busiest_minute": busiest,
            "busiest_over_mean": round(busiest * MINUTES / len(fleet), 1),
            # without the spread, every missed session would be held at power-back
            "first_minute_without_spread": missed}


def fleet(n=1000, day0=1767225600, off_at_s=6 * 3600, back_at_s=12 * 3600):
    members = serials(n)
    return {"daily": daily(members),
            "power_cut": after_power_cut(members, day0, off_at_s, back_at_s)}
