# The simulated board: the same calls as replenish.board.Esp32Board, backed by
# the fakes beside this file, and as harsh as an ESP32 wherever the ESP32 is
# harsh: the RTC reads 2000-01-01 after power-on until SNTP sets it, and TLS
# refuses every certificate meanwhile; deep sleep is a reset; the watchdog
# can't be stopped and resets the board wherever the firmware is; what is
# left on in deep sleep costs current. Runs under CPython and the unix port.
from tools.sim.adc import FakeADC
from tools.sim.clock import BoardClock, VirtualClock
from tools.sim.flash import FakeFlash
from tools.sim.pins import IN, OUT, FakePin
from tools.sim.rtc import FakeRTC
from tools.sim.wifi import FakeWLAN

POWER_ON, DEEP_SLEEP, WATCHDOG, RESET = "power-on", "deep-sleep", "watchdog", "reset"
SOFT_RESET = "soft-reset"
SLEEP_UA = 10  # energy-model.md: a bare module in deep sleep, RTC timer and memory on
# Wi-Fi still active when deep sleep starts: ESP-IDF asks for esp_wifi_stop()
# first; counted as the modem's sleep draw so a test catches it.
WIFI_LEFT_ON_UA = 1000
# Amazon Root CA 1's notBefore (2015-05-26): with the RTC before it, mbedtls
# on the ESP32 finds every chain "not yet valid" (MicroPython PR #13100).
CERTS_VALID_FROM = 1432598400


# Where the ESP32 stops running Python, the simulated board raises one of
# these BaseExceptions: no `except Exception` in the firmware can catch the
# power going down, as none can on the chip. The caller wakes the board again.
class DeepSleep(BaseException):
    def __init__(self, ms):
        super().__init__("deep sleep for %d ms" % ms)
        self.ms = ms


class Reset(BaseException):
    pass


class SoftReset(BaseException):
    """machine.soft_reset(): a fresh heap; RTC memory, pins and the watchdog
    stay. The caller boots again at once (tests/device/boot_rig.py)."""


class WatchdogReset(BaseException):
    pass


class FakeWatchdog:
    def __init__(self, board, timeout_ms):
        self.board = board
        self.clock = board.world
        self.timeout_ms = timeout_ms
        self.fed_at = self._ms()
        self.clock.watchers.append(self.check)

    def _ms(self):
        return self.clock.ticks_us() // 1000  # not ticks_ms(): that may call check()

    def feed(self):
        self.check()
        self.fed_at = self._ms()

    def expired(self):
        return self._ms() - self.fed_at > self.timeout_ms

    def check(self):
        if self.board.dog is self and self.expired():
            self.board.reset_by_watchdog()
            raise WatchdogReset("watchdog: not fed for %d ms" % self.timeout_ms)


class DatedTls:
    """A connector whose handshakes fail as mbedtls's do on an ESP32 whose
    clock was never set: the unix port's mbedtls reads the host's clock."""

    def __init__(self, connector, clock):
        self.connector = connector
        self.clock = clock
        self.resolve = connector.resolve
        self.connect = connector.connect

    def wrap(self, sock, host, timeout_s):
        if self.clock.now() < CERTS_VALID_FROM:
            sock.close()
            raise OSError(-0x2700, "MBEDTLS_ERR_X509_CERT_VERIFY_FAILED: not yet valid")
        return self.connector.wrap(sock, host, timeout_s)


class SimBoard:
    name = "sim"

    def __init__(self, clock=None, fs=None, wlan=None, ntp=None, net=None, drift_ppm=0):
        self.world = clock or VirtualClock()  # the true time
        self.rtc = FakeRTC(self.world, drift_ppm)
        self.clock = BoardClock(self.world, self.rtc)  # what the firmware reads
        self.fs = fs if fs is not None else FakeFlash()
        self.wifi = wlan or FakeWLAN(clock=self.world)
        self._ntp = ntp
        self.net = net  # a fake network (tools/sim/net.py), or None for real sockets
        self.pins = {}
        self.adcs = {}
        self.chips = []  # chip models on the pins (their current in deep sleep)
        self.irq_disabled = False
        # Wi-Fi interrupt latency: while interrupts are enabled, every pin
        # write may be followed by an ISR that keeps the CPU this long (µs of
        # virtual time). 0 = a quiet board; tests set ~100 to play Wi-Fi.
        self.isr_us = 0
        self.cause = POWER_ON
        self.sleeps = []  # (ms, µA drawn meanwhile)
        self.dog = None

    @property
    def ntp(self):
        """The time server (tools/sim/ntp.py), built when first asked: a
        device test that never talks keeps its heap."""
        if self._ntp is None:
            from tools.sim.ntp import FakeNtp

            self._ntp = FakeNtp(self.world)
        return self._ntp

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
        pin.held = False  # configuring a pin releases its hold, as gpio_hold_dis
        pin.init(OUT, value)
        return pin

    def pin_in(self, pin_id, pull_up=False):
        pin = self.pin(pin_id)
        pin.held = False
        pin.init(IN)
        pin.pull_up = pull_up
        return pin

    def hold(self, pin_id, value):
        """Drive an output and keep it there through deep sleep."""
        pin = self.pin_out(pin_id, value)
        pin.held = True

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

    def connector(self, ca_files):
        if self.net is None:
            from replenish.connector import SocketConnector

            return DatedTls(SocketConnector(self.fs, ca_files), self.clock)
        return DatedTls(self.net, self.clock)

    def rtc_memory(self, data=None):
        return self.rtc.memory(data)

    def reset_cause(self):
        return self.cause

    def sync_time(self):
        """SNTP through the firmware's own client; the RTC is set on success."""
        from replenish import sntp

        t = sntp.query(self.ntp.sockets(), self.ntp.host, self.clock)
        self.rtc.set(t)
        return t

    def watchdog(self, timeout_ms):
        # Once started it runs until the next reset, with its first timeout.
        if self.dog is None:
            self.dog = FakeWatchdog(self, timeout_ms)
        return self.dog

    def sleep_current_ua(self):
        ua = SLEEP_UA + sum(chip.sleep_ua() for chip in self.chips)
        return ua + (WIFI_LEFT_ON_UA if self.wifi.active() else 0)

    def deep_sleep(self, ms):
        self.sleeps.append((ms, self.sleep_current_ua()))
        self._reset(DEEP_SLEEP)
        self.world.sleep_ms(ms)
        self.rtc.slept(ms)
        raise DeepSleep(ms)

    def _reset(self, cause):
        """What every reset does: the watchdog stops, the radio and every
        unheld pin go back to their power-on state."""
        self.cause = cause
        if self.dog is not None:
            self.world.watchers.remove(self.dog.check)  # a reset stops it
        self.dog = None
        self.wifi.active(False)
        for pin in self.pins.values():
            if not pin.held:
                if pin.level:
                    pin.value(0)  # chips on the line see the fall
                pin.init(IN)

    def reset_by_watchdog(self):
        self._reset(WATCHDOG)

    def reset(self):
        self._reset(RESET)
        raise Reset("reset")

    def soft_reset(self):
        self.cause = SOFT_RESET
        raise SoftReset("soft reset")

    def power_cut(self):
        """Power lost: RAM, RTC memory and the clock go; files being written too."""
        for pin in self.pins.values():
            pin.held = False
        self._reset(POWER_ON)
        self.rtc.power_cut()
        if hasattr(self.fs, "power_cut"):
            self.fs.power_cut()
