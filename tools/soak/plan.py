# The year's faults, drawn from the seed before the year starts: which kind,
# when, for how long, and its details. The same seed gives the same plan, so
# a breach can be replayed (`python -m tools.soak --seed N`).
import random

HOUR, DAY = 3600, 86400

# kind: (group, weight per draw, shortest, longest duration in seconds; 0 =
# an instant, or a one-shot armed until the device meets it)
KINDS = {
    "power cut mid-write": ("power", 60, 0, 0),
    "power cut mid-wake": ("power", 30, 0, 0),
    "power off for hours": ("power", 25, 10 * 60, 8 * HOUR),
    "clock lost": ("clock", 25, 0, 0),
    "SNTP down": ("clock", 25, HOUR, DAY),
    "SNTP kiss-of-death": ("clock", 20, HOUR, DAY),
    "Wi-Fi down for hours": ("network", 40, HOUR, 12 * HOUR),
    "Wi-Fi down for days": ("network", 6, DAY, 4 * DAY),
    "DNS failure": ("network", 30, HOUR, 8 * HOUR),
    "TLS handshake refused": ("network", 20, HOUR, 8 * HOUR),
    "TLS handshake stall": ("network", 20, HOUR, 6 * HOUR),
    "binary answer": ("network", 25, 0, 0),
    "watchdog (DNS hangs 150 s)": ("network", 20, 0, 0),
    "TCP reset": ("service", 40, 0, 0),
    "reset mid-response": ("service", 40, 0, 0),
    "5xx": ("service", 40, 0, 0),
    "429 Retry-After": ("service", 30, 0, 0),
    "slow answer": ("service", 30, 0, 0),
    "endless answer": ("service", 25, 0, 0),
    "huge answer": ("service", 25, 0, 0),
    "malformed JSON": ("service", 25, 0, 0),
    "revoked (invalid_grant)": ("account", 5, DAY, 6 * DAY),
    "deregistered": ("account", 4, DAY, 6 * DAY),
    "sensor unplugged": ("sensor", 40, 2 * HOUR, 3 * DAY),
    "sensor noisy": ("sensor", 40, 2 * HOUR, 2 * DAY),
    "sensor spiking": ("sensor", 40, 2 * HOUR, 2 * DAY),
    "sensor stuck": ("sensor", 40, 2 * HOUR, 2 * DAY),
    "flash full": ("storage", 20, 10 * 60, 6 * HOUR),
    "corrupt record": ("storage", 40, 0, 0),
}
ENDPOINTS = ("token", "device_status", "slot_status", "subscription_info", "replenish",
             "order_info", "any")


class Fault:
    def __init__(self, kind, at, until, detail):
        self.kind = kind
        self.at = at
        self.until = until  # == at for instants and one-shots
        self.detail = detail  # kind-specific: slot, endpoint, sizes...
        self.started = False
        self.ended = False
        self.hit = False  # the device met it (a one-shot fired, a window was lived through)
        self.reactions = set()  # what the console said while it lasted and just after

    @property
    def group(self):
        return KINDS[self.kind][0]

    def __repr__(self):
        return "<%s at %d>" % (self.kind, self.at)


def _detail(kind, rand, slots):
    if KINDS[kind][0] == "sensor":
        return {"slot": rand.choice(slots)}
    if kind == "power cut mid-write":
        return {"fraction": rand.random()}  # of the wake's write steps
    if kind == "power cut mid-wake":
        return {"after_ms": rand.randrange(0, 4000)}
    if KINDS[kind][0] == "service":
        return {"endpoint": rand.choice(ENDPOINTS), "count": rand.randint(1, 3),
                "status": rand.choice((500, 503)), "retry_after": rand.randint(60, 4 * HOUR),
                "seconds": rand.uniform(0.02, 0.3), "size": rand.randint(1, 4) << 20}
    if kind in ("SNTP down", "SNTP kiss-of-death"):
        return {"clock_lost": rand.random() < 0.5, "dns": rand.random() < 0.3}
    if kind.startswith("Wi-Fi"):
        return {"gone": rand.random() < 0.5}  # the access point off, or in range but silent
    return {}


def draw(seed, start, days, slots, per_day):
    """The faults of a run, sorted by time."""
    rand = random.Random(seed)
    kinds = sorted(KINDS)
    weights = [KINDS[k][1] for k in kinds]
    faults = []
    while len(faults) < int(days * per_day):
        kind = rand.choices(kinds, weights)[0]
        at = start + HOUR + rand.randrange(days * DAY - HOUR)
        low, high = KINDS[kind][2:]
        until = at + (rand.randint(low, high) if high else 0)
        if KINDS[kind][0] == "account" and any(
                f.group == "account" and f.at < until + DAY and at < f.until + DAY
                for f in faults):
            continue  # one customer's account: a revocation at a time, linked again between
        faults.append(Fault(kind, at, until, _detail(kind, rand, slots)))
    faults.sort(key=lambda f: (f.at, f.kind))
    return faults
