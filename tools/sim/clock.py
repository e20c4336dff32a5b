# A virtual clock for the world around the board: time moves only when the
# firmware sleeps or a test says so, so a device test can run weeks in
# milliseconds. What the firmware reads as the date comes from the board's
# RTC (tools/sim/rtc.py), which starts at 2000 like an ESP32's; this is the
# true time, and the ticks the firmware measures durations with.

START = 1767225600  # 2026-01-01T00:00:00Z


class VirtualClock:
    def __init__(self, start=START):
        self._us = start * 1000000
        self.watchers = []  # called after time moved: the watchdog checks here

    def now(self):
        """Unix seconds, UTC: the true time."""
        return self._us // 1000000

    def ticks_ms(self):
        return self._us // 1000

    def ticks_us(self):
        return self._us

    def ticks_diff(self, a, b):
        return a - b

    def _moved(self):
        for watch in self.watchers:
            watch()

    def sleep_ms(self, ms):
        self._us += int(ms * 1000)
        self._moved()

    def sleep_us(self, us):
        self._us += int(us)
        self._moved()

    def advance(self, seconds):
        self._us += int(seconds * 1000000)
        self._moved()

    def set(self, unix_seconds):
        self._us = int(unix_seconds * 1000000)


class BoardClock:
    """The clock the firmware is handed: the date from the RTC, durations
    from the ticks, as on the ESP32 (time.time() and time.ticks_ms())."""

    def __init__(self, world, rtc):
        self.world = world
        self.rtc = rtc
        self.ticks_ms = world.ticks_ms
        self.ticks_us = world.ticks_us
        self.ticks_diff = world.ticks_diff
        self.sleep_ms = world.sleep_ms
        self.sleep_us = world.sleep_us

    def now(self):
        return self.rtc.now()
