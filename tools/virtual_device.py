"""The virtual device: the MicroPython unix port running in a folder that
stands for the board's flash, reachable on a pseudo-terminal the way a board
is reachable on USB serial, so `mpremote connect <pty> resume ...` deploys to
it and talks to its REPL exactly as it would to a real ESP32.

Like an ESP32 it loses everything at deep sleep: each wake is a new process
that starts at boot.py (tools/sim/power_on.py builds the board from the world
folder, tools/sim/virtual.py); the pty stays open across them, as a USB-UART
bridge does. The runner wakes it again, can cut its power at any moment, and
resets it when a wake hangs past the watchdog.

    python -m tools.virtual_device --flash .virtual-device   # prints the pty, serves a REPL
"""

import argparse
import json
import os
import select
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# An ESP32 without PSRAM leaves Python about 110 KB, and the .mpy code that
# mpremote deploys lives in that heap too. The 64-bit unix port needs about
# 1.45 x the bytes of the 32-bit ESP32 for the same objects: 144k here.
DEVICE_HEAP = "144k"
# The simulated hardware (tools/sim) is Python in the same heap; on an ESP32
# it is C in the firmware image. Its measured size is added on top, so the
# firmware itself gets DEVICE_HEAP, no more and no less.
SIM_WORK_K = 16  # and what it allocates while it works: the world saved at each sleep
SIM_PROBE = """
import gc
gc.collect()
before = gc.mem_alloc()
import os
from tools.sim.virtual import VirtualBoard
board = VirtualBoard(os.getenv("VIRTUAL_WORLD"))
gc.collect()
print(gc.mem_alloc() - before)
"""
POWER_ON = ROOT / "tools" / "sim" / "power_on.py"
HUNG_S = 240  # a wake still running after this (real time) is reset as the watchdog would


def micropython_command():
    exe = Path(sys.executable).with_name("micropython")
    return str(exe) if exe.exists() else "micropython"


class VirtualDevice:
    def __init__(self, flash_dir, heap=DEVICE_HEAP, env=None, world_dir=None, console=None):
        self.flash = Path(flash_dir).resolve()
        self.world = Path(world_dir).resolve() if world_dir else None
        self.heap = heap
        self.env = env or {}
        self.console = console  # callable(bytes): what the board prints, also when no one listens
        self.proc = None
        self.port = None
        self.wakes = 0
        self._sim_bytes = None
        self._stop = threading.Event()

    def _env(self):
        # What was deployed to the flash wins; the repository's tools/ stands in
        # for the simulated board that a real board would not need.
        path = os.pathsep.join([str(self.flash / "lib"), str(self.flash), str(ROOT), ".frozen"])
        env = dict(os.environ, MICROPYPATH=path, **self.env)
        if self.world:
            env["VIRTUAL_WORLD"] = str(self.world)
        return env

    def sim_bytes(self):
        """What the simulated board takes of the heap, measured once."""
        if self._sim_bytes is None:
            out = subprocess.run([micropython_command(), "-X", "heapsize=1m", "-c", SIM_PROBE],
                                 cwd=self.flash, env=self._env(), capture_output=True,
                                 text=True, timeout=60)
            if out.returncode != 0:
                raise RuntimeError("the simulated board does not start: " + out.stdout[-500:])
            self._sim_bytes = int(out.stdout.split()[-1])
        return self._sim_bytes

    def _heap(self, with_board):
        if not with_board or not self.world:
            return self.heap
        kib = int(self.heap.rstrip("k")) + (self.sim_bytes() + 1023) // 1024 + SIM_WORK_K
        return "%dk" % kib

    def _spawn(self, *args):
        self.proc = subprocess.Popen(
            [micropython_command(), "-X", "heapsize=" + self._heap(bool(args)), "-i", *args],
            stdin=self._board_slave, stdout=self._board_slave, stderr=self._board_slave,
            cwd=self.flash, env=self._env(), close_fds=True,
        )
        return self.proc

    def start(self):
        """Powered, at the REPL (as a board held in safe mode): for deploying."""
        self.flash.mkdir(parents=True, exist_ok=True)
        board_master, self._board_slave = os.openpty()
        host_master, host_slave = os.openpty()
        os.set_blocking(host_master, False)  # a port nobody reads must not stop the board
        tty.setraw(self._board_slave)
        tty.setraw(host_slave)
        self._host_slave = host_slave  # kept open so the pty stays up between mpremote calls
        self.port = os.ttyname(host_slave)
        self._spawn()
        threading.Thread(target=self._relay, args=(board_master, host_master), daemon=True).start()
        return self

    def _relay(self, board, host):
        """Copies bytes both ways between the board's terminal and the one
        mpremote opens; across processes, as the USB-UART bridge stays up."""
        peer = {board: host, host: board}
        while not self._stop.is_set():
            ready, _, _ = select.select([board, host], [], [], 0.2)
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue
                if data:
                    try:
                        os.write(peer[fd], data)
                    except BlockingIOError:
                        pass  # nobody reads the port: dropped, as a USB-UART drops it
                    if fd == board and self.console:
                        self.console(data)

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()

    def power_on(self):
        """A reset: a fresh process runs boot.py and main.py from the flash."""
        self._kill()
        self.wakes += 1
        return self._spawn(str(POWER_ON))

    def repl(self):
        """Powered with its board built but the app held back, as a board in
        safe mode: mpremote reaches the REPL and its helpers (replenish.repl)."""
        self._kill()
        env, self.env = self.env, dict(self.env, VIRTUAL_REPL="1")
        try:
            return self._spawn(str(POWER_ON))
        finally:
            self.env = env

    def world_state(self):
        path = self.world / "world.json"
        return json.loads(path.read_text()) if path.exists() else None

    def wake(self, hung_s=HUNG_S):
        """One wake to its end (deep sleep, watchdog, or a hang the watchdog
        would end): how it ended, as the world recorded it."""
        before = self.world_state()
        proc = self.power_on()
        try:
            proc.wait(timeout=hung_s)
        except subprocess.TimeoutExpired:
            self._kill()
            self.power_cut(cause="watchdog", lost_s=hung_s)
            return "hung"
        after = self.world_state()
        if after == before:
            return "stopped"  # it ended without deep sleep: the REPL is up, or it died
        return after["cause"]

    def power_cut(self, cause="power-on", lost_s=0):
        """Power lost between or during wakes: the RTC starts at 2000 again and
        its memory is gone; the true time moves on."""
        self._kill()
        state = self.world_state()
        if state is None:
            return
        state.update({"cause": cause, "us": state["us"] + int(lost_s * 1e6), "holds": {}})
        if cause == "power-on":
            state["rtc"] = None  # the RTC starts at 2000, its memory (rtc.bin) is not read

        (self.world / "world.json").write_text(json.dumps(state))

    def cut_during_wake(self, after_s):
        """Power lost `after_s` seconds into a wake, wherever the firmware is."""
        proc = self.power_on()
        try:
            proc.wait(timeout=after_s)
            return False  # the wake ended first
        except subprocess.TimeoutExpired:
            self.power_cut(lost_s=after_s + 60)
            return True

    def stop(self):
        self._stop.set()
        self._kill()
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
            while dev.proc.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
