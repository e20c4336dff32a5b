"""The emulator's SNTP responder, asked over real UDP by the device's own
SNTP client (lib/replenish/sntp.py): under CPython here, and under the
MicroPython unix port, as the virtual device asks it."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from replenish.sntp import SntpError, UdpSockets, query
from tools.emulator.clock import EmulatorClock
from tools.emulator.sntp import SntpResponder

ROOT = Path(__file__).resolve().parent.parent.parent
NOW = 1767225600 + 40 * 86400 + 3723  # 2026-02-10T01:02:03Z


class WallTicks:
    """The two clock calls query() makes, on the host's monotonic clock."""

    def ticks_ms(self):
        return time.monotonic_ns() // 1000000

    def ticks_diff(self, a, b):
        return a - b


@pytest.fixture
def responder():
    clock = EmulatorClock("virtual", NOW)
    with SntpResponder(clock.now) as sntp:
        sntp.clock = clock
        yield sntp


def ask(sntp, **kw):
    kw.setdefault("timeout_ms", 300)
    return query(UdpSockets(), "127.0.0.1", WallTicks(), port=sntp.port, **kw)


def error_of(sntp, **kw):
    with pytest.raises(SntpError) as caught:
        ask(sntp, **kw)
    return caught.value


def test_good_answer_is_the_emulators_time(responder):
    assert ask(responder) == NOW
    responder.clock.advance(86400 * 3 + 0.4)
    assert ask(responder) == NOW + 86400 * 3
    assert responder.counts()["none"] == 2


def test_silent_server_gives_up_after_the_attempts(responder):
    responder.set_fault("silent")
    started = time.monotonic()
    err = error_of(responder, timeout_ms=200, attempts=2)
    assert "no answer after 2 attempts of 200 ms" in str(err)
    assert 0.35 < time.monotonic() - started < 2.0
    assert responder.counts()["silent"] == 2


def test_one_silent_query_is_retried(responder):
    responder.set_fault("silent", count=1)
    assert ask(responder) == NOW
    counts = responder.counts()
    assert counts["silent"] == 1 and counts["none"] == 1
    assert responder.fault() == {"mode": "none", "count": None}


def test_kiss_of_death_rate_and_deny(responder):
    responder.set_fault("kod")
    err = error_of(responder)
    assert err.kiss == "RATE" and not err.stop_asking
    responder.set_fault("kod", kiss="DENY")
    err = error_of(responder)
    assert err.kiss == "DENY" and err.stop_asking
    assert "stop asking this server" in str(err)
    assert responder.counts()["kod"] == 2


def test_wildly_wrong_time(responder):
    responder.set_fault("wrong")
    assert "implausible time 2000-01-01T" in str(error_of(responder))
    responder.set_fault("wrong", offset=50 * 365 * 86400)
    assert "implausible time 2076-" in str(error_of(responder))
    responder.set_fault("wrong", offset=3600)  # wrong, but no one can tell
    assert ask(responder) == NOW + 3600


def test_short_packet(responder):
    responder.set_fault("short", length=30)
    assert "short reply (30 bytes" in str(error_of(responder))
    assert responder.counts()["short"] == 1


def test_what_is_no_sntp_request_goes_unanswered(responder):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        sock.sendto(b"GET / HTTP/1.1\r\n\r\n", ("127.0.0.1", responder.port))
        with pytest.raises(TimeoutError):
            sock.recv(64)
    assert responder.counts()["not_sntp"] == 1
    assert ask(responder) == NOW  # and it still serves


@pytest.mark.parametrize("mode, options, message", [
    ("slow", {}, "must be one of none, silent, kod, wrong, short"),
    ("silent", {"kiss": "RATE"}, "'silent' takes no kiss"),
    ("kod", {"kiss": "rate"}, "4 capital letters"),
    ("kod", {"kiss": "RATES"}, "4 capital letters"),
    ("wrong", {"at": 0, "offset": 5}, "not both"),
    ("wrong", {"at": "yesterday"}, "number of seconds"),
    ("short", {"length": 48}, "0 to 47 bytes"),
    ("none", {"count": 0}, "positive whole number"),
])
def test_bad_fault_settings_are_refused(responder, mode, options, message):
    responder.set_fault("kod", kiss="DENY")
    with pytest.raises(ValueError, match=message):
        responder.set_fault(mode, **options)
    assert responder.fault()["kiss"] == "DENY"  # what was armed stays armed


MICROPYTHON_QUERY = """
import time
from replenish.sntp import SntpError, UdpSockets, query

class Ticks:
    def ticks_ms(self):
        return time.ticks_ms()
    def ticks_diff(self, a, b):
        return time.ticks_diff(a, b)

try:
    print(query(UdpSockets(), "127.0.0.1", Ticks(), port=%d, timeout_ms=300))
except SntpError as err:
    print("SntpError", err)
"""


def micropython_query(port):
    exe = Path(sys.executable).with_name("micropython")
    env = dict(os.environ, MICROPYPATH=str(ROOT / "lib"))
    done = subprocess.run([str(exe), "-c", MICROPYTHON_QUERY % port], env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_unix_port_asks_over_its_own_sockets(responder):
    assert micropython_query(responder.port) == str(NOW)
    responder.set_fault("silent")
    started = time.monotonic()
    assert micropython_query(responder.port) == (
        "SntpError SNTP 127.0.0.1: no answer after 2 attempts of 300 ms")
    assert time.monotonic() - started < 10


def test_the_emulator_serves_its_clock_and_takes_sntp_faults_by_control(tmp_path):
    from tools.emulator import Emulator

    with Emulator(state_dir=tmp_path, start=NOW) as emu:
        port = emu.endpoints()["sntp_port"]
        assert query(UdpSockets(), "127.0.0.1", WallTicks(), port=port, timeout_ms=500) in (
            NOW, NOW + 1)
        emu.control.sntp_fault("kod", kiss="DENY")
        with pytest.raises(SntpError) as err:
            query(UdpSockets(), "127.0.0.1", WallTicks(), port=port, timeout_ms=500)
        assert err.value.kiss == "DENY"
        assert emu.control.sntp()["counts"]["kod"] == 1
