# Boots of a battery device on a board as harsh as an ESP32: the clock reads
# 2000 after power-on, deep sleep is a reset (a fresh app.run every wake),
# the watchdog can't be stopped, what is left on in deep sleep costs current,
# and a crash or a broken file never turns into a loop or the REPL.
from boot_rig import HOUR, Boot, config
from fake_amazon import REFRESH, invalid_token

from replenish import app, crashes
from replenish.clock import iso8601
from replenish.rtcmem import RtcMemory
from replenish.store import Store

# The whole firmware from source, its fakes and a fake Amazon in one heap: far more than the
# 110 KB default on the 64-bit unix port (see tests/conftest.py).
DEVICE_HEAP = "320k"
YEAR_2000 = 946684800


def test_power_on_reads_2000_and_the_first_wake_sets_the_clock_before_it_talks():
    rig = Boot()
    assert rig.board.clock.now() < YEAR_2000 + 60
    start = rig.world.now()
    assert rig.boot() == ("sleep", HOUR * 1000)
    assert rig.board.ntp.net.requests  # SNTP was asked...
    assert abs(rig.board.clock.now() - rig.world.now()) <= 1  # ...and the RTC set by it
    assert rig.said("clock set by SNTP: " + iso8601(start)[:16])
    body = rig.dev.last().json()
    assert body["mostRecentlyActiveDate"].startswith("2026-01-01")


def test_without_sntp_a_cold_board_sends_nothing_dated_and_loses_no_reading():
    rig = Boot()
    rig.board.ntp.fault = "silent"
    assert rig.boot()[0] == "sleep"
    assert rig.calls() == [] and rig.grants() == 0
    assert rig.said("the clock is not set")
    assert rig.said("2000-01-01")  # the wake line shows the clock it had
    rig.board.ntp.fault = None
    rig.boot()
    assert rig.calls()  # the next wake sets the clock and sends
    slots = Store(rig.board.fs, log=lambda *a: None).load("slots")
    assert slots["ink"]["t"] > YEAR_2000 + 365 * 86400  # nothing was kept with a 2000 date


def test_tls_refuses_every_certificate_while_the_clock_reads_2000():
    rig = Boot()
    connector = rig.board.connector([])
    try:
        connector.wrap(connector.connect(connector.resolve("api.amazon.com", 443), 5),
                       "api.amazon.com", 5)
    except OSError as err:
        assert "not yet valid" in str(err)
    else:
        raise AssertionError("a handshake passed with the clock at 2000")


def test_a_wild_or_kissing_time_server_leaves_the_clock_unset():
    for fault in ("wrong", "kod", "short"):
        rig = Boot()
        rig.board.ntp.fault = fault
        rig.boot()
        assert rig.calls() == [], fault
        assert rig.board.clock.now() < YEAR_2000 + 86400, fault


def test_what_the_next_wake_needs_survives_deep_sleep_and_the_clock_runs_on():
    rig = Boot()
    rig.boot()
    rig.probe.level = 0.9  # used while the board slept
    rig.boot()  # a fresh boot: nothing of the last one is in RAM
    slot = RtcMemory(rig.board).get("slots")["ink"]
    assert slot["c"]  # the report waits for the daily session, in RTC memory
    assert rig.board.reset_cause() == "deep-sleep"
    assert abs(rig.board.clock.now() - rig.world.now()) <= 1
    grants = rig.grants()
    for _ in range(23):
        rig.boot()
    assert "POST /slotStatus/ink" in rig.calls()
    assert rig.grants() <= grants + 1  # one grant for the next day's session at most


def test_a_power_cut_loses_the_clock_and_rtc_memory_but_nothing_in_flash():
    rig = Boot()
    rig.boot()
    sent = len(rig.calls())
    rig.board.power_cut()
    assert rig.board.clock.now() < YEAR_2000 + 60 and rig.board.rtc_memory() == b""
    assert rig.board.reset_cause() == "power-on"
    rig.boot()
    assert rig.said("clock set by SNTP")
    assert len(rig.calls()) == sent  # the day's reports were sent: nothing twice


def test_the_watchdog_resets_a_stuck_wake_and_cannot_be_changed():
    rig = Boot()
    dog = rig.board.watchdog(1000)
    assert rig.board.watchdog(999999) is dog and dog.timeout_ms == 1000
    rig.dev.net.fail("connect", "slow", seconds=5)
    assert rig.boot()[0] == "watchdog"
    assert rig.board.reset_cause() == "watchdog"


def test_a_slow_service_ends_the_wake_cleanly_inside_the_watchdog():
    rig = Boot(inks=4)  # a token, subscriptions, 4 slot statuses, device status
    for _ in range(8):
        rig.dev.net.fail("write", "slow", seconds=25)
    assert rig.boot()[0] == "sleep"  # not a watchdog reset
    assert rig.said("are spent: the rest is sent next wake")
    assert "POST /deviceStatus" not in rig.calls()
    rig.boot()
    assert "POST /deviceStatus" in rig.calls()  # the rest went with the next wake


def test_deep_sleep_draws_only_the_bare_module_current():
    rig = Boot()
    rig.boot()
    assert rig.board.sleeps[-1][1] == 10  # µA: Wi-Fi off, nothing left on
    rig.board.wlan().active(True)
    assert rig.board.sleep_current_ua() > 10  # the board notices the radio left on


