# RTC slow memory: survives deep sleep, not a power cut. MicroPython's ESP32
# port gives Python 2048 bytes of it (machine.RTC().memory()).

SIZE = 2048


class FakeRTCMemory:
    def __init__(self):
        self.data = b""

    def memory(self, data=None):
        if data is None:
            return self.data
        if len(data) > SIZE:
            raise ValueError("RTC memory holds %d bytes" % SIZE)
        self.data = bytes(data)
        return None

    def power_cut(self):
        self.data = b""
