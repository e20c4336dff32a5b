# RTC memory: what a wake leaves for the next survives deep sleep, and a
# power cut or foreign content reads as empty instead of crashing the boot.
from replenish.rtcmem import RtcMemory
from tools.sim.board import SimBoard


def test_what_one_wake_saves_the_next_reads():
    board = SimBoard()
    mem = RtcMemory(board)
    mem.set("wifi", {"channel": 6})
    assert mem.save()
    assert RtcMemory(board).get("wifi") == {"channel": 6}


def test_nothing_changed_means_no_write():
    board = SimBoard()
    mem = RtcMemory(board)
    mem.set("a", 1)
    mem.save()
    again = RtcMemory(board)
    again.set("a", 1)
    assert not again.save()


def test_a_power_cut_leaves_it_empty():
    board = SimBoard()
    mem = RtcMemory(board)
    mem.set("a", 1)
    mem.save()
    board.rtc.power_cut()
    assert RtcMemory(board).get("a") is None


def test_garbage_or_a_torn_write_reads_as_empty():
    board = SimBoard()
    mem = RtcMemory(board)
    mem.set("a", 1)
    mem.save()
    raw = bytearray(board.rtc_memory())
    raw[-2] ^= 0xFF
    board.rtc_memory(bytes(raw))
    assert RtcMemory(board).get("a", "gone") == "gone"
    board.rtc_memory(b"\xff" * 64)
    assert RtcMemory(board).get("a", "gone") == "gone"


def test_more_than_2048_bytes_is_refused():
    board = SimBoard()
    mem = RtcMemory(board)
    mem.set("big", "x" * 2100)
    try:
        mem.save()
    except ValueError as err:
        assert "2048" in str(err)
    else:
        raise AssertionError("an oversized save went through")
