# When a device holds its daily radio session: its own minute of the day, a
# fleet spread over the day, and no stampede after a fleet-wide power cut.
from replenish import schedule
from replenish.schedule import next_radio, next_session, session_minute, sleep_s

DAY = 86400
HOUR = 3600
MIDNIGHT = 1767225600  # 2026-01-01T00:00:00Z
FLEET = 1000


def fleet():
    """Serials as a maker numbers them, in three common shapes."""
    serials = []
    for i in range(FLEET):
        serials.append(("PRN-%06d", "SN%d", "ink-a-%04d")[i % 3] % i)
    return serials


def ceiling(mean):
    """The busiest bin a uniform random spread stays under (Poisson, mean plus
    four standard deviations): a hash that clusters serials goes far over."""
    return mean + 4 * mean ** 0.5 + 1


def busiest(times, bin_s):
    counts = {}
    for t in times:
        counts[t // bin_s] = counts.get(t // bin_s, 0) + 1
    return max(counts.values())


def test_the_same_serial_always_gets_the_same_minute():
    assert session_minute("PRN-000042") == session_minute("PRN-000042")
    minutes = set(session_minute("PRN-%06d" % i) for i in range(40, 50))
    assert len(minutes) >= 9  # neighbouring serials land far apart
    # Pinned: the same on both interpreters and across releases, or an update
    # would move every device's minute (and a 64-bit overflow would show here).
    assert schedule.fleet_hash("a") == 0x1A80B1B3
    assert schedule.fleet_hash("PRN-000042") == 0xAE054660


def test_a_fleet_spreads_over_the_whole_day():
    minutes = [session_minute(s) for s in fleet()]
    # 0.69 a minute on average; a hash that clusters neighbouring serials
    # (a byte sum) puts 75 of this fleet in one minute.
    assert busiest(minutes, 1) <= ceiling(FLEET / 1440), busiest(minutes, 1)
    per_hour = busiest([m * 60 for m in minutes], HOUR)
    assert per_hour <= 1.5 * FLEET / 24, per_hour
    assert len(set(m // 60 for m in minutes)) == 24


def test_a_window_keeps_every_session_inside_it_and_spread():
    window = schedule.parse_window(["01:00", "05:00"])
    minutes = [session_minute(s, window) for s in fleet()]
    assert min(minutes) >= 60 and max(minutes) < 300
    assert busiest(minutes, 1) <= ceiling(FLEET / 240)
    assert busiest([m * 60 for m in minutes], HOUR) <= 1.2 * FLEET / 4


def test_a_window_across_midnight():
    window = schedule.parse_window(["22:00", "02:00"])
    assert window == (1320, 120)
    minutes = [session_minute(s, window) for s in fleet()]
    assert all(m >= 1320 or m < 120 for m in minutes)
    assert len([m for m in minutes if m < 120]) > FLEET // 3


def test_a_bad_window_is_refused_with_a_clear_message():
    for bad, words in ((["1:00"], "two times"), (["25:00", "02:00"], "'25:00'"),
                       (["01:00", "2 pm"], "'2 pm'"), ("01:00-02:00", "two times"),
                       ([1, 2], "1 is not")):
        try:
            schedule.parse_window(bad)
        except ValueError as err:
            assert words in str(err), (bad, str(err))
        else:
            raise AssertionError("accepted %r" % (bad,))
    assert schedule.parse_window(["00:00", "24:00"]) == (0, 0)
    assert session_minute("x", (0, 0)) == session_minute("x")


def test_the_first_wake_ever_talks_at_once():
    now = MIDNIGHT + 5 * HOUR
    assert next_session(now, "PRN-000001", None) == now


def test_one_session_a_day_at_the_device_minute():
    serial = "PRN-000007"
    minute = session_minute(serial)
    slot = MIDNIGHT + DAY + minute * 60
    held = slot - DAY + 1200  # yesterday's, held 20 minutes after its minute
    # Hourly wakes: before the minute nothing, the first wake after holds it.
    assert next_session(slot - 1, serial, held) == slot
    assert next_session(slot + 1800, serial, held) == slot
    # Held: the next one is tomorrow, whatever the wake times in between.
    for wake in range(slot + 1800, slot + DAY, HOUR):
        assert next_session(wake, serial, slot + 1800) == slot + DAY


def test_a_session_that_failed_all_day_is_held_once_for_today():
    serial = "PRN-000007"
    slot = MIDNIGHT + 3 * DAY + session_minute(serial) * 60
    assert next_session(slot + 600, serial, slot - 3 * DAY) == slot


def test_after_a_power_cut_a_missed_session_waits_for_the_fleet_spread():
    serial = "PRN-000007"
    slot = MIDNIGHT + DAY + session_minute(serial) * 60
    boot = slot + 2 * HOUR  # power came back two hours after its minute
    when = next_session(boot, serial, slot - DAY, cold_boot_at=boot)
    assert when == boot + schedule.cold_boot_delay(serial)
    assert boot <= when < boot + schedule.SPREAD_S
    assert next_session(when, serial, slot - DAY, cold_boot_at=boot) == when
    # Held: the regular minute again from tomorrow.
    assert next_session(when + 60, serial, when, cold_boot_at=boot) == slot + DAY


def test_a_session_not_missed_during_the_cut_keeps_its_minute():
    serial = "PRN-000007"
    slot = MIDNIGHT + DAY + session_minute(serial) * 60
    boot = slot - HOUR
    assert next_session(slot, serial, slot - DAY, cold_boot_at=boot) == slot


def test_a_fleet_back_from_a_power_cut_spreads_over_the_window():
    boot = MIDNIGHT + 2 * DAY + 12 * HOUR  # noon; the last sessions were the day before
    missed = []
    for serial in fleet():
        minute = session_minute(serial)
        when = next_session(boot, serial, MIDNIGHT + DAY + minute * 60, cold_boot_at=boot)
        if minute < 12 * 60:
            assert boot <= when < boot + schedule.SPREAD_S
            missed.append(when)
        else:
            assert when == MIDNIGHT + 2 * DAY + minute * 60  # not missed: its own minute
    # Without the spread, the half of the fleet whose minute passed while the
    # power was off would call at `boot`: about 500 at once.
    assert len(missed) > FLEET // 3
    assert busiest(missed, 60) <= ceiling(len(missed) * 60 / schedule.SPREAD_S)
    assert len([t for t in missed if t == boot]) <= 2


def test_the_spread_never_delays_past_the_next_regular_session():
    serial = "PRN-000007"
    slot = MIDNIGHT + DAY + session_minute(serial) * 60
    boot = slot + DAY - 60  # a minute before the following day's session
    when = next_session(boot, serial, slot - DAY, cold_boot_at=boot)
    assert when <= slot + DAY


def test_the_next_radio_time():
    session = MIDNIGHT + DAY + 10 * HOUR
    assert next_radio(session) == session
    # Backing off: the session waits for the retry; an order that failed is
    # retried as soon as allowed.
    assert next_radio(session, retry_at=session + HOUR) == session + HOUR
    assert next_radio(session, retry_at=session - 5 * HOUR) == session
    assert next_radio(session, retry_at=session - 5 * HOUR, waiting=True) == session - 5 * HOUR


def test_a_wake_is_cut_short_to_land_on_the_session():
    session = MIDNIGHT + 10 * HOUR + 17 * 60
    assert sleep_s(session - 1800, HOUR, session) == 1800
    assert sleep_s(session - 2 * HOUR, HOUR, session) == HOUR
    assert sleep_s(session, HOUR, session) == HOUR  # due now or past: the usual period
    assert sleep_s(session + 60, HOUR, session) == HOUR


def test_a_fleet_waking_in_step_after_a_power_cut_still_calls_at_its_own_minutes():
    boot = MIDNIGHT + 2 * DAY + 12 * HOUR  # every device powers on at the same second
    sessions = []
    for serial in fleet()[::4]:
        last = MIDNIGHT + DAY + session_minute(serial) * 60  # the day before
        t, held = boot, []
        while len(held) < 2:  # hourly wakes, as the app runs them
            at = next_session(t, serial, last, cold_boot_at=boot)
            if at <= t:
                held.append(t)
                last = at
                at = next_session(t, serial, last, cold_boot_at=boot)
            t += sleep_s(t, HOUR, at)
        assert held[1] % DAY == session_minute(serial) * 60  # back on its own minute
        sessions.extend(held)
    # In step, hourly wakes would put 50 of these sessions on one shared second.
    assert busiest(sessions, 1) <= 2
    # The densest stretch is the spread of the sessions missed before noon.
    missed = len(sessions) // 4
    assert busiest(sessions, 60) <= ceiling(missed * 60 / schedule.SPREAD_S)
