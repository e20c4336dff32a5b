"""The memory and time rows of the bench:

- heap need: tools/heapscan.py's scan() of a full 4-slot wake with a response
  at the cap, from source and from .mpy (bisection, then every size above);
- a quiet wake, run for real on the virtual device (tools/bench/quiet_wake.py
  in a copy of a short run's flash and world): the modules it imports and its
  boot-to-sleep time against a bare interpreter start;
- the heap free after those imports, the deployed .mpy alone on the unix port
  at the device's heap;
- the live set on a 32-bit VM (tools/wasm/liveset.mjs, the WebAssembly port
  under node): the pure parts of a quiet wake and of a full one, with a
  response at the cap read by the firmware's own reader from memory;
- the deployed .mpy's size, and what a quiet wake imports of it."""

import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tools import heapscan
from tools.compile_device import build
from tools.virtual_device import DEVICE_HEAP, micropython_command

ROOT = Path(__file__).resolve().parent.parent.parent
QUIET_WAKE = Path(__file__).with_name("quiet_wake.py")
WASM = ROOT / "tools" / "wasm"
MARK = "@@quiet "
# What a wake that talks adds to a quiet one: app.network() and the cycle's
# radio half import these, and they import the rest of the network side.
NETWORK_ROOTS = ("replenish.wifi", "replenish.sntp", "replenish.connector", "replenish.http",
                 "replenish.lwa", "replenish.drs")
IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\s+([\w, ()]+)|import\s+([\w.]+))", re.M)


def build_mpy(out):
    errors = build(out)
    if errors:
        raise RuntimeError("mpy-cross failed: %s" % "; ".join(errors))
    return Path(out) / "lib"


def mpy_sizes(lib):
    """{module name: bytes} of the deployed .mpy files."""
    return dict((".".join(p.relative_to(lib).with_suffix("").parts).replace(".__init__", ""),
                 p.stat().st_size) for p in sorted(Path(lib).rglob("*.mpy")))


def imported_by(module, known):
    """Device modules `module` imports anywhere in its source (lazy imports too)."""
    path = ROOT / "lib" / (module.replace(".", "/") + ".py")
    if not path.exists():  # a package
        path = path.with_suffix("") / "__init__.py"
    found = set()
    for frm, names, plain in IMPORT.findall(path.read_text()):
        if plain:
            found.add(plain)
            continue
        found.add(frm)
        for name in names.replace("(", "").replace(")", "").split(","):
            found.add("%s.%s" % (frm, name.strip()))
    return sorted(m for m in found if m in known)


def full_wake_modules(quiet, known):
    """A quiet wake's modules plus the network side and all it imports."""
    todo, seen = list(NETWORK_ROOTS), set(quiet)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(imported_by(module, known))
    return sorted(seen)


def _env(flash, world, paths):
    return dict(os.environ, MICROPYPATH=os.pathsep.join(str(p) for p in paths),
                VIRTUAL_WORLD=str(world))


def quiet_wake(flash, world, runs=5, tries=4):
    """A quiet wake on a copy of this flash and world: {"modules", "boot_to_sleep_ms"}.
    A wake that wants the radio is tried an hour later, up to `tries` times."""
    with tempfile.TemporaryDirectory(prefix="bench-quiet-") as tmp:
        flash_copy, world_copy = Path(tmp) / "flash", Path(tmp) / "world"
        shutil.copytree(flash, flash_copy)
        shutil.copytree(world, world_copy)
        env = _env(flash_copy, world_copy, [flash_copy / "lib", flash_copy, ROOT, ".frozen"])
        for _ in range(tries):
            results = [_quiet_once(flash_copy, env) for _ in range(runs)]
            if all(r["quiet"] for r in results):
                return {"modules": results[0]["modules"],
                        "boot_to_sleep_ms": round(statistics.median(
                            r["us"] for r in results) / 1000, 1)}
            state_file = world_copy / "world.json"
            state = json.loads(state_file.read_text())
            state["us"] += 3600 * 10 ** 6
            state_file.write_text(json.dumps(state))
    raise RuntimeError("no quiet wake in %d hours after the run" % tries)


def _quiet_once(flash, env):
    proc = subprocess.run([micropython_command(), "-X", "heapsize=1m", str(QUIET_WAKE)],
                          cwd=flash, env=env, capture_output=True, text=True, timeout=60)
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise RuntimeError("the quiet wake printed no result: %s" % (proc.stdout + proc.stderr)[-400:])


def bare_start_ms(runs=5):
    """A bare interpreter's start to exit, wall time (median)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([micropython_command(), "-c", "pass"], check=True)
        times.append(time.perf_counter() - began)
    return round(statistics.median(times) * 1000, 1)


def heap_after_imports(lib, modules, heap=DEVICE_HEAP):
    """{"free", "alloc"} bytes after importing `modules` from the .mpy alone."""
    code = "import gc\n%s\ngc.collect()\nprint(gc.mem_free(), gc.mem_alloc())\n" % "\n".join(
        "import " + m for m in modules)
    proc = subprocess.run([micropython_command(), "-X", "heapsize=" + heap, "-c", code],
                          env=dict(os.environ, MICROPYPATH=os.pathsep.join([str(lib), ".frozen"])),
                          capture_output=True, text=True, timeout=60)
    if proc.returncode:
        raise RuntimeError("imports failed at %s: %s" % (heap, (proc.stdout + proc.stderr)[-300:]))
    free, alloc = proc.stdout.split()
    return {"heap": heap, "free": int(free), "alloc": int(alloc)}


WASM_STEPS = """
import json
try:
    import socket, ssl
