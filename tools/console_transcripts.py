"""The REPL helpers (lib/replenish/repl.py) run on the virtual device as on a
board: docs/console.md is written from these runs, and
tests/host/test_repl_mpremote.py drives the same session.

    python -m tools.console_transcripts        # writes docs/console.md again

A ReplSession starts the emulator (HTTPS, SNTP, the clock link), links an
example appliance through the consent page as a test device (tools/run.py's
prepare()), with its fastest slot nearly empty, deploys the firmware with
tools/deploy.py and powers the virtual device in REPL mode
(VirtualDevice.repl(): the board built, the app held back, as in safe mode).
Each helper then runs through `mpremote connect <pty> resume exec ...`.
"""

import contextlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

LIB = str(Path(__file__).resolve().parent.parent / "lib")
if LIB not in sys.path:
    sys.path.insert(0, LIB)  # `python -m tools.console_transcripts` from a fresh clone

from tools.deploy import deploy  # noqa: E402
from tools.emulator import Emulator  # noqa: E402
from tools.emulator.sntp import SntpResponder  # noqa: E402
from tools.profiles import ROOT, START, Profile  # noqa: E402
from tools.run import ClockLink, nearly_empty_world, prepare  # noqa: E402
from tools.virtual_device import VirtualDevice  # noqa: E402

HEAP = "240k"  # a radio wake's need today (tools/run.py --heap); 144k once the heap work lands
DAYS = 30  # the world's length: the REPL's clock runs on, the world must outlast it
DOC = ROOT / "docs" / "console.md"
# Defined in the REPL once: plays the person a guided calibration talks to, on
# the virtual household's load cell (tools/sim/virtual.py): it empties the
# cell, puts the weight on, answers the last question, and puts the household's
# container back. The cell's output is noisy, as a real one is.
PERSON = """
import virtual_board
from tools.sim.noise import Noise
def person(index, uv_per_g, grams, keep="y"):
    cell = virtual_board.board.household.models[index][1]
    noise = Noise(0.05)
    def weighs(g):
        return lambda channel: cell.tare_uv + g * uv_per_g + noise()
    def answer(prompt):
        if prompt.startswith("1."):
            cell.chip.source = weighs(0)
        elif prompt.startswith("2."):
            cell.chip.source = weighs(grams)
        else:
            noisy()
            return keep
        return ""
    return answer
def noisy():
    # The virtual household's cells put out one exact value, which the
    # firmware rightly takes for a stuck sensor: a real cell is noisy.
    for entry in virtual_board.board.household.models:
        cell = entry[1]
        if hasattr(cell, "chip"):
            noise = Noise(0.05)
            cell.chip.source = lambda channel, cell=cell, noise=noise: cell(channel) + noise()
def emptied(index, call):
    cell = virtual_board.board.household.models[index][1]
    noise = Noise(0.05)
    cell.chip.source = lambda channel: cell.tare_uv + noise()
    try:
        call()
    finally:
        noisy()
noisy()
"""
# The crash count and crash.log eight crashed wakes in a row leave behind.
CRASH_LOOP = """
from replenish import crashes, repl_device
dev = repl_device.Device()
loop = crashes.Crashes(dev.board, dev.store, dev.rtc, lambda text: None)
for _ in range(crashes.SAFE_AFTER):
    loop.record(RuntimeError("the HX711 on GPIO26 stopped answering"))
"""


