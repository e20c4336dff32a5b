"""make bench: the firmware's cost on a battery, measured.

Runs each appliance (printer, coffee, pet-feeder) on the virtual device in
virtual time against the emulator over TLS on loopback, each in its own
process; prices what it did, the floor and the peer baseline on the same
household trace with the energy model (printed; --energy overrides); adds
the memory, time and fleet rows; checks the targets of issue 10 and says by
how much each is missed. Writes JSON and the Markdown table (docs/bench.md).

    python -m tools.bench [--profiles printer,coffee] [--days N] [--energy wifi_cold=3.0,120]
                          [--no-memory] [--no-scan] [--traces DIR [--reuse]]
"""

import argparse
import datetime
import json
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tools.bench import counts, energy, fleet, report
from tools.bench.appliances import APPLIANCES
from tools.bench.baseline import baseline
from tools.bench.floor import floor
from tools.bench.runner import memory_rows, run_to_file

ROOT = Path(__file__).resolve().parent.parent.parent


# Workers are spawned, not forked: a fork copies locks that the parent's
# threads (the pools' own, the emulator's) hold at that instant, and a worker
# then waits for ever on one of them when it returns its result.
SPAWN = multiprocessing.get_context("spawn")


def run_profiles(names, days, heap, folder):
    """{name: trace}, the runs side by side in worker processes."""
    with ProcessPoolExecutor(max_workers=len(names), mp_context=SPAWN) as pool:
        jobs = dict((name, pool.submit(run_to_file, name, days, heap,
                                       Path(folder) / ("%s.json" % name))) for name in names)
        return dict((name, json.loads(Path(job.result()).read_text()))
                    for name, job in jobs.items())


def price(trace, model):
    return {"days": trace["days"], "wall_s": trace["wall_s"],
            "this": counts.priced(counts.firmware(trace), trace, model),
            "floor": counts.priced(floor(trace), trace, model),
            "baseline": counts.priced(baseline(trace), trace, model)}


def measure(args, names, folder):
    """(traces, memory or None): the runs, or what --reuse finds in the folder."""
    saved = folder / "memory.json"
    if args.reuse:
        traces = dict((n, json.loads((folder / ("%s.json" % n)).read_text())) for n in names)
        return traces, (json.loads(saved.read_text()) if saved.exists() and not args.no_memory
                        else None)
    print("running %s on the virtual device (logs in %s)" % (", ".join(names), folder),
          flush=True)
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as side:
        mem = None if args.no_memory else side.submit(
            memory_rows, args.heap, args.cap, not args.no_scan, args.scan_step, args.scan_high)
        traces = run_profiles(names, args.days, args.heap, folder)
        mem = mem.result() if mem else None
    if mem:
        saved.write_text(json.dumps(mem))
    return traces, mem


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", default=",".join(APPLIANCES),
                        help="comma-separated, of %s" % ", ".join(APPLIANCES))
    parser.add_argument("--days", type=int, help="virtual days for every profile "
                        "(default: printer 365, coffee 56 = four 14-day bags, pet-feeder 365)")
    parser.add_argument("--heap", default="240k", help="the virtual device's heap (%(default)s)")
    parser.add_argument("--energy", action="append", metavar="EVENT=SECONDS,MA",
                        help="override an event of the energy model (sleep=UA); repeatable")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory and time rows")
    parser.add_argument("--no-scan", action="store_true", help="skip the heap bisection")
    parser.add_argument("--scan-step", type=int, default=2, help="KB (%(default)s)")
    parser.add_argument("--scan-high", type=int, default=200, help="KB (%(default)s)")
    parser.add_argument("--cap", type=int, default=16384, help="response cap, bytes")
    parser.add_argument("--traces", metavar="DIR", help="keep the runs' traces and logs here")
    parser.add_argument("--reuse", action="store_true",
                        help="price the traces (and memory.json) kept in --traces DIR")
    parser.add_argument("--json", default=str(ROOT / "build" / "bench.json"))
    parser.add_argument("--markdown", default=str(ROOT / "docs" / "bench.md"))
    args = parser.parse_args(argv)
    try:
        args.model = energy.Model(energy.parse_overrides(args.energy))
    except ValueError as err:
        parser.error(str(err))
    args.names = [n.strip() for n in args.profiles.split(",") if n.strip()]
    unknown = [n for n in args.names if n not in APPLIANCES]
    if unknown:
        parser.error("no profile %s: choose from %s" % (", ".join(unknown), ", ".join(APPLIANCES)))
    if args.reuse and not args.traces:
        parser.error("--reuse prices what --traces DIR holds: name the folder")
    return args


def main(argv=None):
    args = parse(argv)
    model = args.model
    print("energy model (override with --energy EVENT=SECONDS,MA):")
    for row in model.table():
        print("  %-14s %8s mA x %-5s s = %-7s mAs  %s" % (
            row["event"], row["mA"], row["s"] or "rest", row["mAs"] or "", row["what"]))
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        folder = Path(args.traces or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        traces, mem = measure(args, args.names, folder)
    results = {
        "date": datetime.date.today().isoformat(),
        "command": "python -m tools.bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "wall_s": round(time.monotonic() - began, 1),
        "energy_model": model.table(), "battery_mah": model.battery_mah,
        "profiles": dict((n, price(traces[n], model)) for n in args.names),
        "fleet": fleet.fleet(),
    }
    if mem:
        results["memory"] = mem
    results["targets"] = report.check(results)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    report.write_json(results, args.json)
    table = report.markdown(results)
    Path(args.markdown).write_text(table)
    print(table)
    print("targets:")
    for t in results["targets"]:
        print("  %-4s %s: %s%s" % ({True: "ok", False: "MISS", None: "-"}[t["met"]], t["what"],
                                   t["value"], " (%s)" % t["missed_by"] if t["missed_by"] else ""))
    print("written: %s, %s (%.0f s)" % (args.json, args.markdown, results["wall_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
