# Freeze manifest for a custom ESP32 image with the firmware frozen in, so its
# bytecode runs from flash and leaves the heap to data. Build from a checkout of
# MicroPython at the version in VERSION (see README.md beside this file):
#   make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/firmware/manifest.py
include("$(PORT_DIR)/boards/manifest.py")
package("replenish", base_path="../lib")
module("hx711.py", base_path="../lib")
module("level_probe.py", base_path="../lib")
