# Sensor faults: readings that must not be taken as quantities. Each check
# returns the reason a user reads in the slot's status, or None. A faulty
# slot reports no consumption and orders nothing (see slots.py).

NO_DATA = "no data from the sensor (unplugged or unpowered?)"
STUCK = "sensor stuck: every sample identical"


def rail(values, low, high):
    """A reading pinned to an end of the converter's range: a broken wire,
    a short, or a load beyond the sensor's range. Most of the batch must be
    there, so a noisy reading that grazes a rail once is not a fault."""
    at_low = len([v for v in values if v <= low])
    at_high = len([v for v in values if v >= high])
    if 2 * at_low > len(values):
        return "reading at the low rail (broken wire or short to ground?)"
    if 2 * at_high > len(values):
        return "reading at the high rail (short to supply or overload?)"
    return None


def stuck(values):
    """Every sample identical: a live sensor always has some noise, so the
    converter or its data line is stuck."""
    if len(values) >= 4 and min(values) == max(values):
        return STUCK
    return None


def impossible(value, low, high, unit):
    """A value the slot cannot physically hold (more than a container above
    full, or far below empty): a jump no real use or refill explains."""
    if low <= value <= high:
        return None
    return "impossible reading: %.4g %s, outside %.4g..%.4g" % (value, unit, low, high)
