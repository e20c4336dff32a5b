# The sensor of a slot, measured once per wake: the driver's samples go
# through fault checks and settle detection, and come out as one reading
# for Slot.update(now, **reading): {"value", "settled", "fault"}.
from hx711 import HX711, MAX_CODE, MIN_CODE, HX711Error
from level_probe import RAIL_CODES, LevelProbe, check_pin
from replenish import faults
from replenish.filters import settle


def _reading(value=None, settled=False, fault=None):
    return {"value": value, "settled": settled, "fault": fault}


class LoadCellSensor:
    """An HX711 load cell; readings are grams on the cell (offset and scale
    from the calibration). Powered only while it measures."""

    def __init__(self, hx, offset, scale, settle_g=5.0, samples=10, hold_sck=None):
        self.hx = hx
        self.hold_sck = hold_sck  # () -> None: keeps SCK high through deep sleep
        self.offset = offset
        self.scale = scale
        self.settle_g = settle_g
        self.samples = samples

    def measure(self):
        try:
            self.hx.power_up()
            codes = self.hx.samples(self.samples)
        except HX711Error:
            return _reading(fault=faults.NO_DATA)
        finally:
            self.sleep()
        reason = faults.rail(codes, MIN_CODE, MAX_CODE) or faults.stuck(codes)
        if reason:
            return _reading(fault=reason)
        grams = [(c - self.offset) / self.scale for c in codes]
        value, settled = settle(grams, self.settle_g)
        return _reading(value, settled)

    def sleep(self):
        """After every reading: the chip powers down only while SCK stays high,
        and an unheld pin floats low in deep sleep (1.5 mA instead of < 1 µA)."""
        self.hx.power_down()
        if self.hold_sck:
            self.hold_sck()


class ProbeSensor:
    """An analog level probe; readings are levels, 0 empty .. 1 full."""

    def __init__(self, probe, settle_level=0.02, samples=5):
        self.probe = probe
        self.settle_level = settle_level
        self.samples = samples

    def measure(self):
        uvs, codes = [], []
        for _ in range(self.samples):
            uvs.append(self.probe.read_uv())
            codes.append(self.probe.read_code())
        reason = faults.rail(codes, RAIL_CODES[0], RAIL_CODES[1]) or faults.stuck(uvs)
        if reason:
            return _reading(fault=reason)
        value, settled = settle([self.probe.level(uv) for uv in uvs], self.settle_level)
        return _reading(value, settled)


def open_sensor(board, slot_config, calibration):
    """The sensor a slot's config names, built on the board's pins.

    Config "sensor": {"type": "hx711", "sck": 18, "dout": 19, "gain": 128,
    "rate": 10, "settle_g": 5} or {"type": "probe", "pin": 34, "max_mv": 2000,
    "settle": 0.02}. `calibration` is the slot's record (calibration.py)."""
    cfg = slot_config["sensor"]
    slot = slot_config["id"]
    kind = cfg.get("type")
    if kind == "hx711":
        if "scale" not in calibration:
            raise ValueError("slot %s: the load cell is not calibrated (tare, then scale)" % slot)
        # DOUT pulled up: an unplugged amplifier reads "not ready", not zeros.
        hx = HX711(board.pin_out(cfg["sck"]), board.pin_in(cfg["dout"], pull_up=True),
                   board.clock, board.disable_irq, board.enable_irq,
                   gain=cfg.get("gain", 128), rate=cfg.get("rate", 10))
        return LoadCellSensor(hx, calibration.get("offset", 0), calibration["scale"],
                              cfg.get("settle_g", 5.0),
                              hold_sck=lambda: board.hold(cfg["sck"], 1))
    if kind == "probe":
        # Wiring first: an ADC2 pin needs a soldering iron, not a calibration.
        check_pin(cfg["pin"])
        table = calibration.get("table")
        if not table or len(table) < 2:
            raise ValueError("slot %s: the level probe is not calibrated (empty and full)" % slot)
        probe = LevelProbe(board.adc, cfg["pin"], cfg.get("max_mv", 2450) * 1000, table)
        return ProbeSensor(probe, cfg.get("settle", 0.02))
    raise ValueError("slot %s: unknown sensor type %r (hx711 or probe)" % (slot, kind))
