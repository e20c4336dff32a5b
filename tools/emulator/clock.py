"""The emulator's clock. `virtual` time moves only when told (advance/set), so
tests run days of order lifecycle in milliseconds; `real` time follows the
host's monotonic clock from where it started, so a wall clock stepped back
(NTP, a suspended laptop) never takes the emulator's time back with it.

Time never goes backwards unless `set` is asked to put it there: `advance`
takes only a finite, non-negative number of seconds.
"""

import math
import threading
import time

VIRTUAL = "virtual"
REAL = "real"
LATEST = 253402300799  # 9999-12-31T23:59:59Z: ISO 8601 dates have four-digit years
MAX_STEP = 100 * 366 * 86400


def _seconds(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("%s must be a number of seconds, not %r" % (what, value))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("%s must be a finite number of seconds" % what)
    return value


class EmulatorClock:
    def __init__(self, mode=VIRTUAL, start=None):
        if mode not in (VIRTUAL, REAL):
            raise ValueError("clock mode must be 'virtual' or 'real', not %r" % mode)
        self.mode = mode
        self._lock = threading.Lock()
        self._set(time.time() if start is None else _seconds(start, "start"))

    def _set(self, unix_seconds):
        if not 0 <= unix_seconds <= LATEST:
            raise ValueError("time must be between 1970 and 9999")
        # virtual: the time itself; real: the time at the monotonic instant _base
        self._value = unix_seconds
        self._base = time.monotonic()
        self._last = unix_seconds

    def now(self):
        with self._lock:
            if self.mode == VIRTUAL:
                return self._value
            self._last = max(self._last, self._value + time.monotonic() - self._base)
            return self._last

    def advance(self, seconds):
        seconds = _seconds(seconds, "seconds")
        if not 0 <= seconds <= MAX_STEP:
            raise ValueError("the clock only moves forward, at most 100 years at a time")
        now = self.now()
        with self._lock:
            self._set(min(now + seconds, LATEST))
        return self.now()

    def set(self, unix_seconds):
        """Put the clock anywhere, backwards too: the one way back, on purpose."""
        unix_seconds = _seconds(unix_seconds, "now")
        with self._lock:
            self._set(unix_seconds)
        return self.now()

    def to_json(self):
        return {"mode": self.mode, "now": self.now()}

    @classmethod
    def from_json(cls, data):
        return cls(data["mode"], data["now"])
