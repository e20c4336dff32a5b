"""make run's path end to end: the emulator, linking through the consent page,
the virtual device on a pty, deployment with mpremote, a cold board whose
clock reads 2000, every wake a fresh process, and a household whose order
goes the whole way. What the emulator saw is what Amazon would have seen.

Two runs of the same battery printer, one with a power cut in the middle,
are compared: the cut may cost the wake it hit, nothing else."""

import json
import re
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from tools.emulator import Emulator
from tools.profiles import START, Profile
from tools.run import run_virtual_device
from tools.timeline import Timeline, iso

DAYS = 4  # black is ordered on the first wake, ships on day 1, arrives on day 3
CUT_DAY = 2
# The firmware's heap is being cut down to the default DEVICE_HEAP; until a
# radio wake fits there, the runs here use the heap that fits today.
HEAP = "240k"
SESSION = re.compile(r"^wake (\S+) .*radio [\d.]+ s: sent \|", re.M)
WAKE = re.compile(r"^wake (\S+) \|", re.M)


def run(folder, cut_on_day=None):
    console = bytearray()
    timeline = Timeline()
    with Emulator(state_dir=folder / "emulator", start=START) as emu:
        wakes = run_virtual_device(emu, Profile("printer-4ink"), folder, DAYS, battery=True,
                                   cut_on_day=cut_on_day, console=console.extend, heap=HEAP,
                                   timeline=timeline, start_low=True)
        seen = {"requests": emu.control.requests(), "orders": emu.control.orders(),
                "deviations": emu.control.deviations(), "stats": emu.connection_stats()}
    secrets = list(json.loads((folder / "staging" / "secrets.json").read_text()).values())
    secrets.append(json.loads((folder / "staging" / "link.json").read_text())["refresh_token"])
    return dict(seen, wakes=wakes, console=console.decode(), secrets=secrets,
                timeline=timeline)


# Not under pytest's folder: the world's virtual.json holds the simulated
# access point's own password, which the secret scan would take for a leak.
@pytest.fixture(scope="module")
def plain():
    with tempfile.TemporaryDirectory(prefix="virtual-device-") as work:
        yield run(Path(work))


@pytest.fixture(scope="module")
def cut():
    with tempfile.TemporaryDirectory(prefix="virtual-device-cut-") as work:
        yield run(Path(work), cut_on_day=CUT_DAY)


def device_requests(seen, host):
    """The device's own requests (linking is the tool's and the browser's)."""
    return [r for r in seen["requests"] if r["host"] == host
            and "authorization_code" not in r["body"] and r["endpoint"] != "consent"]


def test_a_cold_board_sets_its_clock_by_sntp_before_it_says_anything_dated(plain):
    out = plain["console"]
    assert "clock set by SNTP: 2026-01-01T00:00" in out
    assert out.index("clock set by SNTP") < out.index("sent ")
    assert "2000-01-01" not in out
    first = WAKE.search(out).group(1)
    assert first.startswith("2026-01-01T00:00"), first
    assert all(r["time"].startswith("2026-") for r in device_requests(plain, "drs"))


def test_every_wake_is_a_fresh_process(plain):
    out = plain["console"]
    boots = out.count("replenish 0.2.0 on virtual device - ")
    assert boots == plain["wakes"]  # one banner per process: boot.py and main.py each time
    assert out.count("virtual device - deep-sleep") >= len(WAKE.findall(out)) - 1
    assert len(WAKE.findall(out)) >= DAYS * 24 - 1  # hourly, for the whole run


def test_one_tls_connection_per_host_per_session(plain):
    sessions = SESSION.findall(plain["console"])
    assert len(sessions) == DAYS + 1  # the first wake, then the daily session
    drs = Counter(r["connection"] for r in device_requests(plain, "drs"))
    lwa = Counter(r["connection"] for r in device_requests(plain, "lwa"))
    assert len(drs) == len(sessions) and min(drs.values()) >= 5  # many calls, one connection
    assert len(lwa) == len(sessions) and set(lwa.values()) == {1}  # one token a session
    stats = plain["stats"]
    assert stats["drs"]["tls_handshakes"] == len(sessions)
    # + the consent page's two requests and the link tool's code exchange
    assert stats["lwa"]["tls_handshakes"] == len(sessions) + 3


def test_no_secret_on_the_console(plain):
    out = plain["console"]
    assert all(len(secret) > 8 and secret not in out for secret in plain["secrets"])
    assert "Atza|" not in out and "Atzr|" not in out


def test_the_strict_emulator_saw_no_deviation(plain):
    assert plain["deviations"] == []
    assert not [r for r in plain["requests"] if r["status"] >= 400]


def test_an_order_goes_the_whole_way_and_the_new_container_is_seen(plain):
    [order] = plain["orders"]
    assert (order["slot"], order["test"], order["state"]) == ("black", False, "delivered")
    out = plain["console"]
    assert "slot black: a real order was placed" in out
    assert out.index("household: a new container in slot black") < out.index(
        "slot black: a new container")
    levels = [int(m) for m in re.findall(r"\| black (\d+)% ", out)]
    assert levels[0] < 15 and levels[-1] > 90  # low at first, full after the delivery


def test_the_timeline_has_every_wake_and_the_order_s_steps(plain, tmp_path):
    jsonl, png = plain["timeline"].write(tmp_path)
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    wakes = [r for r in records if r["type"] == "wake"]
    assert len(wakes) == len(WAKE.findall(plain["console"]))
    assert all(set(w["slots"]) == {"cyan", "magenta", "yellow", "black"} for w in wakes)
    kinds = [r["kind"] for r in records if r["type"] == "event" and r["slot"] == "black"]
    steps = [k for k in kinds if k in ("order placed", "shipped", "delivered", "refill")]
    assert steps == ["order placed", "shipped", "delivered", "refill"]
    assert kinds.count("report") == DAYS + 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20000


def calls(seen):
    """What the device told the service, in order, by day: order ids differ between runs."""
    return [(r["time"][:10], r["endpoint"], r["path"].split("/")[-1] if r["endpoint"] in (
        "slot_status", "replenish") else "") for r in device_requests(seen, "drs")]


def hours(run, before):
    """The hours with a wake, up to `before` (the last hour's wake may fall
    either side of the run's end)."""
    return set(t[:13] for t in WAKE.findall(run["console"]) if t < before)


def test_a_power_cut_changes_nothing_but_the_lost_wake(plain, cut):
    out = cut["console"]
    [cut_at] = [r["time"] for r in cut["timeline"].records if r.get("kind") == "power cut"]
    after = out.split("virtual device - power-on")
    assert len(after) == 3, "one power-on at the start and one after the cut"
    assert "clock set by SNTP" in after[2]  # the RTC restarted at 2000 and was set again
    assert cut["deviations"] == []
    assert calls(cut) == calls(plain)
    assert [(o["slot"], o["test"], o["state"]) for o in cut["orders"]] == [
        (o["slot"], o["test"], o["state"]) for o in plain["orders"]]
    end = iso(START + DAYS * 86400 - 3600)
    # Every hour woke as without the cut; the cut's hour may have lost its
    # wake or woken twice (the wake that was cut, and the one after the power-on).
    assert hours(plain, end) ^ hours(cut, end) <= {cut_at[:13]}
