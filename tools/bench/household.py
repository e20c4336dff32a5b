"""The household trace of a run, read from what the device printed each
wake (its slots' quantities and states): when each slot's content was
consumed, when a slot crossed its order threshold, which wakes followed a
power-on. The floor and the baseline are priced on this same trace."""

DAY = 86400


def measured(trace):
    """The wakes that measured and printed their line, in time order."""
    return [w for w in trace["wakes"] if w.get("line")]


def consumed_periods(trace):
    """{slot: set of report periods (index from the start) in which its
    content went down by more than the slot's deadband}. A rise of half a
    container or more is a new container, not use."""
    period = trace["report_s"]
    out = {}
    for spec in trace["slots"]:
        sid, ref = spec["id"], None
        periods = out[sid] = set()
        for wake in measured(trace):
            q = wake["slots"].get(sid, {}).get("q")
            if q is None:
                continue
            if ref is None or q > ref + spec["capacity"] / 2:
                ref = q
            elif q < ref - spec["deadband"]:
                periods.add((wake["start"] - trace["start"]) // period)
                ref = q
    return out


def low_crossings(trace):
    """[(time, slot)]: each wake at which a slot went from not low to low:
    a replenish is due then."""
    out, was = [], {}
    for wake in measured(trace):
        for sid, slot in wake["slots"].items():
            if slot["low"] and not was.get(sid):
                out.append((wake["start"], sid))
            was[sid] = slot["low"]
    return out


def days(trace):
    return sorted(set((w["start"] - trace["start"]) // DAY for w in measured(trace)))


def power_ons(trace):
    return sum(1 for w in trace["wakes"] if w.get("cause") == "power-on")


def readable_slot_readings(trace):
    """How many slot readings the wakes made that a report could carry."""
    return sum(sum(1 for s in w["slots"].values() if s["q"] is not None)
               for w in measured(trace))
