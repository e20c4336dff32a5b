"""One appliance's run on the virtual device (tools/run.py's
run_virtual_device: battery, deep sleep as a fresh process per wake) against
the emulator over TLS on loopback, and what it recorded:

- per wake, from the board's world between processes: its start and end in
  virtual time, the RTC memory before and after (a Wi-Fi cache present before
  a radio wake and unchanged after it is a fast join; a new SNTP time is a
  sync), and the files the wake changed in the flash (the store's writes);
- per wake, from the serial console: the wake line (each slot's quantity and
  state, radio on or off, the outcome) and the events it printed;
- from the emulator: every request (host, connection, endpoint, time), its
  TLS handshake counts, and the orders.

The household trace that floor.py and baseline.py price is derived from
these records, not assumed."""

import hashlib
import re
import time
from pathlib import Path
from unittest import mock

import tools.run
from replenish.clock import parse_iso8601
from replenish.rtcmem import RtcMemory
from tools.profiles import START
from tools.virtual_device import VirtualDevice

SERVICE_HOSTS = ("lwa", "drs")  # the emulator's control port is the bench's, not the device's
BANNER = re.compile(r"^replenish \S+ on .+ - (\S+)$")
WAKE = re.compile(r"^wake (\S+) \| (.*) \| (?:radio off|radio ([\d.]+) s): (\S+) \| next wake")
SLOT = re.compile(r"^(\S+) (\d+)% \((-?[\d.]+) \S+\) (.*)$")
FAULTY = re.compile(r"^(\S+) (faulty: .*|no reading yet)$")
NEW_CONTAINER = re.compile(r"^slot (\S+): a new container")


class _Raw:
    """RTC memory's bytes as a board hands them to replenish.rtcmem."""

    def __init__(self, raw):
        self.raw = raw

    def rtc_memory(self, data=None):
        return self.raw


def rtc_contents(world, state):
    """What the firmware kept in RTC memory, as a dict (empty after a power
    cut). The board keeps it in the world folder's rtc.bin (formerly as hex
    in world.json's "rtc")."""
    if not state or not state.get("rtc"):
        return {}
    if len(state["rtc"]) > 2:
        raw = bytes.fromhex(state["rtc"][2] or "")
    else:
        path = Path(world) / "rtc.bin"
        raw = path.read_bytes() if path.exists() else b""
    return RtcMemory(_Raw(raw))._load() if raw else {}


def flash_files(root):
    """{relative path: (size, digest)} of the device's own files (not the code)."""
    out = {}
    for path in Path(root).rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(("lib/", "certs/")):
            data = path.read_bytes()
            out[rel] = (len(data), hashlib.sha1(data).hexdigest())
    return out


def flash_writes(before, after):
    """[(file, bytes)] written between two snapshots. A store record is written
    as <key>.tmp then renamed; the .bak it leaves is the old record renamed,
    not a write."""
    return [(name, size) for name, (size, digest) in sorted(after.items())
            if not name.endswith(".bak") and before.get(name, (None, None))[1] != digest]


class Recorder:
    """The run's records, filled by RecordingDevice and the console."""

    def __init__(self, emu):
        self.emu = emu
        self.wakes = []
        self.text = bytearray()
        self.link_requests = None
        self.link_stats = None

    def console(self, data):
        self.text.extend(data)

    def lines(self):
        return self.text.decode("utf-8", "replace").replace("\r", "").split("\n")


def recording_device(recorder):
    class RecordingDevice(VirtualDevice):
        """The virtual device, with the world and the flash looked at
        around each wake."""

        def wake(self, hung_s=None):
            if recorder.link_requests is None:  # linking is over: what follows is the device's
                recorder.link_requests = len(recorder.emu.control.requests())
                recorder.link_stats = recorder.emu.connection_stats()
            before, files = self.world_state(), flash_files(self.flash)
            rtc_before = rtc_contents(self.world, before)
            ended = VirtualDevice.wake(self, hung_s)
            after = self.world_state()
            recorder.wakes.append({
                "start": before["us"] // 10 ** 6 if before else START,
                "end": after["us"] // 10 ** 6 if after else None, "ended": ended,
                "rtc_before": rtc_before, "rtc_after": rtc_contents(self.world, after),
                "writes": flash_writes(files, flash_files(self.flash))})
            return ended

    return RecordingDevice


