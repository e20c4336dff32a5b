"""`make bench`: what the firmware costs a battery, measured on the virtual
device against the emulator, beside the floor the service requires and the
peer baseline (python -m tools.bench --help)."""

import sys
from pathlib import Path

LIB = str(Path(__file__).resolve().parent.parent.parent / "lib")
if LIB not in sys.path:
    sys.path.insert(0, LIB)  # the firmware's modules, from a fresh clone with no PYTHONPATH
