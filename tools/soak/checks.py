# What must hold after every wake and at the end of the year, and the words
# that tell what the device did about a fault. Each breach is a line that
# says when and what; the runner prints them with the seed that replays them.
import re

from replenish.store import decode

TOKEN = re.compile(r"Atz[ar]\|[A-Za-z0-9._~+/=%|-]{4,}")
# Files that hold secrets by design: the store's LWA records and the
# linking file (taken into the store and deleted at the next boot).
ALLOWED = re.compile(r"^(data/lwa_[a-z]+\.(rec|bak|tmp|mir)|secrets\.json|link\.json)$")
ENDINGS = ("sleep", "soft reset", "reset", "watchdog", "power cut")  # how a boot may end
MAX_WRITES_PER_DAY = 30
HEAP_GROWTH = 0.02  # of the median object count, over the whole run: "flat"...
HEAP_FLOOR = 100  # ...or this many objects, whichever is more
LEVEL_MARGIN = 0.15  # above the slot's low mark: no honest reading says low there
# Below its low mark with no order open: the year's faults (an account
# unlinked for up to 6 days, Wi-Fi down for up to 4, a cancelled order) may
# delay an order by days, never by this much.
DRY_S = 14 * 86400

# console words -> what the device did
REACTIONS = (
    ("re-synced the clock", ("clock set by SNTP",)),
    ("kept its running clock", ("the running clock goes on",)),
    ("waited for the clock, sent nothing", ("the clock is not set and SNTP failed",)),
    ("fell back to a good copy", ("using the previous value", "using its mirror",
                                  "mirror is written again")),
    ("backed off", ("next try in about", "retry in")),
    ("retried later (busy/Retry-After)", ("service busy or unreachable",)),
    ("reported the sensor faulty", ("faulty:",)),
    ("trusted the sensor again", ("readings are sane again",)),
    ("stopped sending until re-linked", ("tokens are erased", "nothing is sent")),
    ("took the new link", ("linked to the customer's Amazon account",)),
    ("counted a crash and reset", ("in a row:",)),
    ("slept off a crash loop", ("crashes in a row: sleeping",)),
    ("safe mode", ("safe mode",)),
    ("left the rest for the next wake", ("s are spent",)),
    ("reported what was owed", (": sent |",)),
)


# what may follow a fault of each group (plan.KINDS): the rest is another fault's doing
SAYS = {
    "power": ("re-synced the clock", "fell back to a good copy", "reported what was owed",
              "waited for the clock, sent nothing", "took the new link"),
    "clock": ("re-synced the clock", "kept its running clock",
              "waited for the clock, sent nothing", "reported what was owed"),
    "network": ("backed off", "retried later (busy/Retry-After)", "reported what was owed",
                "left the rest for the next wake", "counted a crash and reset"),
    "sensor": ("reported the sensor faulty", "trusted the sensor again",
               "reported what was owed"),
    "account": ("stopped sending until re-linked", "took the new link",
                "reported what was owed"),
    "storage": ("fell back to a good copy", "counted a crash and reset",
                "slept off a crash loop", "safe mode", "reported what was owed"),
}
SAYS["service"] = SAYS["network"]


def reactions(lines):
    found = set()
    for line in lines:
        for what, words in REACTIONS:
            if any(w in line for w in words):
                found.add(what)
    return found


def secrets_in(text, known):
    found = [m.group(0) for m in TOKEN.finditer(text)] + [s for s in known if s in text]
    return sorted(set(found))


def mask(secret):
    return "%s…(%d characters)" % (secret[:4], len(secret))


def scan_flash(fs, known):
    """[(file, masked secret)] for secrets outside the files that may hold them."""
    finds = []
    for name, data in sorted(fs.files.items()):
        if not ALLOWED.match(name):
            for secret in secrets_in(data.decode(errors="replace"), known):
                finds.append((name, mask(secret)))
    return finds


def refresh_token(fs):
    """The token the store holds (either copy), or None."""
    for ext in ("rec", "mir"):
        data = fs.files.get("data/lwa_refresh." + ext)
        if data is None:
            continue
        try:
            value = decode(data)
        except ValueError:
            continue
        if isinstance(value, dict) and "token" in value:
            return value["token"]
    return None


def overlapping_orders(orders):
    """Two orders open at once for one device's slot: [(slot, id, id)]."""
    out = []
    by_slot = {}
    for o in orders:
        by_slot.setdefault((o["device"], o["slot"]), []).append(o)
    for (_, slot), group in sorted(by_slot.items()):
        group.sort(key=lambda o: o["placed_at"])
        for a, b in zip(group, group[1:]):
            closed = a["closed_at"]
            if closed is None or closed > b["placed_at"]:
                out.append((slot, a["id"], b["id"]))
    return out


def trend(samples):
    """Least-squares growth over the run (last fitted minus first), and the median."""
    n = len(samples)
    if n < 2:
        return 0.0, samples[0] if samples else 0
    mean_x = (n - 1) / 2
    mean_y = sum(samples) / n
    sxy = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(samples))
    sxx = sum((i - mean_x) ** 2 for i in range(n))
    return sxy / sxx * (n - 1), sorted(samples)[n // 2]


def healthy_stretch(start, end, windows):
    """The longest time in [start, end) outside every (from, to) window."""
    edges = sorted((max(a, start), min(b, end)) for a, b in windows if b > start and a < end)
    best, at = 0, start
    for a, b in edges:
        best = max(best, a - at)
        at = max(at, b)
    return max(best, end - at)
