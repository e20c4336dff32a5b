# The household around the board (tools/sim/virtual.py's Household: slots
# emptying at their own pace, a new container when an order arrives), with
# the sensor faults of a year switched on and off per slot: unplugged,
# noisy, spiking, stuck. A load cell gets the little noise a real one has
# (LoadModel alone gives identical samples, which the firmware rightly calls
# stuck).
import contextlib
import io

from tools.sim.noise import Noise
from tools.sim.probe import ProbeModel
from tools.sim.virtual import Household

CELL_NOISE_UV = 0.3  # about 0.1 g on the examples' cell: an HX711's honest noise
NOISY_UV = {"probe": 60000, "cell": 60}  # a loose connector, a motor nearby
SPIKE_UV = {"probe": 400000, "cell": 3000}
SPIKE_EVERY = 3


class CellInput:
    """What the HX711 sees: the load, honest noise, and any fault."""

    def __init__(self, load, seed):
        self.load = load
        self.noise = Noise(CELL_NOISE_UV, seed)
        self.loud = Noise(NOISY_UV["cell"], seed + 1)
        self.mode = None  # None, "noisy", "spiking", "stuck"
        self.samples = 0
        self.stuck_at = None

    def __call__(self, channel):
        self.samples += 1
        if self.mode == "stuck":
            return self.stuck_at
        uv = self.load(channel) + self.noise()
        if self.mode == "noisy":
            uv += self.loud()
        if self.mode == "spiking" and self.samples % SPIKE_EVERY == 0:
            uv += SPIKE_UV["cell"]
        return uv


class SoakHousehold:
    def __init__(self, board, specs, since):
        self.board = board
        self.home = Household(board, specs, [since] * len(specs))
        self.slots = {}
        for i, (spec, model, _) in enumerate(self.home.models):
            if isinstance(model, ProbeModel):
                self.slots[spec["id"]] = ("probe", model, spec)
            else:
                model.chip.source = CellInput(model, seed=101 + i)
                self.slots[spec["id"]] = ("cell", model, spec)

    def level(self, slot_id):
        return self.slots[slot_id][1].level

    def step(self, now, deliveries=()):
        """The household lives until now; what it said (new containers)."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.home.step(now, deliveries)
        return out.getvalue().splitlines()

    def sensor_fault(self, slot_id, kind, on):
        """kind: unplugged, noisy, spiking, stuck."""
        what, model, spec = self.slots[slot_id]
        if what == "cell":
            chip, cell = model.chip, model.chip.source
            if kind == "unplugged":
                chip.connected = not on
            else:
                cell.stuck_at = model("A") + cell.noise()
                cell.mode = kind if on else None
            return
        if kind == "unplugged":
            model.wire = "open" if on else "ok"
        elif kind == "noisy":
            model.noise = Noise(NOISY_UV["probe"] if on else 1500, spec["pin"])
        elif kind == "spiking":
            model.spike_every = SPIKE_EVERY if on else 0
        elif on:  # stuck: the ADC reads one value, whatever the level
            value = model()
            self.board.adc(spec["pin"]).source_uv = lambda: value
        else:
            self.board.adc(spec["pin"]).source_uv = model
