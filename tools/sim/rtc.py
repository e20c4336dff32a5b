# The ESP32's RTC: a clock that reads 2000-01-01 after every power-on until
# SNTP sets it, keeps running through deep sleep (drifting: the RTC's 150 kHz
# oscillator is off by a few hundred ppm), and 2048 bytes of slow memory that
# survive deep sleep but not a power cut (machine.RTC().memory()).

POWER_ON_TIME = 946684800  # 2000-01-01T00:00:00Z
MEMORY_SIZE = 2048


class FakeRTC:
    def __init__(self, world, drift_ppm=0):
        self.world = world  # the true time, a VirtualClock
        self.drift_ppm = drift_ppm
        self.power_on()

    def power_on(self):
        """A power cut: the clock starts again at 2000, the memory is empty."""
        self.offset_us = POWER_ON_TIME * 1000000 - self.world.ticks_us()
        self.data = b""
        self.set_count = 0

    def now(self):
        return (self.world.ticks_us() + self.offset_us) // 1000000

    def is_set(self):
        return self.set_count > 0

    def set(self, unix_seconds):
        self.offset_us = int(unix_seconds * 1000000) - self.world.ticks_us()
        self.set_count += 1

    def slept(self, ms):
        """Deep sleep runs on the slow oscillator: the clock drifts."""
        self.offset_us += ms * self.drift_ppm // 1000

    def memory(self, data=None):
        if data is None:
            return self.data
        if len(data) > MEMORY_SIZE:
            raise ValueError("RTC memory holds %d bytes" % MEMORY_SIZE)
        self.data = bytes(data)
        return None

    def power_cut(self):
        self.power_on()
