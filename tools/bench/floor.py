"""The floor: what the service required on the run's household trace and
nothing more (issue 10's energy model) - one device status a day, a slot status per
report period in which a slot's content was consumed, one replenish per
threshold crossing (sent when it happened), a token refresh only when a
connection is needed and the token has expired, one TLS handshake per host
per connection, Wi-Fi only when something must be sent. A day's reports ride
along with that day's replenish when there is one; the Wi-Fi join after a
power-on is cold (nothing cached), every other one fast, and the clock is set
once per power-on (the RTC keeps time through deep sleep)."""

from replenish import schedule
from tools.bench import household
from tools.bench.household import DAY
from tools.emulator.tokens import ACCESS_LIFETIME


def session_times(trace):
    """When the floor's device must be on the air: each replenish at its
    crossing, and on a day without one a single session (at the device's own
    minute)."""
    replenish_at = {}
    for at, _ in household.low_crossings(trace):
        replenish_at.setdefault((at - trace["start"]) // DAY, set()).add(at)
    minute = schedule.session_minute(trace["serial"]) * 60
    times = []
    for day in household.days(trace):
        times.extend(sorted(replenish_at.get(day) or [trace["start"] + day * DAY + minute]))
    return times


def grants(times, lifetime=ACCESS_LIFETIME):
    """Token refreshes for sessions at these times: only when the last expired."""
    count, expires = 0, None
    for at in times:
        if expires is None or at >= expires:
            count += 1
            expires = at + lifetime
    return count


def floor(trace):
    times = session_times(trace)
    refreshes = grants(times)
    sessions = len(times)
    cold = min(sessions, household.power_ons(trace))
    consumed = household.consumed_periods(trace)
    return {
        "wakes": len(household.measured(trace)), "sessions": sessions,
        "wifi_cold": cold, "wifi_fast": sessions - cold, "ntp": cold, "grants": refreshes,
        "handshakes": {"lwa": refreshes, "drs": sessions},
        "requests": {"token": refreshes, "device_status": len(household.days(trace)),
                     "slot_status": sum(len(p) for p in consumed.values()),
                     "replenish": len(household.low_crossings(trace))},
    }
