"""`make run`: the firmware's main job on the virtual device (the MicroPython
unix port with the simulated board) when no ESP32 is attached."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVICE_HEAP = "110k"


def main():
    exe = Path(sys.executable).with_name("micropython")
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([str(ROOT / "lib"), str(ROOT), ".frozen"]))
    cmd = [str(exe), "-X", "heapsize=" + DEVICE_HEAP, "main.py"]
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
