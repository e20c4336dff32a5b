"""One appliance's run in its own emulator and its own folder, so the
profiles can run side by side in separate processes; what the run printed
(deploying, the device's console) goes to a log file beside the trace."""

import json
import os
import sys
import tempfile
from pathlib import Path

from tools.bench import memory, trace
from tools.bench.appliances import appliance
from tools.emulator import Emulator
from tools.profiles import START


def run_appliance(name, days=None, heap="240k", inspect=None):
    """The trace of one appliance's run (a dict). inspect(flash, world,
    profile), when given, looks at the device after the run; its answer is
    the trace's "inspected"."""
    profile, days = appliance(name, days)
    with tempfile.TemporaryDirectory(prefix="bench-%s-" % name) as work:
        with Emulator(state_dir=Path(work) / "emulator", start=START) as emu:
            result = trace.run(emu, profile, work, days, heap)
        if inspect:
            result["inspected"] = inspect(Path(work) / "flash", Path(work) / "world", profile)
        return result


def run_to_file(name, days, heap, out):
    """For a worker process: its stdout and stderr go to <out>.log, the trace to out."""
    log = open(str(out) + ".log", "w")
    sys.stdout.flush()
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    result = run_appliance(name, days, heap)
    Path(out).write_text(json.dumps(result))
    return str(out)


def memory_rows(heap, cap, scan, step, high):
    """The memory and time rows, on the flash and world of a one-day printer run."""
    def inspect(flash, world, profile):
        return memory.memory(flash, world, profile.config["slots"], cap=cap, scan=scan,
                             step=step, high=high)
    return run_appliance("printer", 1, heap, inspect=inspect)["inspected"]
