# Starts the firmware on the board it finds: the ESP32 on a real device. The
# virtual device's power-on (tools/sim/power_on.py) hands in its own board as
# sys.modules["virtual_board"], so nothing here imports host code.
import sys

try:
    handed = sys.modules.get("virtual_board")
    if handed:
        board = handed.board
    else:
        from replenish.board import Esp32Board

        board = Esp32Board()
    from replenish import heap

    heap.early(board)  # before the app's code fills the heap with small holes
    from replenish import app
except Exception as err:  # noqa: BLE001 - a broken deployment must leave the REPL free
    print("replenish cannot start (%r): deploy it again with tools/deploy.py" % err)
else:
    try:
        app.run(board)
    except Exception as err:  # noqa: BLE001 - even the crash handler failed: start again
        print("replenish: %s; resetting" % type(err).__name__)
        board.reset()
