# HX711 24-bit load-cell ADC driver for MicroPython, reusable on its own.
# It never imports `machine`: the caller hands in the two pins, the clock and
# the interrupt switches, so it runs on any board (and on a simulated one).
#
#   from hx711 import HX711
#   hx = HX711(Pin(18, Pin.OUT), Pin(19, Pin.IN), clock, machine.disable_irq,
#              machine.enable_irq)      # clock: ticks_ms/ticks_diff/sleep_ms/sleep_us
#   hx.power_up(); hx.tare(); grams = hx.weight(); hx.power_down()
#
# Installed alone with mip (the json lists just this file, relative to itself):
#   mpremote mip install github:<owner>/<repo>/lib/hx711.json
#
# Facts from the Avia Semiconductor HX711 datasheet:
#  - DOUT low = a conversion is ready; 24 PD_SCK pulses shift it out MSB first
#    in two's complement, and 1/2/3 more pulses select channel A gain 128,
#    channel B gain 32 or channel A gain 64 for the NEXT conversion;
#  - PD_SCK high for more than 60 µs powers the chip down (and resets it to
#    channel A, gain 128 when the clock goes low again). An interrupt landing
#    while the clock is high (Wi-Fi ISRs run for tens to hundreds of µs) would
#    do exactly that mid-read, so each pulse is clocked with interrupts off,
#    and only while the clock is high: the bits are read with them back on;
#  - the output needs 400 ms (10 SPS) or 50 ms (80 SPS) to settle after
#    power-up, reset, or a channel/gain change: conversions before that are
#    discarded;
#  - 0x7FFFFF and 0x800000 are the saturated codes (input beyond full scale).

EXTRA_PULSES = {128: 1, 32: 2, 64: 3}  # gain -> pulses after the 24 data bits
SETTLE_MS = {10: 400, 80: 50}  # output settling time per data rate
POWER_DOWN_US = 100  # held high this long, the chip is surely asleep (> 60 µs)
MAX_CODE = 0x7FFFFF
MIN_CODE = -0x800000


class HX711Error(OSError):
    """The amplifier does not answer: unplugged, unpowered or miswired."""


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def trimmed_mean(values, trim=0.2):
    """The mean without the `trim` fraction of lowest and of highest values."""
    ordered = sorted(values)
    cut = int(len(ordered) * trim)
    kept = ordered[cut:len(ordered) - cut] or ordered
    return sum(kept) / len(kept)


class HX711:
    MEDIAN = "median"
    TRIMMED_MEAN = "trimmed"

    def __init__(self, sck, dout, clock, disable_irq, enable_irq, gain=128, rate=10,
                 timeout_ms=None):
        if rate not in SETTLE_MS:
            raise ValueError("HX711 rate must be 10 or 80 samples/s (the RATE pin), not %r"
                             % (rate,))
        self._sck = sck
        self._dout = dout
        self._clock = clock
        self._disable_irq = disable_irq
        self._enable_irq = enable_irq
        self.rate = rate
        # Long enough for the settling time plus two conversions: past that,
        # nobody is driving DOUT.
        self.timeout_ms = timeout_ms or SETTLE_MS[rate] + 2000 // rate
        self.offset = 0
        self.scale = 1.0
        self._chip_pulses = None  # the chip's channel/gain: unknown until it is powered up
        self._changed_at = 0
        self._asleep = False
        self.set_gain(gain)
        sck.off()

    def set_gain(self, gain):
        """128 or 64 selects channel A, 32 channel B. Applied at the next read."""
        if gain not in EXTRA_PULSES:
            raise ValueError("HX711 gain must be 128 or 64 (channel A) or 32 (channel B), not %r"
                             % (gain,))
        self.gain = gain

    def is_ready(self):
        return self._dout.value() == 0

    def power_down(self):
        self._sck.off()
        self._sck.on()
        self._clock.sleep_us(POWER_DOWN_US)
        self._asleep = True

    def power_up(self):
        """Wake the chip (it resets to channel A, gain 128) and wait until it
        gives settled conversions at the driver's gain."""
        self._sck.off()
        self._asleep = False
        self._changed(EXTRA_PULSES[128])
        self._settle()

    def _changed(self, pulses):
        self._chip_pulses = pulses
        self._changed_at = self._clock.ticks_ms()

    def _settle(self):
        clock = self._clock
        wanted = EXTRA_PULSES[self.gain]
        if wanted != self._chip_pulses:
            # The next conversion is still at the old channel/gain; its extra
            # pulses switch the chip, whose output then needs to settle.
            self._wait_ready()
            self._shift(wanted)
            self._changed(wanted)
        wait = SETTLE_MS[self.rate] - clock.ticks_diff(clock.ticks_ms(), self._changed_at)
        if wait > 0:
            clock.sleep_ms(wait)
        if self.is_ready():
            # Finished before the output had settled: not to be trusted.
            self._shift(wanted)

    def _wait_ready(self):
        clock = self._clock
        start = clock.ticks_ms()
        while self._dout.value():
            if clock.ticks_diff(clock.ticks_ms(), start) > self.timeout_ms:
                raise HX711Error("HX711 not responding: DOUT stayed high for %d ms "
                                 "(unplugged, unpowered or miswired?)" % self.timeout_ms)
            clock.sleep_ms(1)

    def _pulse(self):
        # Interrupts off only while the clock is high: the high phase lasts a
        # few µs whatever Wi-Fi does; pending interrupts run while it is low.
        state = self._disable_irq()
        self._sck.on()
        self._sck.off()
        self._enable_irq(state)

    def _shift(self, extra):
        dout = self._dout
        value = 0
        for _ in range(24):
            self._pulse()
            value = (value << 1) | dout.value()
        for _ in range(extra):
            self._pulse()
        return value - 0x1000000 if value & 0x800000 else value

    def read_raw(self):
        """One settled conversion at the current gain, as a signed 24-bit code.
        A chip left powered down is woken first."""
        if self._asleep:
            self.power_up()
        elif EXTRA_PULSES[self.gain] != self._chip_pulses:
            self._settle()
        self._wait_ready()
        return self._shift(EXTRA_PULSES[self.gain])

    def samples(self, n):
        return [self.read_raw() for _ in range(n)]

    def read(self, n=10, method=MEDIAN):
        """n conversions reduced to one code by the median or a trimmed mean."""
        values = self.samples(n)
        if method == self.MEDIAN:
            return median(values)
        if method == self.TRIMMED_MEAN:
            return trimmed_mean(values)
        raise ValueError("unknown reduction %r (median or trimmed)" % (method,))

    def tare(self, n=10):
        """Take the present load as zero."""
        self.offset = self.read(n)
        return self.offset

    def calibrate(self, known_weight, n=10):
        """Set the scale from a known weight placed on the tared cell."""
        delta = self.read(n) - self.offset
        if not delta or known_weight <= 0:
            raise ValueError("the reading did not change: is the %r weight on the cell?"
                             % (known_weight,))
        self.scale = delta / known_weight
        return self.scale

    def weight(self, n=10, method=MEDIAN):
        return (self.read(n, method) - self.offset) / self.scale
