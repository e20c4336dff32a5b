# The console's line for each wake, what a maker watches on the serial port:
# every slot's level (% and in its unit) and state, whether the radio was on
# and for how long, and when the next wake is. Never a secret: only levels.
from replenish.clock import iso8601


def slot_state(slot):
    if slot.fault:
        return "faulty: " + slot.fault
    if slot.quantity is None:
        return "no reading yet"
    words = []
    if slot.absent:
        words.append("container lifted")
    words.append("low" if slot.low else "ok")
    if slot.order_open:
        words.append("ordered")
    return ", ".join(words)


def slot_words(slot, unit):
    if slot.quantity is None or slot.fault:
        return "%s %s" % (slot.id, slot_state(slot))
    q = max(0.0, slot.quantity)
    return "%s %d%% (%.1f %s) %s" % (slot.id, round(100 * q / slot.capacity), q, unit,
                                     slot_state(slot))


def wake_line(now, slots, units, outcome, radio_ms, next_wake, next_radio):
    radio = "radio %.1f s" % (radio_ms / 1000) if radio_ms else "radio off"
    return "wake %s | %s | %s: %s | next wake %s, radio %s" % (
        iso8601(now), " | ".join(slot_words(s, units.get(s.id, "units")) for s in slots),
        radio, outcome, iso8601(next_wake)[11:16], iso8601(next_radio)[5:16])
