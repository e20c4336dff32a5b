"""The firmware in an ESP32's heap: the virtual device at 144k (the ESP32's
~110 KB on the 64-bit unix port), its .mpy files loaded from its flash as
mpremote deployed them, runs a full 4-slot wake whose subscription info comes
back at the response cap, and the wake goes through: nothing out of memory,
nothing crashed."""

from replenish.http import MAX_RESPONSE
from tools.emulator import Emulator
from tools.heapscan import Probe
from tools.profiles import Profile
from tools.run import START, run_virtual_device
from tools.virtual_device import DEVICE_HEAP


def test_a_printer_wake_with_an_answer_at_the_cap_fits_an_esp32_heap(tmp_path):
    console = bytearray()
    with Emulator(state_dir=tmp_path / "emulator", start=START) as emu:
        at_cap = Probe(emu, tmp_path / "probe", MAX_RESPONSE).padding
        # Every subscription info of the run is padded to the cap.
        emu.control.inject_fault("subscription_info", "oversized", count=50, size=at_cap)
        run_virtual_device(emu, Profile("printer-4ink"), tmp_path / "run", days=2, battery=True,
                           console=console.extend, heap=DEVICE_HEAP)
        answered = [r for r in emu.control.requests(endpoint="subscription_info")
                    if r.get("status") == 200]
    text = console.decode(errors="replace")
    assert DEVICE_HEAP == "144k"
    assert answered, "no subscription info was answered"
    assert "out of memory" not in text and "MemoryError" not in text
    assert "crash" not in text
    assert "sent subscription_info" in text and "radio" in text
