"""Properties of the slot model (lib/replenish/slots.py): whatever a sensor
reads, quantities are never negative and the state stays JSON; noise below
the deadband never looks like a refill or a use, and a real refill among
noise is seen exactly once."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from replenish import slots
from replenish.slots import Slot

SETTINGS = settings(max_examples=150, deadline=None)
START = 1767225600
HOUR = 3600
PROBE = {"id": "ink", "capacity": 100}  # readings: 0..1 of a full container
SCALE = {"id": "beans", "capacity": 20, "unit_g": 50, "container_g": 300}  # grams
NEW_CONTAINER = (slots.REFILLED, slots.DELIVERED)


def reading_of(config, units):
    """What the sensor reads for `units` in the container."""
    if "unit_g" in config:
        return config["container_g"] + units * config["unit_g"]
    return units / config["capacity"]


def noise_of(config, fraction):
    """A reading's noise of `fraction` of the slot's deadband (1% of capacity)."""
    units = fraction * config["capacity"] * 0.01
    return units * config["unit_g"] if "unit_g" in config else units / config["capacity"]


READING = st.fixed_dictionaries({
    "value": st.none() | st.floats(-1e6, 1e6) | st.floats(-2, 2),
    "settled": st.booleans(), "fault": st.none() | st.just("stuck readings")})


@SETTINGS
@given(st.sampled_from([PROBE, SCALE]),
       st.lists(st.tuples(READING, st.integers(1, 3 * 86400),
                          st.sampled_from([None, "ordered", "order_closed", "reported"])),
                max_size=40))
def test_quantities_are_never_negative_and_the_state_stays_json(config, steps):
    slot, now = Slot(config), START
    for reading, gap, told in steps:
        now += gap
        slot.update(now, **reading)
        if told:
            getattr(slot, told)()
        assert slot.quantity is None or slot.quantity >= 0
        assert json.loads(json.dumps(slot.state)) == slot.state
        if slot.quantity is not None:
            body = slot.status_body(now)
            assert body["remainingQuantityInUnit"] >= 0
            assert body["originalQuantityInUnit"] > 0
            assert body["expectedReplenishmentDate"] >= body["lastUseDate"]


def falling(config):
    """Levels that only fall, each step less than a fifth of a container."""
    capacity = config["capacity"]
    return st.lists(st.floats(0, 0.15 * capacity), min_size=1, max_size=30).map(
        lambda drops: [max(0.0, capacity - sum(drops[:i])) for i in range(len(drops))])


NOISE = st.lists(st.floats(-0.4, 0.4), min_size=60, max_size=60)  # of the deadband


@SETTINGS
@given(st.sampled_from([PROBE, SCALE]).flatmap(lambda c: st.tuples(st.just(c), falling(c))),
       NOISE)
def test_noise_below_the_deadband_is_never_a_refill(config_levels, noise):
    config, levels = config_levels
    slot, seen = Slot(config), []
    for i, units in enumerate(levels):
        value = reading_of(config, units) + noise_of(config, noise[i])
        seen.append(slot.update(START + i * HOUR, value))
        assert slot.quantity <= levels[0] + 0.01 * config["capacity"]
    assert set(seen[1:]) <= {slots.STEADY, slots.CONSUMED}, seen


@SETTINGS
@given(st.sampled_from([PROBE, SCALE]).flatmap(lambda c: st.tuples(st.just(c), falling(c))),
       st.floats(0.25, 1.0), st.integers(2, 10), st.booleans(), NOISE)
def test_a_refill_among_noise_is_seen_once(config_levels, rise, held, order_open, noise):
    config, levels = config_levels
    capacity = config["capacity"]
    low = max(0.0, levels[-1] - 0.1 * capacity)
    full = min(capacity, low + rise * capacity)
    if full - low < 0.25 * capacity:
        return  # no room for a refill above this level
    slot, seen = Slot(config), []
    for i, units in enumerate(levels + [low] + [full] * held):
        if i == len(levels) and order_open:
            slot.ordered()
        value = reading_of(config, units) + noise_of(config, noise[i])
        seen.append(slot.update(START + i * HOUR, value))
    new = [event for event in seen if event in NEW_CONTAINER]
    assert new == [slots.DELIVERED if order_open else slots.REFILLED], seen
    assert abs(slot.quantity - full) <= 0.01 * capacity
    assert not slot.order_open
