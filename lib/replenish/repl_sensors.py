# A slot's sensor at the REPL: its raw reading, and its calibration, made
# with the firmware's own code: sensors.open_sensor wires the driver from
# config.json and reads as a wake reads, calibration.py computes and keeps
# the result, so what is set here is what the next wake uses.
from replenish.calibration import KEY_PREFIX, Calibration
from replenish.repl_device import ask, say
from replenish.sensors import open_sensor

# open_sensor refuses a slot that is not calibrated yet; this stand-in lets it
# wire the driver anyway, for the raw readings a calibration starts from.
# Never saved.
STAND_IN = {"offset": 0, "scale": 1.0, "table": [[0, 0.0], [1, 1.0]]}
SAMPLES = 20  # conversions per calibration reading (calibration.py's default)
# A known weight must move the reading well beyond the HX711's noise (tens of
# counts): less means it is not on the cell, or the cell is not wired.
MIN_CHANGE = 500
# Empty and full closer than this (out of a probe's 1-2 V) leave the level to
# the ADC's noise: most likely the container was not really emptied or filled.
MIN_SPAN_UV = 50000
PROBE_LEVELS = {"empty": 0.0, "full": 1.0}


def _driver(dev, slot_id, kind):
    """The slot's HX711 or LevelProbe; a ValueError when it is the other kind."""
    data = dev.slot_config(slot_id)
    sensor = open_sensor(dev.board, data, STAND_IN)
    found = "hx711" if hasattr(sensor, "hx") else "probe"
    if kind and found != kind:
        if found == "probe":
            raise ValueError("slot %s has a level probe, not a load cell: capture its points "
                             "with r.probe_point(%r, 'empty') and r.probe_point(%r, 'full')"
                             % (slot_id, slot_id, slot_id))
        raise ValueError("slot %s has a load cell, not a level probe: calibrate it with "
                         "r.calibrate(%r, grams)" % (slot_id, slot_id))
    return found, sensor.hx if found == "hx711" else sensor.probe


def _firmware_reading(dev, slot_id, record):
    """What a wake would read with this calibration: grams or a level."""
    try:
        sensor = open_sensor(dev.board, dev.slot_config(slot_id), record)
    except ValueError as err:
        return "the firmware cannot read it yet: %s" % err
    reading = sensor.measure()
    if reading["fault"]:
        return "the firmware sees a fault: %s" % reading["fault"]
    settled = "" if reading["settled"] else ", still moving"
    if hasattr(sensor, "hx"):
        return "a wake reads %.1f g on the cell%s" % (reading["value"], settled)
    return "a wake reads level %d%%%s" % (round(100 * reading["value"]), settled)


def _counts(hx, n):
    hx.power_up()
    try:
        return hx.read(n)
    finally:
        hx.power_down()


def raw(dev, slot_id, n=10):
    kind, driver = _driver(dev, slot_id, None)
    record = Calibration(dev.store).get(slot_id)
    if kind == "hx711":
        say("slot %s: load cell, %d counts (HX711, median of %d)" % (
            slot_id, _counts(driver, n), n))
    else:
        say("slot %s: level probe on GPIO%d, %d uV (ADC code %d)" % (
            slot_id, driver.pin, driver.read_uv(), driver.read_code()))
    say("  " + _firmware_reading(dev, slot_id, record))


def tare(dev, slot_id):
    _, hx = _driver(dev, slot_id, "hx711")
    record = Calibration(dev.store).tare(slot_id, hx, SAMPLES)
    say("slot %s: tared: %d counts is zero now" % (slot_id, record["offset"]))
    if "scale" not in record:
        say("  next: r.calibrate(%r, grams) with a known weight" % slot_id)


def calibrate(dev, slot_id, grams, answers=None):
    """Guided: empty cell, tare, known weight, confirm. Declined or failed,
    the calibration the slot had before stays."""
    if not (isinstance(grams, (int, float)) and grams > 0):
        raise ValueError("the known weight is a number of grams > 0, e.g. r.calibrate(%r, 500)"
                         % slot_id)
    _, hx = _driver(dev, slot_id, "hx711")
    calibration = Calibration(dev.store)
    before = calibration.get(slot_id)
    container = dev.slot_config(slot_id).get("container_g", 0)
    say("Calibrating the load cell of slot %s with a %g g weight." % (slot_id, grams))
    ask("1. Take everything off the cell%s. Press Enter when it is empty:" % (
        " (config.json's container_g stands for the empty container)" if container
        else ", but the empty container if it always stands there (container_g is 0)"), answers)
    try:
        offset = calibration.tare(slot_id, hx, SAMPLES)["offset"]
        say("   tared: %d counts is zero" % offset)
        ask("2. Put the %g g weight on the cell. Press Enter when it rests:" % grams, answers)
        record = calibration.calibrate_scale(slot_id, hx, grams, SAMPLES)
        change = abs(record["scale"] * grams)
        if change < MIN_CHANGE:
            raise ValueError("the weight changed the reading by only %d counts, about the "
                             "HX711's noise: is it on the cell, and the cell wired to E+ E- "
                             "A+ A-?" % change)
        say("   the weight changed the reading by %d counts: %.2f counts per gram; with it %s"
            % (change, record["scale"], _firmware_reading(dev, slot_id, record)))
        kept = ask("3. Keep this calibration? [y/n]", answers).lower() in ("y", "yes")
    except (ValueError, OSError) as err:  # no change on the cell, the HX711 silent
        say(str(err))
        kept = False
    except BaseException:
        _restore(dev.store, slot_id, before)
        raise
    if kept:
        say("slot %s calibrated: the next wake weighs with it" % slot_id)
    else:
        _restore(dev.store, slot_id, before)
        say("slot %s: not calibrated; the calibration it had is kept" % slot_id)


def _restore(store, slot_id, record):
    """Puts back a calibration record as it was (none at all included)."""
    if record:
        store.save(KEY_PREFIX + slot_id, record)
    else:
        store.delete(KEY_PREFIX + slot_id)


def probe_point(dev, slot_id, level):
    value = PROBE_LEVELS.get(level, level)
    if isinstance(value, str) or not isinstance(value, (int, float)):
        raise ValueError("a probe point is 'empty', 'full' or a level from 0 to 1, not %r"
                         % (level,))
    _, probe = _driver(dev, slot_id, "probe")
    record = Calibration(dev.store).add_probe_point(slot_id, probe, float(value))
    points = ", ".join("%d uV = %d%%" % (uv, round(100 * at)) for uv, at in record["table"])
    say("slot %s: probe point %s kept; the table is %s" % (slot_id, level, points))
    if len(record["table"]) < 2:
        say("  next: %s the container, then r.probe_point(%r, %r)" % (
            ("fill", slot_id, "full") if value < 0.5 else ("empty", slot_id, "empty")))
    else:
        uvs = [uv for uv, _ in record["table"]]
        if max(uvs) - min(uvs) < MIN_SPAN_UV:
            say("  WARNING: the points are only %d uV apart: was the container really emptied "
                "and filled? Capture the wrong one again" % (max(uvs) - min(uvs)))
        say("  " + _firmware_reading(dev, slot_id, record))
