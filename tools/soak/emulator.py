# The emulator in its own process (`python -m tools.emulator`, strict, on a
# virtual clock), driven through its control API: the soak process then
# holds only the firmware, the board and the soak's bookkeeping, so its heap
# after each wake measures the firmware, not the emulator's growing logs.
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.emulator.client import ControlClient
from tools.emulator.isodate import utc_seconds

ROOT = Path(__file__).resolve().parent.parent.parent


class EmulatorProcess:
    def __init__(self, start):
        self._dir = tempfile.TemporaryDirectory(prefix="soak-emulator-")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tools.emulator", "--state-dir", self._dir.name,
             "--clock", "virtual", "--start", utc_seconds(start), "--lwa-port", "0",
             "--drs-port", "0", "--control-port", "0", "--quiet"],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise SystemExit("soak: the emulator did not start")
        info = json.loads(line)
        self.lwa_url, self.drs_url = info["lwa_url"], info["drs_url"]
        self.ca_der, self.ca_pem = info["ca_der"], info["ca_pem"]
        self.control = ControlClient(info["control_url"], self.ca_pem)
        self._now = start

    def set_clock(self, now):
        """The emulator's time follows the board's world, never back."""
        if now > self._now:
            self._now = now
            self.control.set_clock(now)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._dir.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
