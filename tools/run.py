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
import termios
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
TEST_DAYS = 1  # long enough for a test order, its cancellation and the device seeing it


class SerialMonitor:
    """Reads the device's serial port as a terminal does, and hands what the
    board prints to `sink`. The port must be read: a USB-UART bridge (and the
    virtual device's pty) stops the board's output when its buffer is full."""

    def __init__(self, port, sink):
        self.fd = os.open(port, os.O_RDWR | os.O_NOCTTY)
        termios.tcflush(self.fd, termios.TCIFLUSH)  # the REPL's banner from deploying
        self.sink = sink
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while True:
            ready, _, _ = select.select([self.fd], [], [], 0.3)
            if not ready:
                if self._stop.is_set():
                    return  # quiet after the stop: the last line is in
                continue
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                return
            self.sink(data)

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
    # A mains device loops its wakes in one process the runner can't reach
    # into: its household puts a new container in when one runs dry.
    refill = "delivery" if config.get("battery") else "self"
    (world / "virtual.json").write_text(json.dumps(
        profile.world(days, clock_port, ntp_port, refill, start)))
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
                       start=START, serial=None):
    """Link one unit of `profile`, deploy it and run it from `start` until
    `days` are over; the number of processes it woke in. A test device starts
    with one slot nearly empty and its first test order is cancelled."""
    serial = serial or profile.serial
    link_clock = ClockLink(emu)
    sntp = SntpResponder(emu.state.now).start()
    in_step(emu, start)
    try:
        staging, world, config = prepare(emu, profile, work, days, link_clock.port, sntp.port,
                                         battery, test_device, serial, start)
        if test_device:
            slot = nearly_empty_world(world, profile, start)
            print("the test unit's %s is nearly empty: it orders on its first wake" % slot)
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
            monitor = SerialMonitor(dev.port, out)  # from here on, the console
            try:
                cut_at = None if cut_on_day is None else start + cut_on_day * DAY
                wakes = wake_until_done(dev, config, start + days * DAY, customer, cut_at,
                                        timeline)
            finally:
                monitor.close()
            in_step(emu, dev.world_state()["us"] // 10 ** 6)  # a mains run's last hours too
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


def wake_until_done(dev, config, end, customer, cut_at=None, timeline=None):
    """Wake the device until the world's time reaches `end`. On battery each
    wake is a process and the customer acts between two; on mains one
    process loops the wakes to the end."""
    mains = not config.get("battery")
    while True:
        state = dev.world_state()
        now = state["us"] // 10 ** 6 if state else None
        if now is not None and now >= end:
            return dev.wakes
        if cut_at is not None and now is not None and now >= cut_at:
            print("\nvirtual device: power cut in the middle of a wake", flush=True)
            if timeline:
                timeline.event(now, "power cut", text="power cut in the middle of a wake")
            dev.cut_during_wake(0.3)
            cut_at = None
            continue
        ended = dev.wake(hung_s=None if mains else 240)
        if ended in ("stopped", "power-off") or mains:
            return dev.wakes
        customer.after_wake(dev)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="printer-4ink", choices=names(),
                        help="an appliance of examples/ (%(default)s)")
    parser.add_argument("--days", type=int, default=30, help="virtual days to run (%(default)s)")
    parser.add_argument("--mains", action="store_true",
                        help="run as the example says (the printer runs on battery by default)")
    parser.add_argument("--power-cut-on-day", type=int, default=None,
                        help="cut the power in the middle of the first wake of that day")
    parser.add_argument("--no-test-order", action="store_true",
                        help="skip the test unit whose test order is cancelled")
    parser.add_argument("--heap", default=DEVICE_HEAP,
                        help="the firmware's MicroPython heap (%(default)s: an ESP32's 110 KB "
                             "in the 64-bit unix port's bytes)")
    parser.add_argument("--out", default=str(OUT), metavar="DIR",
                        help="where the timeline and its picture go (%(default)s)")
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
                # On battery whatever the example says: the customer cancels between two wakes.
                run_virtual_device(emu, profile, Path(work) / "test-unit", TEST_DAYS, True,
                                   heap=args.heap, timeline=timeline,
                                   start=emu.state.now(),
                                   serial=profile.serial + TEST_UNIT, test_device=True)
            summary(emu)
    jsonl, png = timeline.write(args.out)
    print("timeline: %s\npicture: %s" % (jsonl, png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
