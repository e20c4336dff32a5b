"""`make run`: the firmware's main job on the virtual device, against the
emulator, when no ESP32 is attached.

It starts the DRS + LWA emulator (HTTPS, its own CA, an SNTP responder),
registers the appliance of an example profile (examples/, a battery-powered
4-ink printer by default), links it through the consent page as a customer
would, starts the virtual device (the MicroPython unix port on a
pseudo-terminal, at an ESP32's heap), deploys the firmware to it with
mpremote exactly as to a board, and powers it on. The board starts cold: its
clock reads 2000 until SNTP sets it; every wake is a fresh process, as deep
sleep is a reset on an ESP32. A household uses up what is in the slots.

The appliance is linked as a real device, so its orders go the whole way in
virtual days (placed, shipped after the 24 h cancel window, delivered 48 h
later) and the household puts the new container in when it arrives; no money
moves in an emulator. Then a second unit, linked as a test device, orders
for a slot that is already low and the customer cancels that test order.
The console is the device's serial console; the run's timeline and its
picture are written at the end (docs/run.md).
"""

import argparse
import contextlib
import json
import math
import os
import select
import socket
import sys
import tempfile
import threading
from pathlib import Path

LIB = str(Path(__file__).resolve().parent.parent / "lib")
if LIB not in sys.path:
    sys.path.insert(0, LIB)  # `python -m tools.run` from a fresh clone, no PYTHONPATH

from tools.deploy import deploy  # noqa: E402
from tools.emulator import Emulator  # noqa: E402
from tools.emulator.sntp import SntpResponder  # noqa: E402
from tools.emulator.store import device_key  # noqa: E402
from tools.link import link, write_link_file  # noqa: E402
from tools.profiles import ROOT, START, Profile, names  # noqa: E402
from tools.timeline import Timeline  # noqa: E402
from tools.virtual_device import DEVICE_HEAP, VirtualDevice  # noqa: E402

REDIRECT = "http://127.0.0.1/linked"
DAY = 86400
OUT = ROOT / "run-output"
TEST_UNIT = "-TEST"  # the serial suffix of the unit linked as a test device
CUT_AFTER_S = 0.05  # real seconds into a wake
TEST_DAYS = 3  # a test order, its cancellation seen at a session, and the order a day later


class PortReader:
    """Reads the serial port as a terminal would, and lets go of what it
    reads (the console comes from the device itself, VirtualDevice.console):
    unread, the port's buffer fills after some 20 KB and the board stops on
    its next print, as behind a USB-UART bridge nobody listens to."""

    def __init__(self, port):
        self.fd = os.open(port, os.O_RDONLY | os.O_NOCTTY)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while not self._stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    os.read(self.fd, 65536)
                except OSError:
                    return

    def close(self):
        self._stop.set()
        self._thread.join()
        os.close(self.fd)


def in_step(emu, t):
    """The emulator's clock follows the world's true time, never back."""
    emu.state.clock.set(max(int(t), emu.state.now()))


class ClockLink:
    """The device says its time before it talks (one UDP datagram); the
    emulator's clock is set to it, so tokens and orders age in step."""

    def __init__(self, emu):
        self.emu = emu
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(64)
            except OSError:
                return
            in_step(self.emu, int(data))
            self.sock.sendto(b"ok", peer)

    def close(self):
        self.sock.close()


