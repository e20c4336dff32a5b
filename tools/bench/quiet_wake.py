# A quiet wake of the virtual device, timed and listed (MicroPython, run by
# tools/bench/memory.py in a copy of a bench run's flash and world): the
# board is built as tools/sim/power_on.py builds it, then boot.py and main.py
# run until deep sleep. It prints one line "@@quiet {...}": the modules the
# device code imported, boot-to-sleep in microseconds, and whether the wake
# stayed quiet (a wake that wants the radio soft-resets for its radio half;
# the bench then tries a later hour). Nothing is written back to the world.
import json
import os
import sys
import time

sys.path.pop(0)  # as power_on.py: this folder's names must not shadow the flash's

from tools.sim.virtual import VirtualBoard, power_down  # noqa: E402

SIM = set(sys.modules)  # the simulated board's own modules, not the device's


def report(quiet, began):
    took = time.ticks_diff(time.ticks_us(), began)
    mods = sorted(m for m in sys.modules if m not in SIM)
    print("@@quiet " + json.dumps({"quiet": quiet, "us": took, "modules": mods}))
    power_down()


class QuietBoard(VirtualBoard):
    def deep_sleep(self, ms):
        report(True, BEGAN)

    def soft_reset(self):
        report(False, BEGAN)


class virtual_board:  # noqa: N801 - read by main.py as a module would be
    board = QuietBoard(os.getenv("VIRTUAL_WORLD"))


sys.modules["virtual_board"] = virtual_board
BEGAN = time.ticks_us()
import boot  # noqa: E402,F401
import main  # noqa: E402,F401
