"""Puts the firmware on a board with mpremote: the device code compiled to
.mpy (compiling on the board would cost heap it needs), boot.py, main.py, the
root CAs, and a folder of the device's own files (config.json, secrets.json,
link.json, calibration). Works the same for an ESP32 on USB and for the
virtual device's pseudo-terminal.

    python -m tools.deploy --port /dev/ttyUSB0 --device-files my-washer/
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.compile_device import build

ROOT = Path(__file__).resolve().parent.parent


def mpremote(port, *args, timeout=600):
    """One mpremote call; `resume` so that the unix port, which exits on a soft
    reset, stays up (a real board doesn't mind)."""
    cmd = [str(Path(sys.executable).with_name("mpremote")), "connect", port, "resume", *args]
    return subprocess.run(cmd, cwd=ROOT, timeout=timeout).returncode


def deploy(port, device_files, work):
    """Copies everything; False (with the reason printed) if it did not."""
    errors = build(Path(work) / "build")
    if errors:
        print("\n".join(errors))
        return False
    code = ["fs", "cp", "-r", "boot.py", "main.py", "certs", str(Path(work) / "build" / "lib"),
            ":./"]
    own = ["+", "fs", "cp", "-r"] + [str(p) for p in sorted(Path(device_files).iterdir())]
    if mpremote(port, *code, *own, ":./") != 0:
        print("deploy: mpremote could not copy the files to %s" % port)
        return False
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", required=True, help="serial port of the board, or the pty")
    parser.add_argument("--device-files", required=True,
                        help="folder with this device's config.json, secrets.json, ...")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        return 0 if deploy(args.port, args.device_files, work) else 1


if __name__ == "__main__":
    sys.exit(main())