class ReplSession:
    def __init__(self, work, profile="washer", heap=HEAP):
        self.work = Path(work)
        self.profile = Profile(profile)
        self.heap = heap
        self.heard = bytearray()  # what the board printed, REPL answers included
        self._stack = contextlib.ExitStack()

    def __enter__(self):
        stack = self._stack
        self.emu = stack.enter_context(Emulator(state_dir=self.work / "emulator", start=START))
        clock_link = ClockLink(self.emu)
        stack.callback(clock_link.close)
        sntp = SntpResponder(self.emu.state.now).start()
        stack.callback(sntp.stop)
        staging, world, self.config = prepare(
            self.emu, self.profile, self.work, DAYS, clock_link.port, sntp.port, battery=True,
            test_device=True, serial=self.profile.serial, start=START)
        self.world = world
        self.nearly_empty = nearly_empty_world(world, self.profile, START)
        self.dev = stack.enter_context(VirtualDevice(self.work / "flash", heap=self.heap,
                                                     world_dir=world))
        if not deploy(self.dev.port, staging, self.work):
            raise RuntimeError("deploying to the virtual device failed")
        self.dev.console = self.heard.extend
        self.repl()
        return self

    def repl(self):
        """The device in REPL mode, the person's script defined there."""
        self.dev.repl()
        self.exec(PERSON)

    def __exit__(self, *exc):
        self._stack.close()

    def exec(self, code, timeout=180):
        """Runs code at the device's REPL; what it printed."""
        cmd = [str(Path(sys.executable).with_name("mpremote")), "connect", self.dev.port,
               "resume", "exec", code]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError("mpremote exec failed (%d): %s%s" % (
                done.returncode, done.stdout[-2000:], done.stderr[-2000:]))
        return done.stdout.replace("\r\n", "\n").rstrip("\n")

    def helper(self, call):
        """One helper, e.g. 'r.status()', as a person types it."""
        return self.exec("import replenish.repl as r\n" + call)

    def wake(self):
        """One wake of the app (a reset ends the REPL), then the REPL again:
        what the wake printed, and how it ended."""
        start = len(self.heard)
        ended = self.dev.wake()
        printed = bytes(self.heard[start:]).decode(errors="replace").replace("\r\n", "\n")
        self.repl()
        return printed, ended

    def slot_index(self, slot_id):
        return [s["id"] for s in self.config["slots"]].index(slot_id)

    def uv_per_g(self, slot_id):
        """The virtual cell's µV per gram: its full container is capacity × unit_g grams."""
        spec = json.loads((self.world / "virtual.json").read_text())["slots"][
            self.slot_index(slot_id)]
        slot = self.config["slots"][self.slot_index(slot_id)]
        return (spec["full_uv"] - spec["tare_uv"]) / (slot["capacity"] * slot.get("unit_g", 1))

    def calibrate(self, slot_id, grams, keep="y"):
        """r.calibrate(slot_id, grams) with the person playing along."""
        return self.helper("r.calibrate(%r, %r, answers=person(%d, %r, %r, %r))" % (
            slot_id, grams, self.slot_index(slot_id), self.uv_per_g(slot_id), grams, keep))

    def tare_emptied(self, slot_id):
        """r.tare(slot_id) with the cell emptied first."""
        return self.helper("emptied(%d, lambda: r.tare(%r))" % (self.slot_index(slot_id),
                                                                 slot_id))

    def crash_loop(self):
        self.exec(CRASH_LOOP)


# (heading, what to say about it, what is typed, how the session runs it)
WASHER = [
    ("r.status()", "Every slot, the link, open orders and the next radio session, as the "
     "device believes them. Right after deployment: `link.json` is taken, the clock is not "
     "set yet and no slot has been read.", 'r.status()', None),
    ("r.report()", "The daily session now: one wake with the radio. Here the first one: SNTP "
     "sets the clock, the slots are read, the service hears everything, and the detergent, "
     "nearly empty, is ordered (a test order: this unit is linked as a test device).",
     'r.report()', None),
    ("r.status()", "After the session.", 'r.status()', None),
    ("r.orders()", "Open orders from the device's memory, then what DRS says of each "
     "(getOrderInfo).", 'r.orders()', None),
    ("r.raw(slot)", "The sensor's raw reading (HX711 counts, or µV for a probe) and what a "
     "wake reads from it with the calibration it has.", 'r.raw("softener")', None),
    ("r.tare(slot)", "What is on the cell now becomes zero (here the virtual cell was emptied "
     "first).", 'r.tare("softener")', "tare"),
    ("r.calibrate(slot, grams)", "Guided: it says what to do and waits for Enter at each step; "
     "nothing is kept unless you say yes. On the virtual device a script played the person "
     "(`answers=` takes a list of replies, or a function of the prompt, instead of the "
     "keyboard).", 'r.calibrate("softener", 500)', "calibrate"),
    ("r.calibrate(slot, grams), declined", "Answered no: the calibration the slot had stays.",
     'r.calibrate("softener", 500)', "decline"),
    ("r.cancel_test_orders(slot=None)", "Cancels the test orders of every slot, or of one.",
     'r.cancel_test_orders()', None),
    ("r.wifi_scan()", "The networks in range, strongest first.", 'r.wifi_scan()', None),
    ("r.wifi_test()", "Joins Wi-Fi as a wake does, asks SNTP, then gets an access token from "
     "LWA and the subscriptions from DRS, over verified TLS (here the emulator's addresses).",
     'r.wifi_test()', None),
    ("r.link()", "Takes a `link.json` copied to the device (as the first r.status() above "
     "did), or says how to make one.", 'r.link()', None),
    ("r.crash_log()", "After a crash loop (here eight crashes recorded as crashed wakes leave "
     "them), the app stays in safe mode; the log and the count:", 'r.crash_log()', "crashes"),
    ("r.clear_crash_log()", "", 'r.clear_crash_log()', None),
    ("r.leave_safe_mode()", "Removes `SAFE_MODE` and clears the crash count in RTC memory and "
     "flash; the next reset starts the app.", 'r.leave_safe_mode()', "leave"),
    ("r.deregister()", "Asks first; anything but `yes` changes nothing.",
     'r.deregister()', "deregister-no"),
    ("r.deregister(), confirmed", "", 'r.deregister()', "deregister-yes"),
]
PRINTER = [
    ("r.raw(slot), a level probe", "The printer's cyan cartridge, full.", 'r.raw("cyan")', None),
    ("r.probe_point(slot, \"empty\"|\"full\")", "A level probe's empty and full points (or a "
     "level between, 0 to 1, for a probe that is not linear), each captured with the "
     "container as it is now. Here the full point again, the cartridge just put in.",
     'r.probe_point("cyan", "full")', None),
]


