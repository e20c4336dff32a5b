"""The timeline of a `make run`: what the device said on its console and what
the emulator did with its orders, in time order, as JSON lines and as a
picture of each slot's level.

Records (one JSON object a line, `t` in Unix seconds, `time` in ISO 8601):
  {"type": "device", "device": serial, "test_device": bool, "start": t,
   "slots": [{"id", "capacity", "low", "unit"}]}          one per device run
  {"type": "wake", "device", "t", "time", "outcome", "radio_s",
   "slots": {id: {"level": % or null, "quantity": units or null, "state": words}}}
  {"type": "event", "device", "t", "time", "kind", "slot", "source", "text"}
event kinds: report (a slot status sent), device status, order placed,
shipped, delivered, cancelled (from the emulator's order log, at the moment
they happened), refill (the device saw a new container), fault, power cut,
note (any other console line: clock set, service busy, ...).

The console gives no time on its own lines: a wake's lines come before its
wake line, so each is stamped with the time of the wake line that follows.
"""

import json
import re
from datetime import datetime, timezone
from pathlib import Path

WAKE = re.compile(r"^wake (\S+) \| (.*) \| radio (off|[\d.]+ s): (.*?) \| next wake ")
LEVEL = re.compile(r"^(\S+) (\d+)% \(([-\d.]+) [^)]*\) (.+)$")
SENT = re.compile(r"^sent (slot_status|device_status)(?: (\S+))?$")
SLOT_LINE = re.compile(r"^slot (\S+): (.*)$")
# Console lines that say nothing about this run's story.
QUIET = ("replenish ", "household: ", "linked to the customer", "sent subscription_info",
         "sent order_info", "sent replenish")


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc).timestamp())


def slot_levels(segments):
    """{"cyan 92% (91.7 units) ok", "kibble faulty: unplugged"} -> {id: level}"""
    levels = {}
    for segment in segments:
        m = LEVEL.match(segment)
        if m:
            levels[m.group(1)] = {"level": int(m.group(2)), "quantity": float(m.group(3)),
                                  "state": m.group(4)}
        else:
            slot, _, state = segment.partition(" ")
            levels[slot] = {"level": None, "quantity": None, "state": state}
    return levels


def console_event(line):
    """(kind, slot) for a console line that is part of the story, or None."""
    m = SENT.match(line)
    if m:
        return ("report", m.group(2)) if m.group(1) == "slot_status" else ("device status", None)
    m = SLOT_LINE.match(line)
    if m and m.group(2).startswith("a new container"):
        return "refill", m.group(1)
    if m and m.group(2).startswith("faulty"):
        return "fault", m.group(1)
    if line.startswith(QUIET) or m and "order" in m.group(2):
        return None  # order lines: the emulator's log gives their true times
    return "note", m.group(1) if m else None


