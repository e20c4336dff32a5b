# Records in flash: atomic, validated, written only on change, and a power
# cut or an I/O error at any step of a write leaves the old value or the new.
# A mirrored record keeps its current value twice and falls back truthfully.
from checks import expect

from replenish.store import Store, StoreError, decode
from tools.sim.flash import FakeFlash, PowerCut

OLD = {"token": "old", "n": [1, 2, 3]}
NEW = {"token": "new", "n": [1, 2, 3, 4]}
OLDER = {"token": "older"}


def quiet(message):
    pass


def plain(fs, log=quiet):
    return Store(fs, log=log)


def mirrored(fs, log=quiet):
    """A store as the LWA tokens and the calibration use it: "k" in two copies."""
    store = Store(fs, log=log)
    store.mirror("k")
    return store


def steps_of_one_write(make, prepare):
    """How many flash steps a save of NEW takes after prepare(store)."""
    fs = FakeFlash()
    store = make(fs)
    prepare(store)
    fs.cut_at(10 ** 6)  # resets the step counter without cutting anything
    store.save("k", NEW)
    return fs.steps


def with_old(store):
    store.save("k", OLD)


def with_old_twice(store):  # .bak exists as well as .rec
    store.save("k", OLDER)
    store.save("k", OLD)


def with_damaged_record(store):  # a worn .rec found at boot: the .bak holds the value
    with_old_twice(store)
    store.fs.files["data/k.rec"] = b"worn"
    store.load("k")


def with_damaged_mirror(store):
    with_old(store)
    store.fs.files["data/k.mir"] = b"worn"


def with_unmirrored_record(store):  # written by a firmware that kept one copy
    Store(store.fs, log=quiet).save("k", OLDER)
    Store(store.fs, log=quiet).save("k", OLD)


def nothing(store):
    pass


def wear_out(fs, name):
    record = fs.files[name]
    fs.files[name] = record[:-3] + b"X" + record[-2:]  # one worn byte


def check_every_step(make, prepare, old, inject):
    total = steps_of_one_write(make, prepare)
    assert total >= 3  # write the temp file, close it, rename it at least
    for n in range(1, total + 1):
        fs = FakeFlash()
        store = make(fs)
        prepare(store)
        inject(fs, n)
        completed = True
        try:
            store.save("k", NEW)
        except (PowerCut, StoreError):
            completed = False
        assert fs.cut_step is None and fs.fail_step is None, "step %d of %d not reached" % (
            n, total)
        after = make(fs).load("k")  # a fresh boot reads it
        # A failed read inside the save is survived: then the save completes.
        assert after == NEW if completed else after in (old, NEW), "step %d left %r" % (
            n, after)
        # ...and the next write after the failure works and is read back.
        again = make(fs)
        assert again.load("k") == after
        again.save("k", {"token": "later"})
        assert make(fs).load("k") == {"token": "later"}


def check_mirror_is_whole_again(prepare, inject):
    """After an interrupted mirrored save, the next boot holds two good
    copies again: the record can wear out and the value is still there."""
    for n in range(1, steps_of_one_write(mirrored, prepare) + 1):
        fs = FakeFlash()
        store = mirrored(fs)
        prepare(store)
        inject(fs, n)
        try:
            store.save("k", NEW)
        except (PowerCut, StoreError):
            pass
        after = mirrored(fs).load("k")
        wear_out(fs, "data/k.rec")
        assert mirrored(fs).load("k") == after, n


def cut(fs, n):
    fs.cut_at(n)


def fail(fs, n):
    fs.fail_at(n)


def check_every_write(inject):
    for make in (plain, mirrored):
        check_every_step(make, nothing, None, inject)
        check_every_step(make, with_old, OLD, inject)
        check_every_step(make, with_old_twice, OLD, inject)
    check_every_step(plain, with_damaged_record, OLDER, inject)
    check_every_step(mirrored, with_damaged_mirror, OLD, inject)
    check_every_step(mirrored, with_unmirrored_record, OLD, inject)


