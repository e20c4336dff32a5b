"""The REPL helpers on the virtual device, through mpremote as on a board:
the firmware deployed with tools/deploy.py and linked to the emulator
(tools/console_transcripts.ReplSession), the device powered in REPL mode,
each helper run with `mpremote connect <pty> resume exec "..."`. What the
person sees, what the device keeps in flash, what the emulator saw."""

import ast
import json
import re
from pathlib import Path

from replenish.calibration import Calibration
from replenish.fs import Fs
from replenish.store import Store
from tools.console_transcripts import ReplSession

ROOT = Path(__file__).resolve().parents[2]
HELPERS = re.compile(r"replenish\.repl(_|\.|$)")
FIRMWARE = [ROOT / "boot.py", ROOT / "main.py"] + [
    p for p in sorted((ROOT / "lib").rglob("*.py")) if not p.name.startswith("repl")]


def secrets(work):
    staging = Path(work) / "staging"
    kept = list(json.loads((staging / "secrets.json").read_text()).values())
    return kept + [json.loads((staging / "link.json").read_text())["refresh_token"]]


def grams(out):
    return float(re.search(r"a wake reads (-?\d+\.\d) g", out).group(1))


def forget_the_world(work):
    """The simulated access point's password is in the world's virtual.json
    (the Wi-Fi the device joins, not the device's file): the secret scan
    allows only the device's secret files, so the world goes with the test."""
    (Path(work) / "world" / "virtual.json").unlink()


def calibration(work, slot_id):
    return Calibration(Store(Fs(str(Path(work) / "flash")), log=lambda *a: None)).get(slot_id)


def test_status_report_orders_calibration_and_test_orders_through_mpremote(tmp_path):
    said = []
    with ReplSession(tmp_path) as session:
        def run(call):
            said.append(session.helper(call))
            return said[-1]

        out = run("r.status()")
        assert "device my-washer-2/WM-0001 (test device), on battery" in out
        assert "link: linked to the customer's Amazon account" in out  # link.json taken
        assert "slot detergent no reading yet" in out
        out = run("r.report()")
        assert "clock set by SNTP: 2026-01-01" in out
        assert "slot detergent: a test order was placed" in out
        assert re.search(r"detergent 1\d% \(\d+\.\d units\) low, ordered \| softener 100%", out)
        placed = session.emu.control.orders()
        assert [(o["slot"], o["test"], o["state"]) for o in placed] == [
            ("detergent", True, "placed")]
        out = run("r.status()")
        assert "order for detergent placed 2026-01-01" in out
        out = run("r.orders()")
        assert "slot detergent: order %s placed" % placed[0]["id"] in out
        assert "slot detergent: DRS says Pending" in out

        out = run('r.raw("softener")')
        assert "slot softener: load cell," in out and abs(grams(out) - 1000) < 0.5
        out = session.tare_emptied("softener")
        assert "slot softener: tared:" in out
        out = session.calibrate("softener", 500)
        assert "2. Put the 500 g weight on the cell" in out and "slot softener calibrated" in out
        assert abs(calibration(tmp_path, "softener")["scale"] - 431.0) < 1  # the cell's truth
        kept = calibration(tmp_path, "softener")
        out = session.calibrate("softener", 250, keep="n")
        assert "the calibration it had is kept" in out
        assert calibration(tmp_path, "softener") == kept
        assert abs(grams(run('r.raw("softener")')) - 1000) < 0.5  # the household's container

        out = run("r.cancel_test_orders()")
        assert "slot detergent: its test order is cancelled" in out
        assert "slot softener: no order open" in out
        assert session.emu.control.orders()[0]["state"] == "cancelled"
        assert "slot detergent: DRS says Canceled" in run("r.orders()")
        assert session.emu.control.deviations() == []
    forget_the_world(tmp_path)
    text = "\n".join(said)
    assert "Traceback" not in text
    assert all(secret not in text for secret in secrets(tmp_path))


def test_crash_log_and_leaving_safe_mode_through_mpremote(tmp_path):
    with ReplSession(tmp_path) as session:
        assert "no crash.log" in session.helper("r.crash_log()")
        session.crash_loop()
        printed, ended = session.wake()
        assert "safe mode: the app crashed 8 times in a row" in printed
        assert ended == "deep-sleep"
        out = session.helper("r.crash_log()")
        assert "crash 8 in a row:" in out and "the HX711 on GPIO26 stopped answering" in out
        assert "crash.log removed" in session.helper("r.clear_crash_log()")
        assert "no crash.log" in session.helper("r.crash_log()")
        assert "8 crashes in a row" in session.helper("r.crash_log()")  # the count stays
        out = session.helper("r.leave_safe_mode()")
        assert "crash count cleared (it was 8 in a row)" in out
        # RTC memory survives the reset: the next boot (a new process) starts the app.
        printed, ended = session.wake()
        assert "replenish 0.2.0 on virtual device - reset" in printed
        assert "safe mode" not in printed
    forget_the_world(tmp_path)


def imported(path):
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names += ["%s.%s" % (node.module, alias.name) for alias in node.names]
    return names


def test_no_firmware_module_imports_the_helpers():
    """A wake never pays their heap: only an import at the REPL loads them."""
    for path in FIRMWARE:
        assert not [name for name in imported(path) if HELPERS.match(name)], path
    assert "replenish.repl_service" in imported(ROOT / "lib" / "replenish" / "repl.py")
