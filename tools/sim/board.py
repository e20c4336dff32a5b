# The simulated board: the same calls as replenish.board.Esp32Board, backed by
# the fakes beside this file. Runs under CPython and the MicroPython unix port.
from tools.sim.adc import FakeADC
from tools.sim.clock import VirtualClock
from tools.sim.flash import FakeFlash
from tools.sim.pins import IN, OUT, FakePin
from tools.sim.rtcmem import FakeRTCMemory
from tools.sim.wifi import FakeWLAN


class DeepSleep(Exception):
    """Raised where the ESP32 would power down: the caller wakes it again."""

    def __init__(self, ms):
        Exception.__init__(self, "deep sleep for %d ms" % ms)
        self.ms = ms


class Reset(Exception):
    """Raised where the ESP32 would reset."""


class FakeWatchdog:
    def __init__(self, clock, timeout_ms):
        self.clock = clock
        self.timeout_ms = timeout_ms
        self.fed_at = clock.ticks_ms()

    def feed(self):
        self.fed_at = self.clock.ticks_ms()

    def expired(self):
        return self.clock.ticks_ms() - self.fed_at > self.timeout_ms


class SimBoard:
    name = "sim"

    def __init__(self, clock=None, fs=None, wlan=None):
        self.clock = clock or VirtualClock()
        self.fs = fs if fs is not None else FakeFlash()
        self.wifi = wlan or FakeWLAN(clock=self.clock)
        self.pins = {}
        self.adcs = {}
        self.rtc = FakeRTCMemory()
        self.irq_disabled = False
        # Wi-Fi interrupt latency: while interrupts are enabled, every pin
        # write may be followed by an ISR that keeps the CPU this long (µs of
        # virtual time). 0 = a quiet board; tests set ~100 to play Wi-Fi.
        self.isr_us = 0
        self.woke = False
        self.sleeps = []
        self.dog = None

    def pin(self, pin_id):
        if pin_id not in self.pins:
            pin = FakePin(pin_id)
            pin.after_write = self._interrupt_window
            self.pins[pin_id] = pin
        return self.pins[pin_id]

    def _interrupt_window(self):
        if self.isr_us and not self.irq_disabled:
            self.clock.sleep_us(self.isr_us)

    def pin_out(self, pin_id, value=0):
        pin = self.pin(pin_id)
        pin.init(OUT, value)
        return pin

    def pin_in(self, pin_id, pull_up=False):
        pin = self.pin(pin_id)
        pin.init(IN)
        pin.pull_up = pull_up
        return pin

    def adc(self, pin_id):
        if pin_id not in self.adcs:
            self.adcs[pin_id] = FakeADC(pin_id)
        return self.adcs[pin_id]

    def disable_irq(self):
        was, self.irq_disabled = self.irq_disabled, True
        return was

    def enable_irq(self, state):
        self.irq_disabled = state

    def wlan(self):
        return self.wifi

    def rtc_memory(self, data=None):
        return self.rtc.memory(data)

    def woke_from_deep_sleep(self):
        return self.woke

    def sync_time(self):
        pass  # the virtual clock is the truth

    def watchdog(self, timeout_ms):
        self.dog = FakeWatchdog(self.clock, timeout_ms)
        return self.dog

    def deep_sleep(self, ms):
        self.sleeps.append(ms)
        self.clock.sleep_ms(ms)
        self.woke = True
        raise DeepSleep(ms)

    def reset(self):
        raise Reset("reset")
