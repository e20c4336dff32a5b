# Sensors end to end on the simulated board: the fake chips, the drivers,
# the fault checks and the slot, hour by hour.
from checks import expect

from hx711 import HX711
from replenish import faults, slots
from replenish.calibration import Calibration
from replenish.sensors import open_sensor
from replenish.slots import Slot
from replenish.store import Store
from tools.sim.board import SimBoard
from tools.sim.hx711 import FakeHX711
from tools.sim.noise import Noise
from tools.sim.probe import ProbeModel

HOUR = 3600
COFFEE = {"id": "coffee", "capacity": 1000, "unit_g": 1.0, "container_g": 40,
          "sensor": {"type": "hx711", "sck": 18, "dout": 19, "rate": 80}}
INK = {"id": "ink", "capacity": 100, "sensor": {"type": "probe", "pin": 34, "max_mv": 2000}}


class Bench:
    """A board with a load cell under a coffee bag, calibrated via the store."""

    def __init__(self):
        self.board = SimBoard()
        self.board.isr_us = 120  # Wi-Fi is on
        self.grams = 0.0
        noise = Noise(0.3, seed=4)
        # 1 mV/V at 3.3 V, 5 kg: 0.66 µV per gram, over a bridge offset.
        self.chip = FakeHX711(self.board, 18, 19, rate=80,
                              source=lambda ch: 150.0 + 0.66 * self.grams + noise())
        self.cal = Calibration(Store(self.board.fs))
        board = self.board
        hx = HX711(board.pin_out(18), board.pin_in(19), board.clock, board.disable_irq,
                   board.enable_irq, rate=80)
        self.cal.tare("coffee", hx)
        self.grams = 500.0
        self.cal.calibrate_scale("coffee", hx, 500.0)
        self.sensor = open_sensor(board, COFFEE, self.cal.get("coffee"))


def test_calibration_reaches_the_store_and_weighs_grams():
    bench = Bench()
    record = Calibration(Store(bench.board.fs)).get("coffee")  # read back from flash
    assert abs(record["scale"] - 0.66 / 12890.625 * 2 ** 23) < 1.0
    bench.grams = 1040.0
    reading = bench.sensor.measure()
    assert reading["settled"] and reading["fault"] is None
    assert abs(reading["value"] - 1040.0) < 1.0
    assert bench.board.pins[18].value() == 1  # powered down between measurements


def test_a_bag_moved_while_weighed_is_not_settled():
    bench = Bench()
    clock = bench.board.clock
    start = clock.ticks_us()
    bench.chip.source = lambda ch: 150.0 + 0.66 * (1040.0 - (clock.ticks_us() - start) / 500.0)
    reading = bench.sensor.measure()
    assert reading["fault"] is None and not reading["settled"]


def test_amplifier_unplugged_mid_week_faults_then_recovers():
    bench = Bench()
    slot = Slot(COFFEE)
    now = 1767225600
    bench.grams = 1040.0
    events = []
    for hour in range(60):
        now += HOUR
        bench.board.world.set(now)
        if hour % 12 == 7:
            bench.grams -= 15.0
        bench.chip.connected = not 20 <= hour < 40
        events.append(slot.update(now, **bench.sensor.measure()))
        if hour == 30:
            assert slot.fault == faults.NO_DATA and not slot.consumed
        if hour == 19:
            slot.reported()
    assert events[20:40] == [slots.FAULT] * 20
    assert events[40] == slots.FAULTY and events[41] == slots.CONSUMED
    assert not slot.faulty
    assert abs(slot.quantity - (1000 - 5 * 15)) < 2


def test_data_line_stuck_low_and_saturation_are_faults():
    board = SimBoard()
    sensor = open_sensor(board, COFFEE, {"offset": 0, "scale": 430.0})
    board.pins[19].driver = lambda: 0  # DOUT shorted to ground: "ready", all zeros
    assert sensor.measure()["fault"] == faults.STUCK
    bench = Bench()
    bench.grams = 50000.0  # far beyond the cell's range
    assert "high rail" in bench.sensor.measure()["fault"]


def test_probe_at_its_rail_mid_week_is_a_fault_not_an_empty_tank():
    board = SimBoard()
    model = ProbeModel(board.world, 300000, 1900000, noise_uv=3000, drift_uv_per_day=200)
    model.attach(board, 34)
    sensor = open_sensor(board, INK, {"table": [[300000, 0.0], [1900000, 1.0]]})
    slot = Slot(INK)
    now = board.world.now()
    events = []
    for hour in range(7 * 24):
        now += HOUR
        board.world.set(now)
        if 8 <= hour % 24 < 20:
            model.level -= 0.0025  # 3 ml a day while the printer is in use
        # A broken wire, then a short to the supply while the printer is busy.
        model.wire = "open" if 70 <= hour < 90 else "short" if 130 <= hour < 136 else "ok"
        events.append(slot.update(now, **sensor.measure()))
        if hour in (69, 129):
            slot.reported()
            before = slot.quantity
        if 70 <= hour < 90 or 130 <= hour < 136:
            assert ("low rail" if hour < 90 else "high rail") in slot.fault
            assert not slot.consumed and not slot.low
            assert slot.quantity == before  # neither an empty nor a full tank
    assert not slot.faulty
    assert slots.REFILLED not in events and slots.PENDING not in events
    assert abs(slot.quantity - (100 - 21)) < 1.5
    assert abs(slot.rate(now) - 3.0) < 0.6


def test_sensor_config_errors_name_the_slot_and_the_pin():
    board = SimBoard()
    cases = [
        # Not calibrated yet either: the wiring fault is the one to fix first.
        (dict(INK, sensor={"type": "probe", "pin": 25}), {}, "GPIO25 is an ADC2 pin"),
        (INK, {}, "slot ink: the level probe is not calibrated"),
        (COFFEE, {"offset": 5}, "slot coffee: the load cell is not calibrated"),
        (dict(INK, sensor={"type": "sonar"}), {}, "unknown sensor type"),
    ]
    for config, cal, words in cases:
        message = str(expect(ValueError, open_sensor, board, config, cal))
        assert words in message, message
