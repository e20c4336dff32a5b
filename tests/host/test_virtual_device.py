"""make run's path end to end: the emulator, linking through the consent page,
the virtual device on a pty, deployment with mpremote, and main.py running
wakes there. What the emulator saw is what Amazon would have seen."""

import json
from collections import Counter

from tools.emulator import Emulator
from tools.run import INKS, START, run_virtual_device


def test_a_virtual_week_reports_orders_and_keeps_secrets_off_the_console(tmp_path, capfd):
    with Emulator(state_dir=tmp_path / "emulator", start=START) as emu:
        status = run_virtual_device(emu, tmp_path, days=8, every_s=3600)
        out = capfd.readouterr().out
        seen = emu.control.requests()
        orders = emu.control.orders()
        stats = emu.connection_stats()
        secrets = list(json.loads((tmp_path / "staging" / "secrets.json").read_text()).values())
        secrets.append(json.loads((tmp_path / "staging" / "link.json").read_text())[
            "refresh_token"])
    assert status == 0, out[-3000:]
    assert "linked to the customer's Amazon account" in out
    assert "the run is over" in out
    calls = Counter(r["endpoint"] for r in seen if r["host"] == "drs")
    assert not [r for r in seen if r["status"] >= 400], "the service refused a call"
    assert 8 <= calls["device_status"] <= 9  # daily
    assert calls["slot_status"] >= 8 * len(INKS) // 2  # use is reported, not every wake
    # black lasts 15 days, so nothing needs ordering within a week, and nothing was
    assert calls["replenish"] == 0 and orders == []
    # one TLS connection per host per talking wake
    wakes = len([line for line in out.splitlines() if line.endswith(": sent")])
    assert stats["drs"]["tls_handshakes"] == wakes
    assert stats["lwa"]["tls_handshakes"] <= wakes + 3  # + the linking page and code exchange
    assert all(len(secret) > 8 and secret not in out for secret in secrets)
    assert "Atza|" not in out and "Atzr|" not in out


def test_a_low_slot_is_ordered_once_and_refilled(tmp_path, capfd):
    with Emulator(state_dir=tmp_path / "emulator", start=START) as emu:
        status = run_virtual_device(emu, tmp_path, days=16, every_s=4 * 3600)
        out = capfd.readouterr().out
        orders = emu.control.orders()
    assert status == 0, out[-3000:]
    black = [o for o in orders if "black" in json.dumps(o)]
    assert len(black) == 1, orders  # low once: one order, no repeats while it is open
    assert "slot black: replenish -> TEST_ORDER_PLACED" in out
    assert "slot black: a new container" in out