def run(emu, profile, work, days, heap):
    """Run the appliance; the trace as a JSON-able dict."""
    recorder = Recorder(emu)
    began = time.monotonic()
    with mock.patch.object(tools.run, "VirtualDevice", recording_device(recorder)):
        tools.run.run_virtual_device(emu, profile, work, days, battery=True, heap=heap,
                                     console=recorder.console)
    wall_s = time.monotonic() - began
    requests = emu.control.requests()
    if len(requests) >= 10000:
        raise RuntimeError("the emulator's request log (10000 entries) overflowed: "
                           "run fewer days")
    stats = emu.connection_stats()
    handshakes = dict((host, stats[host]["tls_handshakes"]
                       - recorder.link_stats[host]["tls_handshakes"]) for host in SERVICE_HOSTS)
    wakes = merge_console(recorder.wakes, recorder.lines())
    return {"profile": profile.name, "days": days, "start": START, "wall_s": round(wall_s, 1),
            "slots": slot_specs(profile), "serial": profile.serial,
            "report_s": profile.config.get("report_s", 86400),
            "measure_every_s": profile.config["measure_every_s"],
            "wakes": wakes, "handshakes": handshakes,
            "requests": [slim(r) for r in requests[recorder.link_requests:]
                         if r["host"] in SERVICE_HOSTS],
            "orders": emu.control.orders()}


def slot_specs(profile):
    out = []
    for slot in profile.config["slots"]:
        capacity = slot["capacity"]
        out.append({"id": slot["id"], "sensor": slot["sensor"]["type"],
                    "rate": slot["sensor"].get("rate", 10), "capacity": capacity,
                    "deadband": slot.get("deadband", capacity * 0.01)})
    return out


def slim(request):
    """What the bench needs of a recorded request (grant type from the masked body)."""
    body = request.get("body") or ""
    return {"time": parse_iso8601(request["time"]), "host": request["host"],
            "connection": request["connection"], "endpoint": request["endpoint"],
            "status": request["status"], "grant": "grant_type=refresh_token" in body}


def merge_console(processes, lines):
    """Each recorded process with its console (a banner starts a process's
    lines), then the processes grouped into the device's wakes: a wake that
    talks is two boots (the radio half follows a soft reset) and ends at the
    one that prints the wake line and sleeps."""
    blocks = []
    for line in lines:
        banner = BANNER.match(line)
        if banner:
            blocks.append({"cause": banner.group(1), "lines": []})
        elif blocks:
            blocks[-1]["lines"].append(line)
    if len(blocks) != len(processes):
        raise RuntimeError("%d processes ran but the console shows %d boots: the console "
                           "and the world disagree" % (len(processes), len(blocks)))
    wakes, current = [], []
    for process, block in zip(processes, blocks):
        process.update(cause=block["cause"], lines=block["lines"])
        current.append(process)
        if process["ended"] != "soft-reset":
            wakes.append(device_wake(current))
            current = []
    if current:
        wakes.append(device_wake(current))
    return wakes


def device_wake(processes):
    first, last = processes[0], processes[-1]
    wake = {"start": first["start"], "end": last["end"], "ended": last["ended"],
            "boots": len(processes), "cause": first["cause"],
            "rtc_before": first["rtc_before"], "rtc_after": last["rtc_after"],
            "writes": [w for p in processes for w in p["writes"]]}
    wake.update(parse_lines([line for p in processes for line in p["lines"]]))
    return wake


def parse_lines(lines):
    out = {"line": None, "radio": False, "outcome": None, "slots": {}, "new_containers": []}
    for line in lines:
        found = NEW_CONTAINER.match(line)
        if found:
            out["new_containers"].append(found.group(1))
        wake = WAKE.match(line)
        if not wake:
            continue
        out["line"] = wake.group(1)
        out["radio"] = wake.group(3) is not None
        out["outcome"] = wake.group(4)
        for part in wake.group(2).split(" | "):
            slot = SLOT.match(part)
            if slot:
                out["slots"][slot.group(1)] = {"q": float(slot.group(3)),
                                               "low": "low" in slot.group(4).split(", ")}
            else:
                faulty = FAULTY.match(part)
                if faulty:
                    out["slots"][faulty.group(1)] = {"q": None, "low": False}
    return out
