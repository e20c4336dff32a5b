# Starts the firmware on the board it finds: the ESP32 on a real device, the
# simulated board when the unix port runs it as the virtual device.
import sys

from replenish import app

if sys.platform == "esp32":
    from replenish.board import Esp32Board as Board
else:
    from tools.sim.board import SimBoard as Board

app.run(Board())
