# Power-on of the virtual device, run by tools/virtual_device.py as the
# MicroPython process's first script: it builds the board from the world
# folder, hands it to main.py as sys.modules["virtual_board"] (so device code
# imports no host code), then runs boot.py and main.py from the flash, as an
# ESP32 does after every reset. Whatever ends the wake is written to the world
# for the runner: deep sleep, the watchdog, or a crash that escaped.
import os
import sys

# A script's own folder comes first on sys.path: here that is tools/sim/,
# whose hx711.py is the fake chip, not the driver deployed to the flash.
sys.path.pop(0)

from tools.sim.board import Reset, WatchdogReset  # noqa: E402
from tools.sim.virtual import VirtualBoard, power_down  # noqa: E402


class virtual_board:  # noqa: N801 - read by main.py as a module would be
    board = VirtualBoard(os.getenv("VIRTUAL_WORLD"))


sys.modules["virtual_board"] = virtual_board
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
