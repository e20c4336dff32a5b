"""Properties of store records under random damage (lib/replenish/store.py on
tools/sim/flash.py's FakeFlash): whatever happens to the files of a record —
bytes flipped, cut short, replaced or removed — loading never raises, never
gives a value that was never saved, gives the last value while a good copy of
it is left, and the store takes the next save; its log never shows a value."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from replenish.store import Store
from tools.sim.flash import FakeFlash

SETTINGS = settings(max_examples=150, deadline=None)
KEY = "lwa_refresh"
DEFAULT = {"default": True}
VALUES = st.fixed_dictionaries({"token": st.text("abcdefXYZ0123456789|-", min_size=8,
                                                 max_size=30).map(lambda t: "Atzr|" + t)},
                               optional={"n": st.integers(), "at": st.floats(allow_nan=False)})


def damage(draw, data):
    kind = draw(st.sampled_from(["flip", "cut", "garbage", "remove", "empty"]))
    if kind == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    if kind == "cut" and data:
        return data[:draw(st.integers(0, len(data) - 1))]
    if kind == "garbage":
        return draw(st.binary(min_size=1, max_size=60).filter(lambda g: g != data))
    if kind == "empty" and data:
        return b""
    return None  # removed


@st.composite
def histories(draw):
    """(flash, saved values in order, damaged file names, whether mirrored, store log)."""
    mirrored = draw(st.booleans())
    values = draw(st.lists(VALUES, min_size=1, max_size=4, unique_by=json.dumps))
    flash, log = FakeFlash(), []
    store = Store(flash, log=log.append)
    if mirrored:
        store.mirror(KEY)
    for value in values:
        store.save(KEY, value)
    names = sorted(flash.files)
    hit = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    for name in hit:
        changed = damage(draw, flash.files[name])
        if changed is None:
            del flash.files[name]
        else:
            flash.files[name] = changed
    return flash, values, set(hit), mirrored, log


def reopened(flash, mirrored, log):
    store = Store(flash, log=log.append)  # a fresh boot
    if mirrored:
        store.mirror(KEY)
    return store


@SETTINGS
@given(histories())
def test_a_damaged_record_loads_a_saved_value_or_the_default(history):
    flash, values, hit, mirrored, log = history
    before = dict(flash.files)
    value = reopened(flash, mirrored, log).load(KEY, DEFAULT)
    assert value == DEFAULT or value in values, "loaded a value that was never saved"
    holders = [n for n in before if n not in hit and n.endswith((".rec", ".mir"))]
    if holders:  # an undamaged copy of the current value is left
        assert value == values[-1]
    if len(hit) < len(before):  # some copy is undamaged: something saved is found
        assert value != DEFAULT
    assert not any("Atzr|" in line for line in log), "the store's log shows a value"


@SETTINGS
@given(histories(), VALUES)
def test_after_damage_the_next_save_is_what_the_next_boot_loads(history, new):
    flash, values, hit, mirrored, log = history
    reopened(flash, mirrored, log).save(KEY, new)
    assert reopened(flash, mirrored, log).load(KEY, DEFAULT) == new
    assert not any("Atzr|" in line for line in log), "the store's log shows a value"
