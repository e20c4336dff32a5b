# The REPL helpers (replenish/repl.py) on the harsh simulated board, wired to
# the fake Amazon as a booted device is (boot_rig.py): what a person at the
# REPL sees, and what each helper changes on the device and at the service.
import sys

from boot_rig import Boot, config
from fake_amazon import CLIENT_SECRET, REFRESH

import replenish.repl as r
from replenish import crashes, repl_device
from replenish.calibration import Calibration
from replenish.rtcmem import RtcMemory
from replenish.store import Store
from tools.sim.hx711 import FakeHX711
from tools.sim.noise import Noise

# The whole firmware, the helpers, a load cell and a probe, their fakes and a
# fake Amazon in one heap, as test_boot.py does without the helpers: all pass
# at 336k (not at 320k), plus 32k for the swings of fragmentation.
DEVICE_HEAP = "368k"
FULL_SCALE_UV = 3300000 / 2 / 128  # the HX711 at gain 128: the input at code 2**23
CELL_UV = 500.0  # the empty cell's output
UV_PER_G = 0.5
NOISE_UV = 0.05  # about 30 counts, 0.1 g: a real cell's samples are never all equal
ORDER = {"orderInfoData": {"instanceId": "order-1", "orderItems": [
    {"asin": "B0INK", "slotId": "ink", "quantity": 1, "status": "Pending",
     "expectedDeliveryDate": "2026-01-05T00:00:00Z"}]}}


class Handed:  # what the virtual device's power-on hands over as sys.modules["virtual_board"]
    board = None


def said(rig, helper, *args, **kwargs):
    """What a helper prints at the REPL of the rig's board."""
    lines = []
    Handed.board = rig.board
    sys.modules["virtual_board"] = Handed
    repl_device.console = lines.append
    try:
        helper(*args, **kwargs)
    finally:
        del sys.modules["virtual_board"]
        repl_device.console = print
    return "\n".join(lines)


def code(uv):
    return int(uv / FULL_SCALE_UV * 0x800000)


def near(a, b, within):
    return abs(a - b) <= within


def number_after(text, words):
    """The number that follows `words` in text."""
    rest = text[text.index(words) + len(words):].split()[0]
    return float(rest.rstrip("%,"))


class Cell:
    """A load cell slot "beans" beside the ink probe, its HX711 on pins 18/19."""

    def __init__(self, link=True):
        cfg = config(1)
        cfg["slots"].append({"id": "beans", "capacity": 1000, "unit_g": 1.0, "low": 100,
                             "sensor": {"type": "hx711", "sck": 18, "dout": 19}})
        self.rig = Boot(cfg, link=link)
        self.grams = None  # nothing at all on the cell
        self.drift_uv = 0.0
        self.noise = Noise(NOISE_UV)
        self.chip = FakeHX711(self.rig.board, 18, 19, source=self.output)

    def output(self, channel):
        return CELL_UV + self.drift_uv + UV_PER_G * (self.grams or 0) + self.noise()

    def calibration(self):
        return Calibration(Store(self.rig.board.fs, log=lambda *a: None)).get("beans")

    def person(self, grams, keep="y"):
        """Answers calibrate's prompts as a person does: empties the cell, puts
        the weight on, then keeps the result (or not)."""
        def answer(prompt):
            if prompt.startswith("1."):
                self.grams = None
            elif prompt.startswith("2."):
                self.grams = grams
            else:
                return keep
            return ""
        return answer


def store(rig):
    return Store(rig.board.fs, log=lambda *a: None)


def test_status_shows_every_slot_the_link_and_the_next_session():
    cell = Cell()
    cell.rig.boot()
    out = said(cell.rig, r.status)
    assert "device printer-1/P-1, on battery" in out
    assert "link: linked to the customer's Amazon account" in out
    assert "slot ink 100% (100.0 units) ok" in out
    assert "beans faulty: cannot be read: slot beans: the load cell is not calibrated" in out
    assert "last device status 2026-01-01 00:00; next session 2026-01-0" in out
    unlinked = Boot(link=False)
    unlinked.boot()
    assert "NOT LINKED: the device is not linked to an Amazon account (r.link() says how)" in \
        said(unlinked, r.status)


def test_status_of_a_broken_config_says_what_to_fix():
    rig = Boot()
    rig.write("config.json", "{not json")
    out = said(rig, r.status)
    assert "config.json is not valid JSON" in out
    assert "Traceback" not in out


def test_raw_shows_the_driver_reading_and_what_a_wake_reads():
    cell = Cell()
    out = said(cell.rig, r.raw, "beans")
    assert near(number_after(out, "slot beans: load cell,"), code(CELL_UV), 100)
    assert "the firmware cannot read it yet: slot beans: the load cell is not calibrated" in out
    cell.rig.probe.level = 0.5
    out = said(cell.rig, r.raw, "ink")
    assert "slot ink: level probe on GPIO34, 10" in out  # 1.0 V: halfway from 0.2 to 1.8 V
    assert "a wake reads level 50%" in out
    out = said(cell.rig, r.raw, "milk")
    assert "no slot 'milk' in config.json: the slots are ink, beans" in out


