"""The emulator's clock. `virtual` time moves only when told (advance/set), so
tests run days of order lifecycle in milliseconds; `real` time follows the
wall clock plus an offset that advance/set shift."""

import threading
import time

VIRTUAL = "virtual"
REAL = "real"


class EmulatorClock:
    def __init__(self, mode=VIRTUAL, start=None):
        if mode not in (VIRTUAL, REAL):
            raise ValueError("clock mode must be 'virtual' or 'real', not %r" % mode)
        self.mode = mode
        self._lock = threading.Lock()
        now = time.time()
        # virtual: the current emulated time; real: the offset from the wall clock
        self._value = (now if start is None else float(start)) if mode == VIRTUAL else (
            0.0 if start is None else float(start) - now)

    def now(self):
        with self._lock:
            return self._value if self.mode == VIRTUAL else time.time() + self._value

    def advance(self, seconds):
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._value += seconds
        return self.now()

    def set(self, unix_seconds):
        with self._lock:
            if self.mode == VIRTUAL:
                self._value = float(unix_seconds)
            else:
                self._value = float(unix_seconds) - time.time()
        return self.now()

    def to_json(self):
        return {"mode": self.mode, "now": self.now()}

    @classmethod
    def from_json(cls, data):
        return cls(data["mode"], data["now"])
