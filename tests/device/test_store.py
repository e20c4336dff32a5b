# Records in flash: atomic, validated, written only on change, and a power
# cut or an I/O error at any step of a write leaves the old value or the new.
from replenish.store import Store, StoreError
from tools.sim.flash import FakeFlash, PowerCut

OLD = {"token": "old", "n": [1, 2, 3]}
NEW = {"token": "new", "n": [1, 2, 3, 4]}
OLDER = {"token": "older"}


def quiet(message):
    pass


def steps_of_one_write(prepare):
    """How many flash steps a save of NEW takes after prepare(store)."""
    fs = FakeFlash()
    store = Store(fs, log=quiet)
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


def nothing(store):
    pass


def check_every_step(prepare, old, inject):
    total = steps_of_one_write(prepare)
    assert total >= 3  # write the temp file, close it, rename it at least
    for n in range(1, total + 1):
        fs = FakeFlash()
        store = Store(fs, log=quiet)
        prepare(store)
        inject(fs, n)
        interrupted = False
        try:
            store.save("k", NEW)
        except (PowerCut, StoreError):
            interrupted = True
        assert interrupted, "step %d of %d did not fail" % (n, total)
        after = Store(fs, log=quiet).load("k")  # a fresh boot reads it
        assert after == old or after == NEW, "step %d left %r" % (n, after)
        # ...and the next write after the failure works and is read back.
        again = Store(fs, log=quiet)
        assert again.load("k") == after
        again.save("k", {"token": "later"})
        assert Store(fs, log=quiet).load("k") == {"token": "later"}


def cut(fs, n):
    fs.cut_at(n)


def fail(fs, n):
    fs.fail_at(n)


def test_power_cut_at_every_step_of_every_write():
    check_every_step(nothing, None, cut)
    check_every_step(with_old, OLD, cut)
    check_every_step(with_old_twice, OLD, cut)
    check_every_step(with_damaged_record, OLDER, cut)


def test_io_error_at_every_step_of_every_write():
    check_every_step(nothing, None, fail)
    check_every_step(with_old, OLD, fail)
    check_every_step(with_old_twice, OLD, fail)
    check_every_step(with_damaged_record, OLDER, fail)


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


def test_corrupt_record_falls_back_to_last_good_copy_and_says_so():
    fs = FakeFlash()
    store = Store(fs)
    store.save("k", OLD)
    store.save("k", NEW)
    rec = fs.files["data/k.rec"]
    fs.files["data/k.rec"] = rec[:-3] + b"X" + rec[-2:]  # one worn byte
    lines = []
    assert Store(fs, log=lines.append).load("k") == OLD
    assert len(lines) == 1 and "data/k.rec" in lines[0] and "last good copy" in lines[0]


def test_truncated_and_empty_records_are_rejected():
    for damaged in (b"", b"0123", b"not a record at all\n{}"):
        fs = FakeFlash()
        Store(fs).save("k", OLD)
        fs.files["data/k.bak"] = fs.files["data/k.rec"]
        fs.files["data/k.rec"] = damaged
        assert Store(fs, log=lambda msg: None).load("k") == OLD


def test_delete_forgets_record_and_backup():
    fs = FakeFlash()
    store = Store(fs)
    store.save("k", OLD)
    store.save("k", NEW)
    store.delete("k")
    assert Store(fs).load("k") is None
    assert store.save("k", NEW) is True


def test_values_never_appear_in_repr_or_messages():
    fs = FakeFlash()
    store = Store(fs)
    store.save("tok", {"refresh": "Atzr|secret-value"})
    fs.files["data/tok.rec"] = fs.files["data/tok.rec"][:-2]
    lines = []
    Store(fs, log=lines.append).load("tok")
    fs.fail_at(1)
    try:
        store.save("tok", {"refresh": "Atzr|secret-2"})
    except StoreError as err:
        lines.append(str(err))
    text = " ".join(lines) + repr(store)
    assert "secret" not in text and "Atzr" not in text
    assert len(lines) == 2


def test_bad_keys_are_refused():
    store = Store(FakeFlash())
    for key in ("../x", "a/b", "", "a b"):
        try:
            store.save(key, 1)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % key)


def test_power_cut_at_every_step_of_a_delete():
    n = 1
    while True:
        fs = FakeFlash()
        with_old_twice(Store(fs))
        fs.cut_at(n)
        try:
            Store(fs).delete("k")
            break  # n is past the last step: the delete completed
        except PowerCut:
            pass
        assert Store(fs).load("k") in (OLD, None), n  # never the older backup
        n += 1
    assert n > 2 and Store(fs).load("k") is None