def test_tare_takes_what_is_on_the_cell_as_zero():
    cell = Cell()
    out = said(cell.rig, r.tare, "beans")
    offset = cell.calibration()["offset"]
    assert near(offset, code(CELL_UV), 100) and list(cell.calibration()) == ["offset"]
    assert "tared: %d counts is zero now" % offset in out
    assert "next: r.calibrate('beans', grams)" in out
    assert "has a level probe, not a load cell" in said(cell.rig, r.tare, "ink")


def test_calibrate_guides_a_person_and_the_next_wake_weighs_with_it():
    cell = Cell()
    out = said(cell.rig, r.calibrate, "beans", 500, answers=cell.person(500))
    assert "1. Take everything off the cell" in out
    assert "2. Put the 500 g weight on the cell" in out
    assert "3. Keep this calibration? [y/n] y" in out
    assert "slot beans calibrated" in out
    record = cell.calibration()
    assert near(record["offset"], code(CELL_UV), 100)
    per_gram = (code(CELL_UV + UV_PER_G * 1000) - code(CELL_UV + UV_PER_G * 500)) / 500
    assert near(record["scale"], per_gram, 0.5)
    assert near(number_after(out, "with it a wake reads"), 500, 0.5)
    assert near(number_after(said(cell.rig, r.raw, "beans"), "a wake reads"), 500, 0.5)
    cell.grams = 400
    cell.rig.boot()
    assert "slot beans 40% (40" in said(cell.rig, r.status)


def test_a_declined_or_failed_calibration_keeps_the_one_before():
    cell = Cell()
    said(cell.rig, r.calibrate, "beans", 500, answers=cell.person(500))
    before = cell.calibration()
    cell.drift_uv = 900.0  # the cell drifted: any new tare differs
    out = said(cell.rig, r.calibrate, "beans", 200, answers=cell.person(200, keep="n"))
    assert "not calibrated; the calibration it had is kept" in out
    assert cell.calibration() == before
    out = said(cell.rig, r.calibrate, "beans", 200, answers=["", "", "y"])  # no weight put on
    assert "the weight changed the reading by only" in out
    assert "the calibration it had is kept" in out
    assert cell.calibration() == before
    assert "a number of grams > 0" in said(cell.rig, r.calibrate, "beans", -5, answers=[])
    assert cell.calibration() == before


def test_probe_points_make_a_probe_readable():
    rig = Boot()
    store(rig).delete("cal-ink")
    rig.probe.level = 0.0
    out = said(rig, r.probe_point, "ink", "empty")
    assert "probe point empty kept; the table is 20" in out  # ~200000 uV = 0%
    assert "next: fill the container, then r.probe_point('ink', 'full')" in out
    rig.probe.level = 1.0
    out = said(rig, r.probe_point, "ink", "full")
    assert "a wake reads level 100%" in out
    table = Calibration(store(rig)).get("ink")["table"]
    assert abs(table[0][0] - 200000) < 3000 and table[0][1] == 0.0
    assert abs(table[1][0] - 1800000) < 3000 and table[1][1] == 1.0
    rig.probe.level = 0.25
    assert "a wake reads level 25%" in said(rig, r.raw, "ink")
    rig.probe.level = 1.0
    assert "only" in said(rig, r.probe_point, "ink", "empty")  # full again: warned
    assert "'empty', 'full' or a level from 0 to 1" in said(rig, r.probe_point, "ink", "half")


def test_report_holds_the_daily_session_now():
    rig = Boot()
    rig.boot()  # the first session: device status sent
    rig.boot()  # an hour on: nothing due, the radio stays off
    assert rig.calls().count("POST /deviceStatus") == 1
    out = said(rig, r.report)
    assert rig.calls().count("POST /deviceStatus") == 2
    assert "sent device_status" in out
    assert ": sent | next wake" in out
    rig.boot()  # and the daily rhythm goes on: nothing more sent this hour
    assert rig.calls().count("POST /deviceStatus") == 2


def placed_order(rig):
    rig.dev.answer("POST", "/replenish/ink", 200,
                   {"eventInstanceId": "order-1", "detailCode": "TEST_ORDER_PLACED"})
    rig.dev.answer("GET", "/getOrderInfo/order-1", 200, ORDER)
    rig.boot()
    rig.probe.level = 0.1
    rig.boot()
    rig.boot()  # the fall confirmed: low, ordered at once
    assert "POST /replenish/ink" in rig.calls()


def test_orders_come_from_the_device_and_from_drs():
    rig = Boot()
    assert "no order open on the device" in said(rig, r.orders)
    placed_order(rig)
    asked = len(rig.calls())
    out = said(rig, r.orders)
    assert "slot ink: order order-1 placed 2026-01-01" in out
    assert "slot ink: DRS says Pending (B0INK x1, expected 2026-01-05)" in out
    assert rig.calls()[asked:] == ["GET /getOrderInfo/order-1"]