def test_power_cut_at_every_step_of_every_write():
    check_every_write(cut)


def test_io_error_at_every_step_of_every_write():
    check_every_write(fail)


def test_a_mirrored_record_is_whole_again_after_any_interrupted_write():
    for inject in (cut, fail):
        check_mirror_is_whole_again(with_old_twice, inject)
        check_mirror_is_whole_again(with_damaged_mirror, inject)


def test_failed_write_is_not_mistaken_for_a_stored_value():
    fs = FakeFlash()
    store = Store(fs)
    store.save("k", OLD)
    fs.fail_at(1)
    try:
        store.save("k", NEW)
        raise AssertionError("the write did not fail")
    except StoreError as err:
        assert "data/k" in str(err)
    assert store.save("k", NEW) is True  # retried, not skipped as "unchanged"
    assert Store(fs).load("k") == NEW


def test_round_trip_and_default():
    store = Store(FakeFlash())
    assert store.load("missing") is None
    assert store.load("missing", 7) == 7
    store.save("cal", {"slot1": {"offset": -1234, "scale": 0.00213}})
    assert store.load("cal") == {"slot1": {"offset": -1234, "scale": 0.00213}}


def test_unchanged_value_is_not_written_again():
    fs = FakeFlash()
    store = Store(fs)
    assert store.save("k", OLD) is True
    wear = fs.writes
    assert store.save("k", {"n": [1, 2, 3], "token": "old"}) is False
    assert Store(fs).save("k", OLD) is False  # also after a reboot
    assert fs.writes == wear
    assert store.save("k", NEW) is True
    assert fs.writes == wear + 1


def test_value_mutated_by_the_caller_is_still_written():
    fs = FakeFlash()
    store = Store(fs)
    store.save("k", {"count": 1})
    value = store.load("k")
    value["count"] = 2
    assert store.save("k", value) is True
    assert Store(fs).load("k") == {"count": 2}


def test_corrupt_record_falls_back_to_the_previous_value_and_says_so():
    fs = FakeFlash()
    store = Store(fs)
    store.save("k", OLD)
    store.save("k", NEW)
    wear_out(fs, "data/k.rec")
    lines = []
    assert Store(fs, log=lines.append).load("k") == OLD
    assert lines == ["store: data/k.rec is corrupt (checksum mismatch); "
                     "using the previous value, from data/k.bak"]


def test_a_corrupt_record_with_nothing_to_fall_back_on_says_so():
    fs = FakeFlash()
    Store(fs).save("k", OLD)  # the first value: there is no previous one
    wear_out(fs, "data/k.rec")
    lines = []
    assert Store(fs, log=lines.append).load("k", "default") == "default"
    assert lines == ["store: data/k.rec is corrupt (checksum mismatch) and data/k.bak "
                     "is missing: no good copy is left"]


def test_a_corrupt_record_falls_back_to_its_mirror_the_current_value():
    fs = FakeFlash()
    mirrored(fs).save("k", OLD)
    mirrored(fs).save("k", NEW)
    wear_out(fs, "data/k.rec")
    lines = []
    assert mirrored(fs, lines.append).load("k") == NEW  # not OLD: that one may be revoked
    assert lines == ["store: data/k.rec is corrupt (checksum mismatch); using its mirror"]
    wear_out(fs, "data/k.mir")  # the record was written again from the mirror
    lines = []
    assert mirrored(fs, lines.append).load("k") == NEW
    assert lines == ["store: data/k.mir is corrupt (checksum mismatch); "
                     "the record is good, its mirror is written again"]
    assert mirrored(fs, lines.append).load("k") == NEW and len(lines) == 1


