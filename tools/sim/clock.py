# A virtual clock: time moves only when the firmware sleeps or a test says so,
# so a device test can run weeks in milliseconds.

START = 1767225600  # 2026-01-01T00:00:00Z


class VirtualClock:
    def __init__(self, start=START):
        self._us = start * 1000000

    def now(self):
        """Unix seconds, UTC."""
        return self._us // 1000000

    def ticks_ms(self):
        return self._us // 1000

    def ticks_us(self):
        return self._us

    def ticks_diff(self, a, b):
        return a - b

    def sleep_ms(self, ms):
        self._us += int(ms * 1000)

    def sleep_us(self, us):
        self._us += int(us)

    def advance(self, seconds):
        self._us += int(seconds * 1000000)

    def set(self, unix_seconds):
        self._us = int(unix_seconds * 1000000)