except ImportError:  # no network in the WebAssembly port: empty stand-ins, so the code loads
    class StandIn:
        pass
    sys.modules["socket"] = StandIn()
    sys.modules["ssl"] = StandIn()
"""


def response_at_cap(cap, slots):
    """A subscription info answer of exactly `cap` bytes, head and body: the
    slots' answer padded as the emulator's `oversized` fault pads it."""
    head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    obj = {"slots": dict((s["id"], {"subscribed": True}) for s in slots), "padding": ""}
    size = cap - len(head % cap)
    obj["padding"] = "x" * (size - len(json.dumps(obj)))
    body = json.dumps(obj)
    return (head % len(body)) + body


def liveset_32bit(lib, quiet, full, slots, cap):
    """The live set after each step of a wake's pure parts on the 32-bit VM."""
    files = dict(("/lib/" + p.relative_to(lib).as_posix(),
                  base64.b64encode(p.read_bytes()).decode()) for p in Path(lib).rglob("*.mpy"))
    now = 1767225600
    response = response_at_cap(cap, slots).encode()
    head, tail = response.split(b"x" * 64, 1)[0], b'"}'
    padding = len(response) - len(head) - len(tail)
    steps = [
        ["stand-ins", WASM_STEPS],
        ["quiet wake's imports", "\n".join("import " + m for m in quiet)],
        ["slots updated", "from replenish.slots import Slot\nslots = [Slot(c) for c in %s]\n"
         "for i in range(24):\n    level = 0.9 - i / 100\n    for s in slots:\n"
         "        s.update(%d + i * 3600, value=level if s.unit_g is None else "
         "s.container_g + level * s.capacity * s.unit_g)" % (json.dumps(slots), now)],
        ["policy decided", "from replenish import policy\nviews = [{'id': s.id, 'faulty': None, "
         "'low': s.low, 'consumed': True} for s in slots]\nactions = policy.decide(%d, views, "
         "{}, policy.RULES, %d)" % (now + 86400, now + 86400)],
        ["JSON bodies", "bodies = [json.dumps(s.status_body(%d)) for s in slots]" % (now + 86400)],
        ["full wake's imports", "\n".join("import " + m for m in full if m not in quiet)],
        ["response at the cap", "from replenish.http_reader import ResponseReader\n"
         "class Conn:\n    def __init__(self, data):\n        self.data, self.at = data, 0\n"
         "    def readinto(self, buf):\n        n = min(len(buf), len(self.data) - self.at)\n"
         "        buf[:n] = self.data[self.at:self.at + n]\n"
         "        self.at += n\n        return n\n"
         "reader = ResponseReader(lambda step, host: None, %d)\n"
         # built at run time: a 16 KB literal would stay in the heap as a constant
         "conn = Conn(%r + b'x' * %d + %r)\nresp, keep = reader.read(conn, 'drs', 'GET')\n"
         "answer = resp.json()\nassert len(answer['padding']) > %d\n"
         "del conn  # the stand-in server's copy is not the device's" % (
             cap, head, padding, tail, cap // 2)],
    ]
    ensure_node_package()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
        json.dump({"files": files, "path": ["/lib"], "steps": steps}, spec)
    try:
        proc = subprocess.run(["node", str(WASM / "liveset.mjs"), spec.name], cwd=WASM,
                              capture_output=True, text=True, timeout=300)
    finally:
        os.unlink(spec.name)
    if proc.returncode:
        raise RuntimeError("node: %s" % proc.stderr[-500:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["response_bytes"] = len(response)
    return result


def ensure_node_package():
    """npm ci from the committed lockfile, once (make bench does it too)."""
    if not (WASM / "node_modules" / "@micropython").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WASM, check=True)


def heap_need(step=2, high=200, cap=16384):
    return dict((form, heapscan.scan(form, high=high, step=step, cap=cap))
                for form in ("source", "mpy"))


def memory(flash, world, slots, cap=16384, scan=True, step=2, high=200):
    """Every memory and time figure, given a bench run's flash and world."""
    with tempfile.TemporaryDirectory(prefix="bench-mpy-") as tmp:
        lib = build_mpy(tmp)
        sizes = mpy_sizes(lib)
        quiet = quiet_wake(flash, world)
        device = [m for m in quiet["modules"] if m in sizes]
        full = full_wake_modules(device, sizes)
        out = {
            "mpy_total_bytes": sum(sizes.values()), "mpy_files": len(sizes),
            "quiet_modules": device, "quiet_mpy_bytes": sum(sizes[m] for m in device),
            "full_modules": full, "full_mpy_bytes": sum(sizes[m] for m in full),
            "heap_after_quiet_imports": heap_after_imports(lib, device),
            "quiet_boot_to_sleep_ms": quiet["boot_to_sleep_ms"],
            "bare_start_ms": bare_start_ms(),
            "liveset_32bit": liveset_32bit(lib, device, full, slots, cap),
        }
    out["quiet_over_bare"] = round(out["quiet_boot_to_sleep_ms"] / out["bare_start_ms"], 1)
    if scan:
        out["heap_need"] = heap_need(step, high, cap)
    return out
