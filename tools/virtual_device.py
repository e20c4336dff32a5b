"""The virtual device: the MicroPython unix port running in a folder that
stands for the board's flash, reachable on a pseudo-terminal the way a board
is reachable on USB serial, so `mpremote connect <pty> resume ...` deploys to
it and runs it exactly as it would a real ESP32.

The unix port exits on a soft reset, hence `resume` on every mpremote call.

    python -m tools.virtual_device --flash .virtual-device   # prints the pty, serves
"""

import argparse
import os
import select
import subprocess
import sys
import threading
import tty
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The unix port is a 64-bit build: pointers and objects take twice the room
# they take on the ESP32's 32-bit one. The whole firmware's modules, loaded as
# .mpy, take 116 KB here; on the ESP32 the frozen image keeps them in flash
# (firmware/manifest.py). So the virtual device gets twice the 110 KB an
# ESP32-WROOM leaves to Python; device tests keep the strict 110 KB.
DEVICE_HEAP = "220k"


def micropython_command():
    exe = Path(sys.executable).with_name("micropython")
    return str(exe) if exe.exists() else "micropython"


class VirtualDevice:
    def __init__(self, flash_dir, heap=DEVICE_HEAP, env=None):
        self.flash = Path(flash_dir).resolve()
        self.heap = heap
        self.env = env or {}
        self.proc = None
        self.port = None
        self._stop = threading.Event()

    def start(self):
        self.flash.mkdir(parents=True, exist_ok=True)
        # What was deployed to the flash wins; the repository's tools/ stands in
        # for the simulated board that a real board would not need.
        path = os.pathsep.join([str(self.flash / "lib"), str(self.flash), str(ROOT), ".frozen"])
        env = dict(os.environ, MICROPYPATH=path, **self.env)
        board_master, board_slave = os.openpty()
        host_master, host_slave = os.openpty()
        tty.setraw(board_slave)
        tty.setraw(host_slave)
        self.proc = subprocess.Popen(
            [micropython_command(), "-X", "heapsize=" + self.heap, "-i"],
            stdin=board_slave, stdout=board_slave, stderr=board_slave,
            cwd=self.flash, env=env, close_fds=True,
        )
        os.close(board_slave)
        self._host_slave = host_slave  # kept open so the pty stays up between mpremote calls
        self.port = os.ttyname(host_slave)
        threading.Thread(target=self._relay, args=(board_master, host_master), daemon=True).start()
        return self

    def _relay(self, board, host):
        """Copies bytes both ways between the board's terminal and the one mpremote opens."""
        peer = {board: host, host: board}
        while not self._stop.is_set() and self.proc.poll() is None:
            ready, _, _ = select.select([board, host], [], [], 0.2)
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue
                if data:
                    os.write(peer[fd], data)

    def stop(self):
        self._stop.set()
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flash", default=str(ROOT / ".virtual-device"),
                        help="folder that stands for the board's flash (default: %(default)s)")
    parser.add_argument("--heap", default=DEVICE_HEAP,
                        help="MicroPython heap (default: %(default)s)")
    args = parser.parse_args(argv)
    with VirtualDevice(args.flash, args.heap) as dev:
        print(dev.port, flush=True)
        try:
            dev.proc.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
