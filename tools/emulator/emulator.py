"""The emulator assembled: the world (state), three listeners on 127.0.0.1
(LWA, DRS, control, each its own port as if separate hosts), the fault queue
and the request recorder."""

import sys
from pathlib import Path

from tools.emulator import certs, consent, control, drs, lwa
from tools.emulator.client import ControlClient
from tools.emulator.faults import FaultQueue
from tools.emulator.listener import Listener
from tools.emulator.recorder import Recorder
from tools.emulator.service import Route, Service
from tools.emulator.store import State

DEFAULT_STATE_DIR = Path(__file__).resolve().parent.parent.parent / ".emulator"
STATE_FILE = "state.json"


class Emulator:
    def __init__(self, state_dir=DEFAULT_STATE_DIR, tls=True, clock="virtual", start=None,
                 lwa_port=0, drs_port=0, control_port=0, idle_timeout=30.0, log=None):
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state = State.open(self.state_dir / STATE_FILE, clock, start)
        self.faults = FaultQueue()
        self.recorder = Recorder()
        self._log = log
        self._started = False
        self._paths = certs.ensure_certificates(self.state_dir) if tls else None
        ctx = certs.server_context(self._paths) if tls else None
        lwa_service = Service(self, [
            Route("POST", "/auth/o2/token", "token", lwa.token),
            Route("GET", "/ap/oa", "consent", consent.authorize),
            Route("POST", "/ap/oa/consent", "consent", consent.decide),
        ], lwa.error_reply)
        drs_service = Service(self, drs.routes(), lambda status, message: drs.error_reply(
            status, message, now=self.state.now()))
        self.listeners = {
            "lwa": Listener("lwa", lwa_service.handle, lwa_port, ctx,
                                 idle_timeout=idle_timeout),
            "drs": Listener("drs", drs_service.handle, drs_port, ctx,
                                 idle_timeout=idle_timeout),
            "control": Listener("control", lambda req: control.handle(self, req),
                                     control_port, ctx, idle_timeout=idle_timeout),
        }
        self.control = ControlClient(self.control_url, self.ca_pem)

    # --- addresses
    @property
    def lwa_url(self):
        return self.listeners["lwa"].url

    @property
    def drs_url(self):
        return self.listeners["drs"].url

    @property
    def control_url(self):
        return self.listeners["control"].url

    @property
    def ca_pem(self):
        """Path of the CA certificate (PEM), or None when serving plain HTTP."""
        return str(self._paths.ca_pem) if self._paths else None

    @property
    def ca_der(self):
        """Path of the CA certificate (DER, what the MicroPython client loads)."""
        return str(self._paths.ca_der) if self._paths else None

    def endpoints(self):
        return {"lwa_url": self.lwa_url, "drs_url": self.drs_url,
                "control_url": self.control_url, "ca_der": self.ca_der, "ca_pem": self.ca_pem}

    # --- running
    def start(self):
        """Start serving (again harmless), so `with Emulator(...).start()` works too."""
        if not self._started:
            self._started = True
            for listener in self.listeners.values():
                listener.start()
        return self

    def stop(self):
        for listener in self.listeners.values():
            listener.stop()
        self.state.save()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- counters and logging
    def connection_stats(self):
        return {name: listener.stats() for name, listener in self.listeners.items()}

    def reset_connection_stats(self):
        for listener in self.listeners.values():
            listener.reset_stats()

    def log(self, line):
        if self._log:
            self._log(line)


def log_to_stderr(line):
    print(line, file=sys.stderr, flush=True)
