# Starts the firmware on the board it finds: the ESP32 on a real device, the
# virtual device's board when the unix port runs it on the host.
import sys

from replenish import app

if sys.platform == "esp32":
    from replenish.board import Esp32Board as Board
else:
    from tools.sim.virtual import VirtualBoard as Board

app.run(Board())
