"""An SNTP server on 127.0.0.1 (UDP) that answers with the emulator's clock,
so the device sets its clock the way it does at home, and that misbehaves on
demand the ways real servers do. Host only (CPython).

    with SntpResponder(emu.state.now) as sntp:      # port=0: any free port
        sntp.port
        sntp.set_fault("kod", kiss="DENY", count=1)  # the next query only
        sntp.counts()                                # {"none": 3, "kod": 1, ...}

Fault modes:
  none    the emulator's time
  silent  no answer at all
  kod     a kiss of death: stratum 0 with kiss (RATE, DENY, RSTR, ...; RATE by default)
  wrong   a wildly wrong time: `at` (Unix seconds; 2000-01-01 by default) or the
          emulator's time plus `offset` seconds
  short   the reply cut to `length` bytes (24 by default)
A fault lasts until the next set_fault, or for `count` queries.
"""

import socket
import threading

from tools.sim.udp import server_reply

MODES = ("none", "silent", "kod", "wrong", "short")
OPTIONS = {"none": (), "silent": (), "kod": ("kiss",), "wrong": ("at", "offset"),
           "short": ("length",)}
Y2000 = 946684800


class SntpResponder:
    def __init__(self, now_fn, host="127.0.0.1", port=0):
        self.now_fn = now_fn
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._fault = {"mode": "none"}
        self._left = None  # queries the fault still applies to; None: until changed
        self._counts = dict.fromkeys(MODES, 0)
        self._counts["not_sntp"] = 0  # datagrams that were no SNTP client request
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, port))
        self._sock.settimeout(0.1)  # how soon stop() is noticed
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True, name="emulator-sntp")

    def start(self):
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
        self._sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def set_fault(self, mode="none", count=None, kiss=None, at=None, offset=None, length=None):
        """Arm a fault mode; returns what is now armed. Options that do not
        belong to the mode are refused rather than ignored."""
        if mode not in MODES:
            raise ValueError("SNTP fault mode must be one of %s, not %r" % (", ".join(MODES), mode))
        given = {"kiss": kiss, "at": at, "offset": offset, "length": length}
        given = {name: value for name, value in given.items() if value is not None}
        stray = sorted(set(given) - set(OPTIONS[mode]))
        if stray:
            raise ValueError("SNTP fault %r takes no %s" % (mode, ", ".join(stray)))
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValueError("count must be a positive whole number, not %r" % (count,))
        fault = {"mode": mode}
        if mode == "kod":
            kiss = given.get("kiss", "RATE")
            if not (isinstance(kiss, str) and len(kiss) == 4 and kiss.isascii()
                    and kiss.isalpha() and kiss.isupper()):
                raise ValueError("a kiss code is 4 capital letters (RATE, DENY, RSTR), not %r"
                                 % (kiss,))
            fault["kiss"] = kiss
        elif mode == "wrong":
            if "at" in given and "offset" in given:
                raise ValueError("SNTP fault 'wrong' takes at or offset, not both")
            for name in ("at", "offset"):
                if name in given and not isinstance(given[name], (int, float)):
                    raise ValueError("%s must be a number of seconds, not %r"
                                     % (name, given[name]))
            fault.update(given or {"at": Y2000})
        elif mode == "short":
            length = given.get("length", 24)
            if not isinstance(length, int) or not 0 <= length < 48:
                raise ValueError("a short reply has 0 to 47 bytes, not %r" % (length,))
            fault["length"] = length
        with self._lock:
            self._fault, self._left = fault, count
        return self.fault()

    def fault(self):
        with self._lock:
            return dict(self._fault, count=self._left)

    def counts(self):
        """Queries answered (or, when silent, left unanswered) in each mode."""
        with self._lock:
            return dict(self._counts)

    def _take_fault(self):
        with self._lock:
            fault = self._fault
            self._counts[fault["mode"]] += 1
            if self._left is not None:
                self._left -= 1
                if not self._left:
                    self._fault, self._left = {"mode": "none"}, None
            return fault

    def _serve(self):
        while not self._stop.is_set():
            try:
                request, client = self._sock.recvfrom(512)
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return  # closed under us by stop()
            if len(request) < 48 or request[0] & 7 != 3:
                with self._lock:
                    self._counts["not_sntp"] += 1
                continue
            reply = self._reply(request, self._take_fault())
            if reply is not None:
                self._sock.sendto(reply, client)

    def _reply(self, request, fault):
        mode = fault["mode"]
        now_ms = int(self.now_fn() * 1000)
        if mode == "silent":
            return None
        if mode == "kod":
            return server_reply(request, now_ms, kiss=fault["kiss"])
        if mode == "wrong":
            at_ms = (int(fault["at"] * 1000) if "at" in fault
                     else now_ms + int(fault["offset"] * 1000))
            return server_reply(request, at_ms)
        if mode == "short":
            return server_reply(request, now_ms, length=fault["length"])
        return server_reply(request, now_ms)