def run_step(session, typed, how):
    """The transcript of one step: what was typed and what came back."""
    before = ""
    if how == "crashes":
        session.crash_loop()
        printed, _ = session.wake()
        before = "(the boot after them said: %s)\n" % [
            line for line in printed.splitlines() if line.startswith("safe mode")][0]
    if how == "tare":
        out = session.tare_emptied("softener")
    elif how in ("calibrate", "decline"):
        out = session.calibrate("softener", 500, "y" if how == "calibrate" else "n")
    elif how in ("deregister-no", "deregister-yes"):
        out = session.helper("r.deregister(answers=[%r])" % how.split("-")[1])
    else:
        out = session.helper(typed)
    after = ""
    if how == "leave":
        printed, _ = session.wake()
        boot = printed.strip().splitlines()[0]
        after = "\n(the next boot: %s; no safe mode, the app runs)" % boot
    return "%s>>> %s\n%s%s" % (before, typed, out, after)


def transcripts(work):
    sections = []
    for profile, steps in (("washer", WASHER), ("printer-4ink", PRINTER)):
        with ReplSession(Path(work) / profile, profile) as session:
            for heading, words, typed, how in steps:
                sections.append((heading, words, run_step(session, typed, how)))
    return sections


HEAD = """# The console: REPL helpers

Everything a maker does by hand at the device, one import away. Connect
(`mpremote connect /dev/ttyUSB0 repl`, or the virtual device's pty), stop
the app with Ctrl-C (or hold the board in safe mode: a `SAFE_MODE` file or
the BOOT button), then:

    >>> import replenish.repl as r

or, one line at a time from the computer:

    mpremote connect /dev/ttyUSB0 exec "import replenish.repl as r; r.status()"

The helpers are the firmware's own code (the wake, the calibration, DRS,
LWA, Wi-Fi), loaded only when imported: a wake never pays their heap. They
print, never show a secret, and say what went wrong and what to do instead
of a traceback. A reset (`machine.reset()` or the button) starts the app
again.

The transcripts below are from real runs of the virtual device: a washer
(detergent and softener on load cells) and a 4-ink printer (level probes),
linked to the emulator as test devices, the firmware deployed with
`tools/deploy.py`, each helper run with `mpremote exec`. The virtual
household's load cells were given a real cell's noise, and a script played
the person at the prompts (`tools/console_transcripts.py`, which writes this
page again).
"""


def write_doc(sections, path=DOC):
    parts = [HEAD]
    for heading, words, out in sections:
        parts.append("## %s\n" % heading)
        if words:
            parts.append(words + "\n")
        parts.append("```\n%s\n```\n" % out)
    Path(path).write_text("\n".join(parts))


def main():
    with tempfile.TemporaryDirectory() as work:
        write_doc(transcripts(work))
    print("wrote %s" % DOC.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
