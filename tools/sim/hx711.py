# A fake HX711 that speaks the chip's bit protocol on two FakePins, in the
# board's virtual time. Facts from the Avia Semiconductor HX711 datasheet:
#  - DOUT goes low when a conversion is ready (10 or 80 samples/s, RATE pin);
#  - each PD_SCK rising edge shifts out one bit, MSB first, 24 bits in two's
#    complement; 1, 2 or 3 more pulses (25/26/27 in all) select channel A gain
#    128, channel B gain 32 or channel A gain 64 for the NEXT conversion;
#  - the output saturates at 0x7FFFFF / 0x800000 beyond ±0.5·AVDD/gain;
#  - PD_SCK high for more than 60 µs powers the chip down (DOUT high); when it
#    goes low again the chip resets to channel A, gain 128;
#  - after power-up, reset, a channel or a gain change the output needs 400 ms
#    (10 SPS) or 50 ms (80 SPS) to settle: conversions before that are wrong.
# A driver that stretches a pulse therefore reads ones and resets the chip,
# as on the bench.

POWER_DOWN_US = 60
AWAKE_UA = 1500  # datasheet: 1.5 mA while powered; < 1 µA powered down
SETTLE_US = {10: 400000, 80: 50000}
SETTINGS = {1: ("A", 128), 2: ("B", 32), 3: ("A", 64)}  # extra pulses -> (channel, gain)
MAX_CODE = 0x7FFFFF
MIN_CODE = -0x800000


class FakeHX711:
    def __init__(self, board, sck, dout, rate=10, avdd_uv=3300000, source=None):
        self.clock = board.clock
        self.rate = rate
        self.period_us = 1000000 // rate
        self.avdd_uv = avdd_uv
        self.inputs = {"A": 0.0, "B": 0.0}  # differential input, µV
        self.source = source or (lambda channel: self.inputs[channel])
        self.connected = True  # False: unplugged, DOUT floats (the pull-up decides)
        self.power_downs = 0
        self.conversions_read = 0
        self.longest_high_us = 0
        self._sck = board.pin(sck)
        board.chips.append(self)  # the board adds up what is left on in deep sleep
        self._sck.watchers.append(self._edge)
        board.pin(dout).driver = self._dout
        self._high_since = None
        self._last_fall = 0
        self._reset(None)

    def _now(self):
        return self.clock.ticks_us()

    def _reset(self, previous):
        self.setting = 1
        self._previous = previous  # setting before the last change; None after power-up
        self._changed_at = self._now()
        self._ready_at = self._changed_at + self.period_us
        self._word = None  # the conversion being shifted out
        self._pulses = 0

    def code(self, setting):
        channel, gain = SETTINGS[setting]
        full_scale = self.avdd_uv / 2 / gain
        code = int(self.source(channel) / full_scale * 0x800000)
        return max(MIN_CODE, min(MAX_CODE, code))

    def _conversion(self):
        code = self.code(self.setting)
        if self._now() - self._changed_at < SETTLE_US[self.rate]:
            # Not settled: still halfway between the old input and the new.
            old = self.code(self._previous) if self._previous else 0
            code = (code + old) // 2
        return code & 0xFFFFFF

    def _powered_down(self):
        high = self._high_since
        return high is not None and self._now() - high > POWER_DOWN_US

    def sleep_ua(self):
        """Current through deep sleep: an unheld SCK falls low and wakes the chip."""
        held_high = self._sck.held and self._sck.level == 1
        return 0 if held_high else AWAKE_UA

    def _finish_read(self):
        # The next conversion starts after the last pulse of a read: the
        # number of pulses (25..27) picks its channel and gain.
        if self._pulses >= 25 and self._high_since is None and self._now() >= self._ready_at:
            setting = min(self._pulses, 27) - 24
            if setting != self.setting:
                self._previous, self.setting = self.setting, setting
                self._changed_at = self._last_fall
            self._word = None
            self._pulses = 0

    def _edge(self, level):
        now = self._now()
        if level:
            if self._high_since is None:
                self._high_since = now
                self._rising()
            return
        if self._high_since is None:
            return
        high = now - self._high_since
        self.longest_high_us = max(self.longest_high_us, high)
        self._high_since = None
        self._last_fall = now
        if high > POWER_DOWN_US:
            self.power_downs += 1
            self._reset(None)

    def _rising(self):
        if not self.connected:
            return
        self._finish_read()
        if self._word is None:
            if self._now() < self._ready_at:
                return  # no conversion ready: the chip ignores the clock
            self._word = self._conversion()
        self._pulses += 1
        if self._pulses == 24:
            self.conversions_read += 1
            # DOUT goes high after the 25th pulse; the next conversion is
            # ready one period on.
            self._ready_at = self._now() + self.period_us

    def _dout(self):
        if not self.connected:
            return None  # a floating line: the pin's pull-up, if any, decides
        if self._powered_down():
            return 1
        self._finish_read()
        if self._word is None:
            return 0 if self._now() >= self._ready_at else 1
        if self._pulses == 0 or self._pulses > 24:
            return 1
        return (self._word >> (24 - self._pulses)) & 1
