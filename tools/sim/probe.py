# Analog level probe models for the fake ADC: the voltage at the pin for the
# container's fill level, with the faults real probes have — noise, the odd
# spike, slow drift, a non-linear response, and a broken wire or a short that
# pins the input to a rail.
from tools.sim.noise import Noise

DAY = 86400
SUPPLY_UV = 3300000  # a short to the 3.3 V rail


class ProbeModel:
    def __init__(self, clock, empty_uv, full_uv, noise_uv=0.0, drift_uv_per_day=0.0,
                 curve=1.0, spike_every=0, seed=1):
        self.clock = clock
        self.empty_uv = empty_uv
        self.full_uv = full_uv
        self.noise = Noise(noise_uv, seed)
        self.drift_uv_per_day = drift_uv_per_day
        self.curve = curve  # output ~ level ** curve: 1 is a linear probe
        self.spike_every = spike_every
        self.level = 1.0
        self.wire = "ok"  # "open": pulled down to 0 V; "short": at the supply
        self.samples = 0
        self.start = clock.now()

    def attach(self, board, pin):
        board.adc(pin).source_uv = self
        return self

    def __call__(self):
        self.samples += 1
        if self.wire == "open":
            return 0
        if self.wire == "short":
            return SUPPLY_UV
        shape = max(0.0, self.level) ** self.curve
        uv = self.empty_uv + (self.full_uv - self.empty_uv) * shape
        uv += self.drift_uv_per_day * (self.clock.now() - self.start) / DAY
        if self.spike_every and self.samples % self.spike_every == 0:
            uv += 400000
        return uv + self.noise()
