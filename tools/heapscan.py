"""The smallest MicroPython heap the device's service side needs, measured.

A probe is one full wake of tests/host/device_wake.py ("wake" run: link,
refresh, subscription info, slot status for 4 slots, device status, two
replenishes, order info, cancel, deregister) under the unix port at
`-X heapsize=N`, against the emulator, with the subscription info answered
at the response cap (the emulator's `oversized` fault, sized so head and body
are exactly the cap). It runs from source and from .mpy files as deployed
(tools/compile_device.py).

The need is found by bisection, then every heap above it (in steps, up to
--high) is run too: heap need is not monotonic when the heap fragments, so a
size only counts if every size above it passes. Below the need a probe must
end in a typed failure (an error the firmware names), never an escaped
MemoryError or a crash.

    python -m tools.heapscan [--form source|mpy|both] [--low 64] [--high 200]
                             [--step 2] [--cap 8192] [--json out.json]

`scan()` is what a benchmark imports.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.compile_device import build

LIB = str(Path(__file__).resolve().parent.parent / "lib")
if LIB not in sys.path:
    sys.path.insert(0, LIB)  # `python -m tools.heapscan` from a fresh clone
from replenish.http import MAX_RESPONSE  # noqa: E402  (the cap the firmware holds to)

ROOT = Path(__file__).resolve().parent.parent
WAKE = ROOT / "tests" / "host" / "device_wake.py"
MARK = "@@wake "
SLOTS = ["ink-black", "ink-cyan", "ink-magenta", "ink-yellow"]
PROBE_TIMEOUT_S = 120


def micropython():
    exe = Path(sys.executable).with_name("micropython")
    return str(exe) if exe.exists() else "micropython"


def run_wake(cfg, heap_k, path, workdir, python=None):
    """device_wake.py's result for cfg under MicroPython at heap_k (or under
    `python`, a CPython, when given), or None when it printed none."""
    cfg_file = Path(workdir) / "wake.json"
    cfg_file.write_text(json.dumps(cfg))
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(path),
               PYTHONPATH=os.pathsep.join(path))
    cmd = ([python] if python else [micropython(), "-X", "heapsize=%dk" % heap_k])
    try:
        proc = subprocess.run(cmd + [str(WAKE), str(cfg_file)], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=PROBE_TIMEOUT_S)
    finally:
        cfg_file.unlink()  # it holds the device's secrets
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    return {"crash": (proc.stdout + proc.stderr).strip().splitlines()[-1:]}


class Probe:
    """Fresh emulator devices, one per run, and a wake on each."""

    def __init__(self, emu, workdir, cap):
        self.emu = emu
        self.workdir = workdir
        self.cap = cap
        self.mpy_lib = Path(workdir) / "mpy"
        errors = build(self.mpy_lib)
        if errors:
            raise SystemExit("mpy-cross failed: %s" % "; ".join(errors))
        # ".frozen": the unix port's own frozen modules (ssl among them).
        self.paths = {"source": [str(ROOT / "lib"), str(ROOT), ".frozen"],
                      "mpy": [str(self.mpy_lib / "lib"), str(ROOT), ".frozen"]}
        self.padding = self._padding_at_cap()

    def config(self, run):
        device = self.emu.control.create_device(slots=SLOTS)
        return {"run": run, "now": self.emu.control.clock()["now"],
                "ca_files": [self.emu.ca_der], "client_id": device["client_id"],
                "client_secret": device["client_secret"],
                "refresh_token": device["refresh_token"], "lwa_url": self.emu.lwa_url,
                "drs_url": self.emu.drs_url, "slot": SLOTS[0], "slots": SLOTS,
                "max_response": self.cap}

    def _fits(self, size):
        """Does a subscription info answer padded to `size` fit under the cap?"""
        self.emu.control.inject_fault("subscription_info", "oversized", size=size)
        cfg = dict(self.config("faults"), calls=1)
        result = run_wake(cfg, 0, self.paths["source"], self.workdir, python=sys.executable)
        self.emu.control.clear_faults()
        return result.get("seen") == [["ok"]]

    def _padding_at_cap(self):
        low, high = 0, self.cap  # fits, does not fit
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (mid, high) if self._fits(mid) else (low, mid)
        return low

    def outcome(self, form, heap_k):
        """'pass', 'typed <Error>' (the firmware named its failure) or
        'crash <what>' (a MemoryError escaped, or no result at all)."""
        self.emu.control.inject_fault("subscription_info", "oversized", size=self.padding)
        result = run_wake(self.config("wake"), heap_k, self.paths[form], self.workdir)
        self.emu.control.clear_faults()
        if "steps" in result:
            steps = dict(result["steps"])
            ok = steps.get("after_deregister") == "unlinked" and SLOTS[0] in steps.get(
                "subscription_info", {})
            return "pass" if ok else "typed wrong-result"
        if result.get("error") and result["error"] != "MemoryError":
            return "typed " + result["error"]
        return "crash " + (result.get("error") or " ".join(result.get("crash", [])))[:80]


def scan(form, low=64, high=200, step=2, cap=MAX_RESPONSE, probe=None):
    """{'form', 'need_k', 'monotonic', 'table': {heap_k: outcome}} for one form.
    need_k: the smallest heap at which it and every heap above it (in steps,
    up to high) pass; None if high itself fails."""
    if probe is None:
        with _probe(cap) as made:
            return scan(form, low, high, step, cap, made)
    table = {}

    def run(heap_k):
        if heap_k not in table:
            table[heap_k] = probe.outcome(form, heap_k)
        return table[heap_k] == "pass"

    if not run(high):
        return {"form": form, "need_k": None, "monotonic": False, "table": table}
    lo, hi = low, high  # lo: below the range or failing; hi: passing
    while hi - lo > step:
        mid = lo + (hi - lo) // 2 // step * step
        lo, hi = (lo, mid) if run(mid) else (mid, hi)
    for heap_k in range(hi, high + 1, step):  # every size above must pass too
        run(heap_k)
    failing = [k for k in table if k >= hi and table[k] != "pass"]
    need = max(failing) + step if failing else hi
    return {"form": form, "need_k": need, "monotonic": not failing, "cap": cap,
            "padding": probe.padding, "table": dict(sorted(table.items()))}


class _probe:
    """An emulator and a probe for the length of a scan."""

    def __init__(self, cap):
        self.cap = cap

    def __enter__(self):
        from tools.emulator import Emulator

        self.tmp = tempfile.TemporaryDirectory()
        self.emu = Emulator(state_dir=Path(self.tmp.name) / "emulator").__enter__()
        return Probe(self.emu, self.tmp.name, self.cap)

    def __exit__(self, *exc):
        self.emu.__exit__(*exc)
        self.tmp.cleanup()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--form", choices=("source", "mpy", "both"), default="both")
    parser.add_argument("--low", type=int, default=64, help="KB, the bottom of the search")
    parser.add_argument("--high", type=int, default=200, help="KB, the top: checked up to here")
    parser.add_argument("--step", type=int, default=2, help="KB between checked sizes")
    parser.add_argument("--cap", type=int, default=MAX_RESPONSE,
                        help="the response cap, bytes (the client's: %(default)s)")
    parser.add_argument("--json", help="write the results here as JSON")
    args = parser.parse_args(argv)
    forms = ("source", "mpy") if args.form == "both" else (args.form,)
    results = []
    with _probe(args.cap) as probe:
        for form in forms:
            result = scan(form, args.low, args.high, args.step, args.cap, probe)
            results.append(result)
            print("%s: need %sk%s (response at the cap: %d-byte body)" % (
                form, result["need_k"], "" if result["monotonic"] else ", NOT monotonic",
                probe.padding))
            for heap_k, outcome in result["table"].items():
                print("  %4dk  %s" % (heap_k, outcome))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0 if all(r["need_k"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
