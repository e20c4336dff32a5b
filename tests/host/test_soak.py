"""The soak (tools/soak, `make soak`): its 30-day form, both profiles, one
seed, against the strict emulator in its own process; and the checks it
relies on, shown to catch what they are there to catch."""

from types import SimpleNamespace

from replenish.store import encode as record
from tools.profiles import START
from tools.soak import checks
from tools.soak.report import print_life
from tools.soak.run import PROFILES, soak

SEED = 3  # make soak's docs name another seed for the year


def test_a_month_of_faults_breaks_no_rule(capsys):
    lives = soak(SEED, 30, sorted(PROFILES), 3.0)
    for life in lives:
        print_life(life)
    report = capsys.readouterr().out
    for life in lives:
        started = [f for f in life.plan if f.started]
        assert len(started) >= 80, "the plan injected too little to prove anything"
        met = set(f.group for f in started if f.hit)
        assert met >= {"power", "clock", "network", "service", "sensor", "storage"}, met
        assert life.status_owed, "no day was healthy enough to owe a device status"
        assert life.heap and life.wakes >= 30 * 24
    breaches = sum(sum(life.breach_count.values()) for life in lives)
    assert breaches == 0, "seed %d: %d breaches\n%s" % (SEED, breaches, report[-12000:])


def test_two_orders_open_at_once_for_one_slot_are_a_duplicate():
    first = {"device": "d", "slot": "ink", "id": "a", "placed_at": 10, "closed_at": None}
    second = {"device": "d", "slot": "ink", "id": "b", "placed_at": 20, "closed_at": None}
    assert checks.overlapping_orders([first, second]) == [("ink", "a", "b")]
    assert checks.overlapping_orders([dict(first, closed_at=15), second]) == []
    assert checks.overlapping_orders([first, dict(second, slot="toner")]) == []


def test_a_heap_that_grows_a_little_every_wake_is_a_trend_a_flat_one_is_not():
    growth, median = checks.trend([1000 + i // 10 for i in range(3000)])
    assert growth > checks.HEAP_GROWTH * median
    flat, _ = checks.trend([1000 + (i % 7) for i in range(3000)])
    assert abs(flat) < 1


def flash_files():
    """A flash's files alone: not a FakeFlash, whose planted token the
    project's own secret scan would rightly report."""
    return SimpleNamespace(files={})


def test_a_token_outside_the_lwa_records_is_found_and_masked():
    flash = flash_files()
    token = "Atzr|IwEBIA-refresh-token-of-the-soak"
    flash.files["data/lwa_refresh.rec"] = record({"token": token})
    assert checks.scan_flash(flash, {token}) == []
    flash.files["crash.log"] = ("lwa failed with %s" % token).encode()
    finds = checks.scan_flash(flash, {token})
    assert [name for name, _ in finds] == ["crash.log"]
    assert all(token not in masked for _, masked in finds)
    assert checks.refresh_token(flash) == token


def test_the_store_keeps_a_token_while_either_copy_is_whole():
    flash = flash_files()
    flash.files["data/lwa_refresh.rec"] = b"torn"
    assert checks.refresh_token(flash) is None
    flash.files["data/lwa_refresh.mir"] = record({"token": "Atzr|mirrored-copy"})
    assert checks.refresh_token(flash) == "Atzr|mirrored-copy"


def test_the_longest_healthy_stretch_skips_every_fault_window():
    day = START
    assert checks.healthy_stretch(day, day + 100, []) == 100
    assert checks.healthy_stretch(day, day + 100, [(day + 10, day + 30), (day + 60, day + 70)]) \
        == 30
    assert checks.healthy_stretch(day, day + 100, [(day - 5, day + 95)]) == 5
