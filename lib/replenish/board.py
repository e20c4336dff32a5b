# The ESP32 board: the only module of the firmware that touches `machine`,
# `network` and `ntptime`. Everything else is handed this object (or what it
# hands out), so the same code runs on the simulated board in tools/sim/.
import time

import machine
import network

from replenish.clock import days_from_civil
from replenish.fs import Fs

# The port's epoch (1970 on some ports, 2000 on the ESP32): seconds to add to
# time.time() to get Unix time.
EPOCH_OFFSET = days_from_civil(time.gmtime(0)[0], 1, 1) * 86400


class Esp32Clock:
    def now(self):
        return time.time() + EPOCH_OFFSET

    def ticks_ms(self):
        return time.ticks_ms()

    def ticks_us(self):
        return time.ticks_us()

    def ticks_diff(self, a, b):
        return time.ticks_diff(a, b)

    def sleep_ms(self, ms):
        time.sleep_ms(ms)

    def sleep_us(self, us):
        time.sleep_us(us)


class Esp32Board:
    name = "esp32"

    def __init__(self):
        self.clock = Esp32Clock()
        self.fs = Fs()
        self._rtc = machine.RTC()

    def pin_out(self, pin_id, value=0):
        return machine.Pin(pin_id, machine.Pin.OUT, value=value)

    def pin_in(self, pin_id, pull_up=False):
        if pull_up:
            return machine.Pin(pin_id, machine.Pin.IN, machine.Pin.PULL_UP)
        return machine.Pin(pin_id, machine.Pin.IN)

    def adc(self, pin_id):
        return machine.ADC(machine.Pin(pin_id))

    def disable_irq(self):
        return machine.disable_irq()

    def enable_irq(self, state):
        machine.enable_irq(state)

    def wlan(self):
        return network.WLAN(network.STA_IF)

    def rtc_memory(self, data=None):
        return self._rtc.memory() if data is None else self._rtc.memory(data)

    def woke_from_deep_sleep(self):
        return machine.reset_cause() == machine.DEEPSLEEP_RESET

    def sync_time(self):
        import ntptime  # imported late: it pulls in socket code only a networked wake needs

        ntptime.settime()

    def watchdog(self, timeout_ms):
        return machine.WDT(timeout=timeout_ms)

    def deep_sleep(self, ms):
        machine.deepsleep(ms)

    def reset(self):
        machine.reset()
