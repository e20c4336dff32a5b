# Power-on of the virtual device, run by tools/virtual_device.py as the
# MicroPython process's first script: it builds the board from the world
# folder, hands it to main.py as sys.modules["virtual_board"] (so device code
# imports no host code), then runs boot.py and main.py from the flash, as an
# ESP32 does after every reset. Whatever ends the wake is written to the world
# for the runner: deep sleep, the watchdog, or a crash that escaped.
#
# REPL mode (VIRTUAL_REPL set, VirtualDevice.repl()): the board is built and
# handed over but boot.py and main.py do not run, as on a board held in safe
# mode; `-i` leaves the REPL to mpremote and the helpers (replenish/repl.py).
import os
import sys

# A script's own folder comes first on sys.path: here that is tools/sim/,
# whose hx711.py is the fake chip, not the driver deployed to the flash.
sys.path.pop(0)

from tools.sim.board import Reset, WatchdogReset  # noqa: E402
from tools.sim.virtual import VirtualBoard, power_down  # noqa: E402


class virtual_board:  # noqa: N801 - read by main.py as a module would be
    board = VirtualBoard(os.getenv("VIRTUAL_WORLD"))


def keep_rtc_memory(board):
    """RTC memory outlives a reset on an ESP32, but the REPL's process ends
    by a kill: whatever the helpers write there (a crash count cleared, the
    clock's SNTP date) goes to the world at once, for the next wake to find."""
    write = board.rtc_memory

    def rtc_memory(data=None):
        kept = write(data)
        if data is not None:
            board.save_world("reset")
        return kept

    board.rtc_memory = rtc_memory


sys.modules["virtual_board"] = virtual_board
if os.getenv("VIRTUAL_REPL"):
    keep_rtc_memory(virtual_board.board)
else:
    try:
        import boot  # noqa: F401
        import main  # noqa: F401
    except WatchdogReset as err:
        print("virtual device:", err)
        virtual_board.board.save_world("watchdog")
        power_down()
    except Reset:
        virtual_board.board.save_world("reset")
        power_down()
