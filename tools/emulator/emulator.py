"""The emulator assembled: the world (state), three listeners on 127.0.0.1
(LWA, DRS, control, each its own port as if separate hosts), the fault queue,
the request recorder and the deviation log.

`strict=True` (the default) answers 400 to every deviation (deviations.py):
the firmware's tests run strict and expect `control.deviations() == []`.
`strict=False` serves them as before and only records them.
"""

import sys
from pathlib import Path

from tools.emulator import certs, consent, control, drs, lwa
from tools.emulator.client import ControlClient
from tools.emulator.deviations import DeviationLog, request_line
from tools.emulator.faults import FaultQueue
from tools.emulator.listener import Listener
from tools.emulator.recorder import Recorder
from tools.emulator.service import Route, Service
from tools.emulator.sntp import SntpResponder
from tools.emulator.store import State

DEFAULT_STATE_DIR = Path(__file__).resolve().parent.parent.parent / ".emulator"
STATE_FILE = "state.json"


class Emulator:
    def __init__(self, state_dir=DEFAULT_STATE_DIR, tls=True, clock="virtual", start=None,
                 lwa_port=0, drs_port=0, control_port=0, idle_timeout=30.0, log=None,
                 strict=True, max_connections=256, request_timeout=10.0,
                 connection_lifetime=600.0, sntp_port=0):
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state = State.open(self.state_dir / STATE_FILE, clock, start)
        self.faults = FaultQueue()
        self.recorder = Recorder()
        self.deviations = DeviationLog(strict)
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
        limits = {"idle_timeout": idle_timeout, "max_connections": max_connections,
                  "request_timeout": request_timeout,
                  "connection_lifetime": connection_lifetime}
        self.listeners = {
            "lwa": Listener("lwa", lwa_service.handle, lwa_port, ctx,
                            on_bad_request=self._bad_request, **limits),
            "drs": Listener("drs", drs_service.handle, drs_port, ctx,
                            on_bad_request=self._bad_request, **limits),
            "control": Listener("control", lambda req: control.handle(self, req),
                                control_port, ctx, **limits),
        }
        self.control = ControlClient(self.control_url, self.ca_pem)
        # The time server devices set their clocks from: UDP on 127.0.0.1, the
        # emulator's clock, with faults on demand (control op sntp_fault).
        self.sntp = SntpResponder(self.state.now, port=sntp_port)

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
                "control_url": self.control_url, "ca_der": self.ca_der, "ca_pem": self.ca_pem,
                "sntp_port": self.sntp.port}

    # --- running
    def start(self):
        """Start serving (again harmless), so `with Emulator(...).start()` works too."""
        if not self._started:
            self._started = True
            for listener in self.listeners.values():
                listener.start()
            self.sntp.start()
        return self

    def stop(self):
        for listener in self.listeners.values():
            listener.stop()
        self.sntp.stop()
        self.state.close()

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

    def _bad_request(self, host, conn_id, line, status, rule, message):
        """A request the parser refused, or a 500: into the request log and the
        deviation log, its request line masked like any recorded request."""
        parts = (line or "").split(" ")
        line = request_line(*parts) if len(parts) == 3 else (
            "<%d bytes that are no request line>" % len(line) if line else None)
        now = self.state.now()
        self.recorder.record_rejection(host, conn_id, line, status, message, now)
        self.deviations.record(host, rule, message, line, status, message, now)
        self.log("%s %s -> %d (%s)" % (host, line, status, rule))

    def log(self, line):
        if self._log:
            self._log(line)


def log_to_stderr(line):
    print(line, file=sys.stderr, flush=True)
