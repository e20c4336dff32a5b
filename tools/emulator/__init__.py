"""A stand-in for Amazon's Dash Replenishment Service (v1) and Login with
Amazon, following /work/shared/drs-api.md: HTTPS with a local CA, the order
lifecycle on a virtual clock, a consent page, and a control API with fault
injection. Host only (CPython).

    from tools.emulator import Emulator
    with Emulator(state_dir=tmp_path) as emu:
        device = emu.control.create_device(slots=["slot1"])
"""

from tools.emulator.client import ControlClient, ControlError
from tools.emulator.emulator import Emulator
from tools.emulator.masking import fingerprint

__all__ = ["Emulator", "ControlClient", "ControlError", "fingerprint"]