def test_a_crash_loop_backs_off_then_stays_in_safe_mode_with_one_grant_per_period():
    rig = Boot()
    rig.boot()
    rig.board.adc(34).source_uv = lambda: 1 // 0  # every wake now crashes in a read
    rig.board.rtc.set(rig.world.now() + 2 * 86400)  # a new day: the session is due
    ends = [rig.boot() for _ in range(16)]
    assert ends[:3] == [("reset", None)] * 3
    backoffs = [ms // 1000 for outcome, ms in ends if outcome == "sleep"]
    # An hour, then doubling; then safe mode: a long rest, radio off, again and again.
    assert backoffs[:5] == [HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR]
    assert backoffs[-1] == app.REST_S and ends[-2:] == [("sleep", app.REST_S * 1000)] * 2
    assert rig.said("safe mode: the app crashed 8 times in a row")
    assert rig.grants() <= 1 + len(backoffs)  # never more than one grant per backoff


def test_a_full_flash_is_said_rested_and_given_what_rtc_memory_carried_once_it_has_room():
    rig = Boot()
    rig.boot()
    rig.board.fs.full = True
    rig.probe.level = 0.9  # a new container: worth a flash write at once
    tries = rig.board.fs.writes
    assert [rig.boot()[0] for _ in range(12)] == ["sleep"] * 12  # no crash, no reset
    assert rig.said("ENOSPC")
    assert rig.said("ink 90%")  # the readings carry on in RTC memory
    # Each try at a full flash wears it and fails: one, then a rest of hours.
    assert rig.board.fs.writes - tries <= 3
    rig.board.fs.full = False
    for _ in range(7):
        rig.boot()
    level = Store(rig.board.fs).load("slots")["ink"]
    assert abs(level["q"] - 90) < 3, level


def test_a_refresh_token_rotated_into_a_full_flash_waits_in_rtc_memory_and_is_never_lost():
    rig = Boot()
    rig.boot()
    amazon = rig.dev.amazon
    amazon.rotate = True  # LWA answers each refresh with a new token and revokes the old
    rig.board.fs.full = True
    grants = rig.grants()
    while rig.grants() == grants:  # the next session needs a new access token
        assert rig.boot()[0] == "sleep"
    assert rig.said("waits in RTC memory")
    assert Store(rig.board.fs).load("lwa_refresh") == {"token": REFRESH}  # the revoked one
    rig.board.fs.full = False
    for _ in range(48):  # two days: each session refreshes with the token it was last given
        assert rig.boot()[0] == "sleep"
        assert not rig.said("revoked")
        rig.console.clear()  # two days of console would not fit the test's heap
    assert rig.grants() >= grants + 2
    assert Store(rig.board.fs).load("lwa_refresh") == {"token": amazon.refresh_tokens[0]}


def boot_fails_on(name, text):
    rig = Boot()
    rig.write(name, text)
    outcome, ms = rig.boot()
    assert (outcome, ms) == ("sleep", app.REST_S * 1000)
    with rig.board.fs.open(crashes.CRASH_LOG) as f:
        assert name in f.read()
    assert rig.said("reachable with mpremote")
    assert rig.calls() == []


def test_a_truncated_linking_file_is_said_logged_and_ends_in_a_long_sleep():
    boot_fails_on("link.json", "{\"refresh_tok")


def test_an_oversized_config_is_refused_before_it_fills_the_heap():
    # The module as it is now: a radio half lets go of it (replenish/heap.py).
    from replenish import config as config_module  # noqa: I001

    # The limit lowered for the test: the rule is the same, the test's heap smaller.
    limit, config_module.MAX_FILE_BYTES = config_module.MAX_FILE_BYTES, 1024
    try:
        boot_fails_on("config.json", "{" + " " * 1100 + "}")
    finally:
        config_module.MAX_FILE_BYTES = limit


def test_a_flash_read_error_at_boot_is_not_a_traceback_at_the_repl():
    rig = Boot()
    rig.board.fs.fail_at(1)
    outcome, _ = rig.boot()
    assert outcome in ("sleep", "reset")


def test_a_revoked_customer_costs_no_more_calls_and_keeps_the_radio_off():
    rig = Boot()
    rig.boot()
    rig.dev.amazon.revoke()
    rig.dev.answer("POST", "/deviceStatus", 400, {"message": "Invalid token"})
    rig.dev.amazon.drs_script.append(invalid_token())
    rig.board.rtc.set(rig.world.now() + 86400)
    rig.world.advance(86400)
    rig.boot()
    grants, connects = rig.grants(), rig.board.wifi.connects
    for _ in range(3):
        rig.boot()
    assert rig.grants() == grants and rig.board.wifi.connects == connects
    assert rig.said("link")


def test_crash_log_holds_no_token():
    rig = Boot()
    rig.boot()
    token = "Atza|secret-access-token-value"
    rig.board.adc(34).source_uv = lambda: int("bad " + token)
    assert rig.boot()[0] == "reset"
    with rig.board.fs.open(crashes.CRASH_LOG) as f:
        text = f.read()
    assert "ValueError" in text and token not in text


def test_a_test_device_warns_when_amazon_places_a_real_order():
    cfg = config(1)
    cfg["device"]["test_device"] = True
    rig = Boot(cfg)
    rig.dev.answer("POST", "/replenish/ink", 200, {"eventInstanceId": "amzn1.dash.v2.o.X",
                                                   "detailCode": "STANDARD_ORDER_PLACED"})
    rig.dev.answer("GET", "/getOrderInfo/amzn1.dash.v2.o.X", 200, {"orderInfoData": {
        "instanceId": "amzn1.dash.v2.o.X", "orderItems": []}})
    rig.probe.level = 0.05
    rig.boot()
    rig.boot()
    assert rig.said("Amazon placed a REAL order")
