# The heap of the radio half of a wake, where the ~110 KB of an ESP32 (its
# .mpy code included) is tightest. It needs a few large blocks: the HTTP
# client's response buffer and the TLS context. After the firmware's .mpy code has
# loaded, the heap holds only small holes (loading frees its temporaries among
# the code it keeps), so main.py asks for them first thing after the soft
# reset, before any other import: the buffer is handed over as it is; the
# TLS room is freed just before the context is made and the parse room before
# the first answer is parsed, each leaving a hole its size.
#
# And it lets go of modules it is done with (the config's validation, SNTP):
# a module's code is freed once nothing refers to it any more.
#
#   heap.early(board)      # main.py, before `from replenish import app`
#   heap.take(size)        # the response buffer, if one of `size` bytes was kept
#   heap.free("tls")       # just before ssl.SSLContext(); "parse" before json.loads()
#   heap.unload(name, ...) # "replenish.config": out of sys.modules and its package
import gc
import sys

from replenish.rtcmem import RtcMemory

RADIO = "radio"  # RTC memory: the next boot is the radio half of a wake (app.py)
BUFFER = 4097  # replenish.http.MAX_RESPONSE + 1: a constant here, so nothing else is imported
TLS = 4096  # MicroPython's SSLContext takes 3048 bytes of the heap on the unix port
PARSE = 9216  # parsing an answer at the cap: a long string grows, then is copied once

_blocks = {}


def early(board):
    if RtcMemory(board).get(RADIO):
        for name, size in (("buffer", BUFFER), ("tls", TLS), ("parse", PARSE)):
            try:
                _blocks[name] = bytearray(size)
            except MemoryError:
                pass  # the client then takes what the heap can hold


def take(size):
    block = _blocks.pop("buffer", None)
    if block is not None and len(block) >= size:
        return block
    return None


def free(name):
    """Let go of a reserved block ("tls", "parse") just before the allocation
    it was kept for: it leaves a hole that size."""
    if _blocks.pop(name, None) is not None:
        gc.collect()


def unload(*names):
    if sys.implementation.name != "micropython":
        return  # CPython has no such heap, and its tests keep one module per name
    for name in names:
        sys.modules.pop(name, None)
        package, _, attr = name.rpartition(".")
        parent = sys.modules.get(package)
        if parent is not None and hasattr(parent, attr):
            delattr(parent, attr)
    gc.collect()
