# Calibration records in the store: set from the console, kept across
# reboots in two copies, and never replaced by a bad value.
from checks import expect

from hx711 import HX711
from level_probe import LevelProbe
from replenish.calibration import Calibration
from replenish.store import Store, StoreError
from tools.sim.board import SimBoard
from tools.sim.flash import FakeFlash, PowerCut
from tools.sim.hx711 import FakeHX711
from tools.sim.probe import ProbeModel


def refused(call, words):
    message = str(expect(ValueError, call))
    assert words in message, message


def test_load_cell_values_survive_a_reboot():
    flash = FakeFlash()
    Calibration(Store(flash)).set_load_cell("coffee", offset=-81234, scale=431.5)
    again = Calibration(Store(flash))  # a fresh boot reads flash
    assert again.get("coffee") == {"offset": -81234, "scale": 431.5}
    assert again.get("tea") == {}


def test_a_worn_calibration_record_is_read_from_its_mirror():
    flash = FakeFlash()
    Calibration(Store(flash)).set_load_cell("coffee", offset=-81234, scale=431.5)
    Calibration(Store(flash)).set_load_cell("coffee", scale=440.0)
    flash.files["data/cal-coffee.rec"] = b"worn"
    lines = []
    cal = Calibration(Store(flash, log=lines.append))
    assert cal.get("coffee") == {"offset": -81234, "scale": 440.0}  # the current value
    assert lines == ["store: data/cal-coffee.rec is corrupt (checksum mismatch); "
                     "using its mirror"]
    flash.files["data/cal-coffee.mir"] = b"worn"  # the record was written again meanwhile
    assert Calibration(Store(flash)).get("coffee") == {"offset": -81234, "scale": 440.0}


def test_a_power_cut_or_flash_error_while_calibrating_keeps_the_old_or_the_new_value():
    for inject in ("cut_at", "fail_at"):
        n = 0
        while True:
            n += 1
            flash = FakeFlash()
            cal = Calibration(Store(flash))
            cal.set_load_cell("coffee", offset=100, scale=430.0)
            getattr(flash, inject)(n)
            try:
                cal.set_load_cell("coffee", scale=500.0)
            except (PowerCut, StoreError):
                pass
            done = flash.cut_step is not None or flash.fail_step is not None
            flash.cut_step = flash.fail_step = None
            record = Calibration(Store(flash)).get("coffee")
            assert record["scale"] in (430.0, 500.0) and record["offset"] == 100, (inject, n)
            if done:
                break
        assert n > 6 and record["scale"] == 500.0, (inject, n)


def test_bad_values_are_refused_and_the_old_ones_kept():
    cal = Calibration(Store(FakeFlash()))
    cal.set_load_cell("coffee", offset=100, scale=430.0)
    refused(lambda: cal.set_load_cell("coffee", scale=0), "non-zero")
    refused(lambda: cal.set_probe_table("ink", [[5, 0.0]]), "two points")
    assert cal.get("coffee") == {"offset": 100, "scale": 430.0}
    assert cal.get("ink") == {}


def test_tare_and_scale_from_a_live_cell():
    board = SimBoard()
    load = {"g": 40.0}  # the empty container sits on the cell while taring
    FakeHX711(board, 18, 19, rate=80, source=lambda ch: 200.0 + 0.66 * load["g"])
    hx = HX711(board.pin_out(18), board.pin_in(19), board.clock, board.disable_irq,
               board.enable_irq, rate=80)
    cal = Calibration(Store(board.fs))
    refused(lambda: cal.calibrate_scale("coffee", hx, 500.0), "tare the cell")
    cal.tare("coffee", hx, n=5)
    load["g"] = 540.0
    record = cal.calibrate_scale("coffee", hx, 500.0, n=5)
    assert abs(record["scale"] - 0.66 / 12890.625 * 2 ** 23) < 1.0
    load["g"] = 40.0
    refused(lambda: cal.calibrate_scale("coffee", hx, 500.0, n=5), "is the 500 g weight")


def test_probe_points_build_a_table_from_live_readings():
    board = SimBoard()
    model = ProbeModel(board.world, 300000, 1900000, curve=2.0).attach(board, 35)
    probe = LevelProbe(board.adc, 35, max_uv=2000000)
    cal = Calibration(Store(board.fs))
    for level in (0.0, 1.0, 0.5):
        model.level = level
        cal.add_probe_point("ink", probe, level)
    model.level = 0.5
    cal.add_probe_point("ink", probe, 0.5)  # measured again: replaces, not adds
    assert cal.get("ink")["table"] == [[300000.0, 0.0], [700000.0, 0.5], [1900000.0, 1.0]]
    refused(lambda: cal.add_probe_point("ink", probe, 0.8), "one direction")
    assert len(cal.get("ink")["table"]) == 3
    refused(lambda: cal.add_probe_point("ink", probe, 2), "0 (empty) to 1")