class Customer:
    """What happens at the customer's end between two wakes: a delivered
    order becomes a new container in the household (world.json "deliveries",
    read by the next wake's board), and a test order is cancelled on
    amazon.com once, as a maker does after checking that ordering works."""

    def __init__(self, emu, key, cancel_test_order=False):
        self.emu = emu
        self.key = key
        self.cancel_test_order = cancel_test_order
        self.seen = set()

    def after_wake(self, dev):
        state = dev.world_state()
        in_step(self.emu, state["us"] // 10 ** 6)  # orders ship and arrive by the true time
        mine = [o for o in self.emu.control.orders() if o["device"] == self.key]
        arrived = []
        for order in mine:
            if order["state"] == "delivered" and order["id"] not in self.seen:
                self.seen.add(order["id"])
                arrived.append(order["slot"])
                print("customer: the order for %s was delivered; a new container goes in"
                      % order["slot"], flush=True)
            if self.cancel_test_order and order["test"] and order["state"] == "placed":
                self.emu.control.cancel_order(order["id"])
                self.cancel_test_order = False
                print("customer: cancels the test order for %s on amazon.com" % order["slot"],
                      flush=True)
        if arrived:
            state["deliveries"] = arrived
            (dev.world / "world.json").write_text(json.dumps(state))


def summary(emu):
    orders = emu.control.orders()
    stats = emu.connection_stats()
    print("\nemulator: %d orders (%s)" % (len(orders), ", ".join(
        "%s %s%s" % (o["slot"], "test " if o["test"] else "", o["state"]) for o in orders)))
    print("emulator: TLS handshakes LWA %d, DRS %d; requests LWA %d, DRS %d" % (
        stats["lwa"]["tls_handshakes"], stats["drs"]["tls_handshakes"],
        stats["lwa"]["requests"], stats["drs"]["requests"]))


def prepare(emu, profile, work, days, clock_port, ntp_port, battery, test_device, serial,
            start):
    """Link the unit and write its files (staging) and its world."""
    work = Path(work)
    creds = emu.control.create_model(profile.model, profile.slots, redirect_uris=[REDIRECT])
    token = link(emu.lwa_url, creds["client_id"], creds["client_secret"], profile.model,
                 serial, test_device=test_device, cafile=emu.ca_pem, allow=True)
    print("linked %s/%s through the consent page as a %s" % (profile.model, serial, (
        "test device: its orders are test orders, nobody is charged, nothing ships"
        if test_device else "real device: its orders are standard orders, shipped and "
        "delivered in virtual days (an emulator: no money moves, nothing ships)")))
    staging = work / "staging"
    config = profile.device_files(staging, emu, creds, battery)
    config["device"].update(test_device=test_device, serial=serial)
    write_link_file(staging, token)
    world = work / "world"
    world.mkdir(parents=True, exist_ok=True)
    (world / "virtual.json").write_text(json.dumps(
        profile.world(days, clock_port, ntp_port, start=start)))
    (staging / "config.json").write_text(json.dumps(config, indent=1))
    return staging, world, config


def nearly_empty_world(world, profile, start):
    """world.json of a household whose fastest slot is just below its low
    mark: the first wake orders it."""
    fastest = min(profile.household["slots"], key=lambda s: s["days_per_container"])
    low = next(s["low"] for s in profile.config["slots"] if s["id"] == fastest["id"])
    used_days = math.ceil((1 - low / fastest["capacity"]) * fastest["days_per_container"])
    since = [start - used_days * DAY if s is fastest else start
             for s in profile.household["slots"]]
    (Path(world) / "world.json").write_text(json.dumps({
        "us": start * 10 ** 6, "cause": "power-on", "rtc": None, "since": since, "holds": {}}))
    return fastest["id"]


def run_virtual_device(emu, profile, work, days, battery=None, cut_on_day=None,
                       test_device=False, console=None, heap=DEVICE_HEAP, timeline=None,
                       start=START, serial=None, start_low=False):
    """Link one unit of `profile`, deploy it and run it from `start` until
    `days` are over; the number of processes it woke in. `start_low`: its
    fastest slot starts just below its low mark. A test device's first test
    order is cancelled by the customer."""
    serial = serial or profile.serial
    link_clock = ClockLink(emu)
    sntp = SntpResponder(emu.state.now).start()
    in_step(emu, start)
    try:
        staging, world, config = prepare(emu, profile, work, days, link_clock.port, sntp.port,
                                         battery, test_device, serial, start)
        if start_low:
            slot = nearly_empty_world(world, profile, start)
            print("%s's %s is nearly empty: it orders on its first wake" % (serial, slot))
        if timeline:
            timeline.begin(serial, test_device, start, config)
        out = console or (lambda data: (sys.stdout.buffer.write(data), sys.stdout.flush()))
        if timeline:
            out = tee(out, timeline.console)
        customer = Customer(emu, device_key(profile.model, serial), cancel_test_order=test_device)
        with VirtualDevice(Path(work) / "flash", heap=heap, world_dir=world) as dev:
            print("virtual device on %s; deploying with mpremote" % dev.port, flush=True)
            if not deploy(dev.port, staging, work):
                raise SystemExit(1)
            dev.console = out  # from here on, what the board prints is the console
            reader = PortReader(dev.port)
            try:
                cut_at = None if cut_on_day is None else start + cut_on_day * DAY
                wakes = wake_until_done(dev, start + days * DAY, customer, cut_at, timeline)
            finally:
                reader.close()
            in_step(emu, dev.world_state()["us"] // 10 ** 6)  # the last wake's hours too
        if timeline:
            timeline.orders(emu.control.orders(), customer.key)
        return wakes
    finally:
        sntp.stop()
        link_clock.close()


def tee(*sinks):
    def out(data):
        for sink in sinks:
            sink(data)
    return out


def wake_until_done(dev, end, customer, cut_at=None, timeline=None):
    """Wake the device until the world's time reaches `end`; the customer
    acts between two processes. On battery each wake is a process; on mains
    one process loops the wakes until the radio half's soft reset (or the end)."""
    while True:
        state = dev.world_state()
        now = state["us"] // 10 ** 6 if state else None
        if now is not None and now >= end:
            return dev.wakes
        if cut_at is not None and now is not None and now >= cut_at:
            # Early in the wake, while boot.py and main.py run; a wake that
            # ends first was whole, and the next one is cut.
            if dev.cut_during_wake(CUT_AFTER_S):
                print("virtual device: power cut in the middle of a wake", flush=True)
                if timeline:
                    timeline.event(now, "power cut", text="power cut in the middle of a wake")
                cut_at = None
            else:
                customer.after_wake(dev)
            continue
        if dev.wake() in ("stopped", "power-off"):
            return dev.wakes
        customer.after_wake(dev)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--profile", default="printer-4ink", choices=names(),
                        help="an appliance of examples/ (%(default)s)")
    parser.add_argument("--days", type=int, default=30, help="virtual days to run (%(default)s)")
    parser.add_argument("--mains", action="store_true",
                        help="run as the example says (the printer runs on battery by default)")
    parser.add_argument("--power-cut-on-day", type=int, default=None,
                        help="cut the power in the middle of a wake on that day (0 is the "
                             "first)")
    parser.add_argument("--no-test-order", action="store_true",
                        help="skip the test unit whose test order is cancelled")
    parser.add_argument("--heap", default=DEVICE_HEAP,
                        help="the firmware's MicroPython heap (%(default)s: an ESP32's 110 KB "
                             "in the 64-bit unix port's bytes)")
    parser.add_argument("--out", default=str(OUT), metavar="DIR",
                        help="where the timeline and its picture go (run-output/ in the "
                             "repository)")
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the device's flash, its world and the emulator in DIR")
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    profile = Profile(args.profile)
    battery = None if args.mains or args.profile != "printer-4ink" else True
    timeline = Timeline()
    keep = contextlib.nullcontext(args.keep) if args.keep else tempfile.TemporaryDirectory()
    with keep as work:
        with Emulator(state_dir=Path(work) / "emulator", start=START) as emu:
            wakes = run_virtual_device(emu, profile, Path(work) / "device", args.days, battery,
                                       args.power_cut_on_day, heap=args.heap,
                                       timeline=timeline)
            print("\nvirtual device: %d wakes" % wakes)
            if not args.no_test_order:
                print("\n--- a second unit, linked as a test device ---")
                run_virtual_device(emu, profile, Path(work) / "test-unit", TEST_DAYS, battery,
                                   heap=args.heap, timeline=timeline,
                                   start=emu.state.now(),
                                   serial=profile.serial + TEST_UNIT, test_device=True,
                                   start_low=True)
            summary(emu)
    jsonl, png = timeline.write(args.out)
    print("timeline: %s\npicture: %s" % (jsonl, png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