def test_cancel_test_orders_of_every_slot_or_one():
    rig = Boot()
    placed_order(rig)
    cancelled = {"slotOrderStatuses": [{"slotId": "ink", "orderStatus": "NO_ORDER_IN_PROGRESS"}]}
    rig.dev.answer("DELETE", "/testOrders", 200, cancelled)
    rig.dev.answer("DELETE", "/testOrders/slots/ink", 200, {"slotOrderStatuses": []})
    out = said(rig, r.cancel_test_orders)
    assert "slot ink: its test order is cancelled (DRS: NO_ORDER_IN_PROGRESS)" in out
    assert "r.report() holds it now" in out
    assert "no test order was cancelled" in said(rig, r.cancel_test_orders, "ink")
    calls = len(rig.calls())
    assert "no slot 'inky'" in said(rig, r.cancel_test_orders, "inky")
    assert len(rig.calls()) == calls  # an unknown slot: the radio stayed off
    assert rig.calls()[-2:] == ["DELETE /testOrders", "DELETE /testOrders/slots/ink"]


def test_link_says_how_then_takes_link_json():
    rig = Boot(link=False)
    out = said(rig, r.link)
    assert "not linked: the device is not linked to an Amazon account" in out
    assert "python -m tools.link" in out and "--model printer-1 --serial P-1" in out
    rig.write("link.json", {"token": "nothing"})
    out = said(rig, r.link)
    assert "link.json holds no refresh token" in out and "Traceback" not in out
    rig.write("link.json", {"refresh_token": REFRESH})
    assert "linked to the customer's Amazon account" in said(rig, r.link)
    assert not rig.board.fs.exists("link.json")
    assert "link: linked" in said(rig, r.status)


def test_deregister_asks_first_and_then_leaves_the_service():
    rig = Boot()
    rig.boot()
    out = said(rig, r.deregister, answers=["no"])
    assert "Type yes to deregister: no" in out and "not deregistered: nothing changed" in out
    assert "DELETE /registration" not in rig.calls()
    out = said(rig, r.deregister, answers=["yes"])
    assert "deregistered: r.link() says how to link it again" in out
    assert rig.calls()[-1] == "DELETE /registration"
    assert "NOT LINKED: this device deregistered itself" in said(rig, r.status)
    calls = len(rig.calls())
    assert "nothing is sent" in said(rig, r.report)
    assert len(rig.calls()) == calls
    assert "not linked, nothing to deregister" in said(rig, r.deregister, answers=[])


def test_wifi_scan_and_the_connection_test():
    rig = Boot()
    out = said(rig, r.wifi_scan)
    assert "home                     channel  6   -58 dBm  WPA2  <- config.json's network" in out
    assert "neighbours" in out
    assert not rig.board.wlan().active()  # the radio is off again
    out = said(rig, r.wifi_test)
    assert "Wi-Fi 'home': joined (cold)" in out and "address 192.168.1.23" in out
    assert "clock set by SNTP: 2026-01-01" in out
    assert "LWA https://api.amazon.com: TLS verified, access token granted" in out
    assert "subscriptions: ink on" in out
    assert not rig.board.wlan().active()
    rig.board.wifi.password = "another one"
    out = said(rig, r.wifi_test)
    assert "the password was refused: check wifi.ssid in config.json" in out


def test_crash_log_shown_and_cleared_and_safe_mode_left():
    rig = Boot()
    rig.boot()
    counted = crashes.Crashes(rig.board, store(rig), RtcMemory(rig.board), lambda text: None)
    for _ in range(crashes.SAFE_AFTER):
        counted.record(ValueError("a sensor wire came loose"))
    rig.boot()
    assert rig.said("safe mode: the app crashed 8 times in a row")
    out = said(rig, r.crash_log)
    assert "crash 8 in a row:" in out and "ValueError: a sensor wire came loose" in out
    assert "8 crashes in a row" in out
    assert "crash.log removed" in said(rig, r.clear_crash_log)
    assert "no crash.log" in said(rig, r.crash_log)
    rig.write("SAFE_MODE", "testing the pump")
    out = said(rig, r.leave_safe_mode)
    assert "SAFE_MODE removed" in out and "crash count cleared (it was 8 in a row)" in out
    assert "safe mode left: reset the board" in out
    rig.console.clear()
    rig.boot()
    assert not rig.said("safe mode") and rig.said("wake 2026-01-0")


def test_no_secret_reaches_the_console():
    rig = Boot()
    out = [said(rig, r.wifi_test), said(rig, r.report), said(rig, r.status),
           said(rig, r.link), said(rig, r.deregister, answers=["yes"])]
    text = "\n".join(out)
    assert "access token granted" in text and "deregistered" in text
    for secret in (CLIENT_SECRET, REFRESH, "Atza|", "Atzr|"):
        assert secret not in text, secret