class Timeline:
    def __init__(self):
        self.records = []
        self.device = None
        self._partial = b""
        self._pending = []  # this wake's console events, until its wake line gives the time
        self._last_t = None

    def begin(self, serial, test_device, start, config):
        """The records that follow are this device's."""
        self.flush()
        self.device = serial
        self._last_t = start
        self.records.append({
            "type": "device", "device": serial, "test_device": test_device, "start": start,
            "slots": [{"id": s["id"], "capacity": s["capacity"], "low": s.get("low"),
                       "unit": s.get("unit", "units")} for s in config["slots"]]})

    def console(self, data):
        """Bytes from the serial console, as they arrive."""
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for raw in lines:
            self.line(raw.decode("utf-8", "replace").strip())

    def line(self, text):
        m = WAKE.match(text)
        if m:
            t = parse_time(m.group(1))
            radio = m.group(3)
            self._add({"type": "wake", "t": t, "outcome": m.group(4),
                       "radio_s": 0.0 if radio == "off" else float(radio[:-2]),
                       "slots": slot_levels(m.group(2).split(" | "))})
            self._last_t = t
            for kind, slot, words in self._pending:
                self.event(t, kind, slot, "console", words)
            self._pending = []
            return
        found = console_event(text) if text else None
        if found:
            self._pending.append((found[0], found[1], text))

    def event(self, t, kind, slot=None, source="runner", text=""):
        self._add({"type": "event", "t": t, "kind": kind, "slot": slot, "source": source,
                   "text": text})

    def _add(self, record):
        record["device"] = self.device
        record["time"] = iso(record["t"])
        self.records.append(record)

    def orders(self, orders, key):
        """The emulator's orders of one device (its key), each step at the
        moment it happened."""
        for o in orders:
            if o["device"] != key:
                continue
            kind = "test order placed" if o["test"] else "order placed"
            steps = [(o["placed_at"], kind)]
            if o["state"] in ("shipped", "delivered") and o["ship_at"]:
                steps.append((o["ship_at"], "shipped"))
            if o["state"] == "delivered":
                steps.append((o["closed_at"], "delivered"))
            if o["state"] == "cancelled":
                steps.append((o["closed_at"], "cancelled"))
            for t, step in steps:
                self.event(int(t), step, o["slot"], "emulator",
                           "order %s: %s" % (o["id"][-12:], step))

    def flush(self):
        """Console events after the last wake line keep the last known time."""
        for kind, slot, words in self._pending:
            self.event(self._last_t, kind, slot, "console", words)
        self._pending = []

    def sorted(self):
        self.flush()
        # Stable: a device record stays first among its own.
        return sorted(self.records, key=lambda r: (r["type"] != "device", r.get("t", 0)))

    def write(self, folder):
        """timeline.jsonl and timeline.png in `folder`: their paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        records = self.sorted()
        jsonl = folder / "timeline.jsonl"
        jsonl.write_text("".join(json.dumps(r) + "\n" for r in records))
        png = folder / "timeline.png"
        draw(records, png)
        return jsonl, png


# How each event is marked on a slot's level: marker, colour, label.
MARKS = {
    "order placed": ("^", "tab:orange", "order placed"),
    "test order placed": ("^", "tab:purple", "test order placed"),
    "shipped": (">", "tab:blue", "shipped"),
    "delivered": ("v", "tab:green", "delivered"),
    "cancelled": ("X", "tab:red", "cancelled"),
    "fault": ("x", "black", "fault"),
}


def draw(records, path):
    """A PNG: per device, each slot's level over time, its low mark, and its
    reports, orders, refills and faults; power cuts across every slot."""
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    panels = []  # (device record, slot)
    for device in (r for r in records if r["type"] == "device"):
        mine = [r for r in records if r.get("device") == device["device"]]
        ordered = set(r["slot"] for r in mine if r["type"] == "event" and "order" in r["kind"])
        for slot in device["slots"]:
            # A test device's run is there for its test order: only slots with one are drawn.
            if not device["test_device"] or slot["id"] in ordered:
                panels.append((device, slot, mine))
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 1.9 * len(panels) + 0.8),
                             squeeze=False)
    seen = {}
    for i, (device, slot, mine) in enumerate(panels):
        _draw_slot(axes[i, 0], device, slot, mine, seen)
        if i + 1 == len(panels) or panels[i + 1][0] is not device:  # under a device's last
            axes[i, 0].set_xlabel("virtual %s since %s was powered on" % (
                x_unit(device)[1], device["device"]), fontsize=8)
    fig.legend(seen.values(), seen.keys(), loc="upper center", ncol=len(seen), fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def x_unit(device):
    """A month reads in days; a test unit's day in hours."""
    return (3600, "hours") if device["test_device"] else (86400, "days")


def _draw_slot(ax, device, slot, mine, seen):
    start, sid = device["start"], slot["id"]
    unit_s = x_unit(device)[0]

    def day(t):
        return (t - start) / unit_s

    wakes = [(day(r["t"]), r["slots"][sid]) for r in mine
             if r["type"] == "wake" and sid in r["slots"]]
    xs = [x for x, s in wakes if s["quantity"] is not None]
    ys = [100 * s["quantity"] / slot["capacity"] for _, s in wakes if s["quantity"] is not None]
    line = ax.plot(xs, ys, drawstyle="steps-post", color="tab:gray", lw=1.4)[0]
    seen.setdefault("level", line)
    if slot.get("low") is not None:
        seen.setdefault("low mark", ax.axhline(100 * slot["low"] / slot["capacity"],
                                               color="tab:red", ls=":", lw=1))

    def level_at(x):
        before = [y for wx, y in zip(xs, ys) if wx <= x]
        return before[-1] if before else (ys[0] if ys else 50)

    events = [r for r in mine if r["type"] == "event"]
    for r in events:
        x = day(r["t"])
        if r["kind"] == "power cut":
            seen.setdefault("power cut", ax.axvline(x, color="black", ls="--", lw=1))
        if r["slot"] != sid:
            continue
        if r["kind"] == "report":
            seen.setdefault("slot status sent", ax.plot([x], [-4], "|", color="tab:blue",
                                                        ms=6)[0])
        elif r["kind"] == "refill":
            seen.setdefault("new container", ax.axvline(x, color="tab:green", lw=1, alpha=0.6))
        elif r["kind"] in MARKS:
            marker, colour, label = MARKS[r["kind"]]
            seen.setdefault(label, ax.plot([x], [level_at(x)], marker, color=colour, ms=8,
                                           mec="black", mew=0.5)[0])
    ax.set_ylim(-10, 108)
    ax.set_ylabel("%")
    end = max([day(r["t"]) for r in mine if "t" in r] + [1])
    ax.set_xlim(-end / 100, end)
    who = "test device " if device["test_device"] else ""
    ax.set_title("%s%s: %s (%s %s full)" % (who, device["device"], sid, _num(slot["capacity"]),
                                          slot["unit"]), fontsize=9, loc="left")
    ax.grid(alpha=0.3)


def _num(x):
    return ("%d" % x) if x == int(x) else ("%g" % x)
