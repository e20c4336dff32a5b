# The ESP32 board: the only module of the firmware that touches `machine`
# and `network`. Everything else is handed this object (or what it
# hands out), so the same code runs on the simulated board in tools/sim/.
import time

import machine
import network

from replenish.clock import civil_from_days, days_from_civil
from replenish.fs import Fs

NTP_HOST = "pool.ntp.org"
CAUSES = {machine.PWRON_RESET: "power-on", machine.DEEPSLEEP_RESET: "deep-sleep",
          machine.WDT_RESET: "watchdog", machine.SOFT_RESET: "soft-reset"}

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

    def hold(self, pin_id, value):
        """Drive an output and keep it through deep sleep (pad hold). The
        ESP32 port's Pin takes `hold` (ports/esp32/machine_pin.c); the stubs
        this project checks against don't list it."""
        machine.Pin(pin_id, machine.Pin.OUT, value=value, hold=True)  # type: ignore[call-arg]

    def connector(self, ca_files):
        from replenish.connector import SocketConnector

        return SocketConnector(self.fs, ca_files)

    def rtc_memory(self, data=None):
        return self._rtc.memory() if data is None else self._rtc.memory(data)

    def reset_cause(self):
        """Why this boot, and for a wake from deep sleep what woke it."""
        cause = CAUSES.get(machine.reset_cause(), "reset")
        if cause == "deep-sleep" and machine.wake_reason() != machine.TIMER_WAKE:
            return "deep-sleep, woken by machine.wake_reason() %d" % machine.wake_reason()
        return cause

    def sync_time(self):
        """SNTP through the firmware's own client (replenish.sntp: the same
        code the simulated board runs), then the RTC is set."""
        from replenish import sntp

        t = sntp.query(sntp.UdpSockets(), NTP_HOST, self.clock)
        days, secs = divmod(t, 86400)
        y, m, d = civil_from_days(days)
        # RTC.datetime: (year, month, day, weekday, hours, minutes, seconds, subseconds)
        self._rtc.datetime((y, m, d, (days + 3) % 7, secs // 3600, secs % 3600 // 60,
                            secs % 60, 0))
        return t

    def watchdog(self, timeout_ms):
        return machine.WDT(timeout=timeout_ms)

    def deep_sleep(self, ms):
        machine.deepsleep(ms)

    def reset(self):
        machine.reset()

    def soft_reset(self):
        """A fresh heap, the RTC memory and the running watchdog kept."""
        machine.soft_reset()