def test_a_mirrored_record_with_both_copies_corrupt_says_no_good_copy_is_left():
    fs = FakeFlash()
    mirrored(fs).save("k", OLD)
    mirrored(fs).save("k", NEW)
    wear_out(fs, "data/k.rec")
    fs.files["data/k.mir"] = b""
    lines = []
    assert mirrored(fs, lines.append).load("k", "default") == "default"
    assert lines == ["store: data/k.rec is corrupt (checksum mismatch) and data/k.mir is "
                     "corrupt (checksum mismatch): no good copy is left"]


def test_a_mirrored_record_keeps_no_previous_value_in_flash():
    fs = FakeFlash()
    with_unmirrored_record(mirrored(fs))  # .rec and .bak from a one-copy firmware
    assert "data/k.bak" in fs.files
    store = mirrored(fs)
    assert store.load("k") == OLD
    assert sorted(fs.files) == ["data/k.mir", "data/k.rec"]  # the mirror made at once
    store.save("k", NEW)
    assert sorted(fs.files) == ["data/k.mir", "data/k.rec"]
    assert not [name for name in fs.files if b'"old"' in fs.files[name]]


def test_a_flash_error_while_renewing_a_copy_still_gives_the_value():
    fs = FakeFlash()
    mirrored(fs).save("k", NEW)
    wear_out(fs, "data/k.rec")
    fs.fail_at(3)  # reading the record and the mirror are steps 1 and 2: then the rewrite
    lines = []
    assert mirrored(fs, lines.append).load("k") == NEW
    assert lines[-1].startswith("store: could not write data/k.rec again")
    assert mirrored(fs, quiet).load("k") == NEW  # the next boot tries again
    assert decode(fs.files["data/k.rec"]) == NEW


def test_truncated_and_empty_records_are_rejected():
    for damaged in (b"", b"0123", b"not a record at all\n{}"):
        fs = FakeFlash()
        Store(fs).save("k", OLD)
        fs.files["data/k.bak"] = fs.files["data/k.rec"]
        fs.files["data/k.rec"] = damaged
        assert Store(fs, log=lambda msg: None).load("k") == OLD


def test_delete_forgets_record_and_every_copy():
    for make in (plain, mirrored):
        fs = FakeFlash()
        store = make(fs)
        store.save("k", OLD)
        store.save("k", NEW)
        store.delete("k")
        assert make(fs).load("k") is None and fs.files == {}
        assert store.save("k", NEW) is True


def test_values_never_appear_in_repr_or_messages():
    fs = FakeFlash()
    store = Store(fs)
    store.mirror("lwa_tok")
    store.save("lwa_tok", {"refresh": "Atzr|secret-value"})
    fs.files["data/lwa_tok.rec"] = fs.files["data/lwa_tok.rec"][:-2]
    fs.files["data/lwa_tok.mir"] = fs.files["data/lwa_tok.mir"][:-2]
    lines = []
    reboot = Store(fs, log=lines.append)
    reboot.mirror("lwa_tok")
    reboot.load("lwa_tok")
    fs.fail_at(1)
    try:
        store.save("lwa_tok", {"refresh": "Atzr|secret-2"})
    except StoreError as err:
        lines.append(str(err))
    text = " ".join(lines) + repr(store)
    assert "secret" not in text and "Atzr" not in text
    assert len(lines) == 2


def test_bad_keys_are_refused():
    store = Store(FakeFlash())
    for key in ("../x", "a/b", "", "a b"):
        expect(ValueError, store.save, key, 1)
        expect(ValueError, store.mirror, key)


def test_power_cut_at_every_step_of_a_delete():
    for make in (plain, mirrored):
        n = 1
        while True:
            fs = FakeFlash()
            with_old_twice(make(fs))
            fs.cut_at(n)
            try:
                make(fs).delete("k")
                break  # n is past the last step: the delete completed
            except PowerCut:
                pass
            assert make(fs).load("k") in (OLD, None), n  # never the older backup
            n += 1
        assert n > 2 and make(fs).load("k") is None
