"""`make run`: the firmware's main job on the virtual device, against the
emulator, when no ESP32 is attached.

It starts the DRS + LWA emulator (HTTPS, its own CA, an SNTP responder),
registers the appliance of an example profile (examples/, a battery-powered
4-ink printer by default), links it through the consent page as a customer
would, starts the virtual device (the MicroPython unix port on a
pseudo-terminal, at an ESP32's heap), deploys the firmware to it with
mpremote exactly as to a board, and powers it on. The board starts cold: its
clock reads 2000 until SNTP sets it; every wake is a fresh process, as deep
sleep is a reset on an ESP32. A household uses up what is in the slots and
puts in a new container when the order arrives. The console is the device's
serial console.
"""

import argparse
import contextlib
import json
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
from tools.link import link, write_link_file  # noqa: E402
from tools.profiles import START, Profile, names  # noqa: E402
from tools.virtual_device import DEVICE_HEAP, VirtualDevice  # noqa: E402

REDIRECT = "http://127.0.0.1/linked"
DAY = 86400


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
            self.emu.state.clock.set(max(int(data), self.emu.state.now()))
            self.sock.sendto(b"ok", peer)

    def close(self):
        self.sock.close()


class Deliveries:
    """Orders the emulator delivered become new containers in the household."""

    def __init__(self, emu):
        self.emu = emu
        self.seen = set()

    def arrived(self):
        slots = []
        for order in self.emu.control.orders():
            if order["status"] in ("Closed", "Delivered") and order["id"] not in self.seen:
                self.seen.add(order["id"])
                slots.append(order["slot"])
        return slots


def summary(emu):
    orders = emu.control.orders()
    stats = emu.connection_stats()
    print("\nemulator: %d orders placed (%s)" % (len(orders), ", ".join(
        "%s %s" % (o["slot"], o["status"]) for o in orders)))
    print("emulator: TLS handshakes LWA %d, DRS %d; requests LWA %d, DRS %d" % (
        stats["lwa"]["tls_handshakes"], stats["drs"]["tls_handshakes"],
        stats["lwa"]["requests"], stats["drs"]["requests"]))


def prepare(emu, profile, work, days, clock_port, ntp_port, battery=None, test_device=None):
    """Link the appliance and write its files (staging) and its world."""
    work = Path(work)
    if test_device is None:
        test_device = profile.config["device"].get("test_device", False)
    creds = emu.control.create_model(profile.model, profile.slots, redirect_uris=[REDIRECT])
    token = link(emu.lwa_url, creds["client_id"], creds["client_secret"], profile.model,
                 profile.serial, test_device=test_device, cafile=emu.ca_pem, allow=True)
    print("linked %s/%s through the consent page (%s device)" % (
        profile.model, profile.serial, "test" if test_device else "real"))
    staging = work / "staging"
    config = profile.device_files(staging, emu, creds, battery)
    config["device"]["test_device"] = test_device
    write_link_file(staging, token)
    world = work / "world"
    world.mkdir(parents=True, exist_ok=True)
    (world / "virtual.json").write_text(json.dumps(profile.world(days, clock_port, ntp_port)))
    (staging / "config.json").write_text(json.dumps(config, indent=1))
    return staging, world, config


def run_virtual_device(emu, profile, work, days, battery=None, cut_on_day=None,
                       test_device=None, console=None, heap=DEVICE_HEAP):
    """Link, deploy and run a device on `emu` until the days are over; the
    number of wakes."""
    link_clock = ClockLink(emu)
    sntp = SntpResponder(emu.state.now).start()
    try:
        staging, world, config = prepare(emu, profile, work, days, link_clock.port, sntp.port,
                                         battery, test_device)
        out = console or (lambda data: (sys.stdout.buffer.write(data), sys.stdout.flush()))
        with VirtualDevice(Path(work) / "flash", heap=heap, world_dir=world) as dev:
            print("virtual device on %s; deploying with mpremote" % dev.port, flush=True)
            if not deploy(dev.port, staging, work):
                raise SystemExit(1)
            dev.console = out  # from here on, what the board prints is the console
            return wake_until_done(dev, emu, config, days, cut_on_day)
    finally:
        sntp.stop()
        link_clock.close()


def wake_until_done(dev, emu, config, days, cut_on_day=None):
    deliveries = Deliveries(emu)
    end = START + days * DAY
    cut_at = START + cut_on_day * DAY if cut_on_day is not None else None
    mains = not config.get("battery")
    while True:
        state = dev.world_state()
        now = state["us"] // 10 ** 6 if state else START
        if now >= end:
            return dev.wakes
        if cut_at is not None and now >= cut_at:
            print("\nvirtual device: power cut in the middle of a wake", flush=True)
            dev.cut_during_wake(0.3)
            cut_at = None
            continue
        ended = dev.wake(hung_s=None if mains else 240)
        if ended in ("stopped", "power-off") or mains:
            return dev.wakes
        arrived = deliveries.arrived()
        if arrived:
            state = dev.world_state()
            state["deliveries"] = arrived
            (dev.world / "world.json").write_text(json.dumps(state))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="printer-4ink", choices=names(),
                        help="an appliance of examples/ (%(default)s)")
    parser.add_argument("--days", type=int, default=30, help="virtual days to run (%(default)s)")
    parser.add_argument("--mains", action="store_true",
                        help="run as the example says (the printer runs on battery by default)")
    parser.add_argument("--power-cut-on-day", type=int, default=None,
                        help="cut the power in the middle of the first wake of that day")
    parser.add_argument("--heap", default=DEVICE_HEAP,
                        help="the firmware's MicroPython heap (%(default)s: an ESP32's 110 KB "
                             "in the 64-bit unix port's bytes)")
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the device's flash, its world and the emulator in DIR")
    args = parser.parse_args(argv)
    profile = Profile(args.profile)
    battery = None if args.mains or args.profile != "printer-4ink" else True
    keep = contextlib.nullcontext(args.keep) if args.keep else tempfile.TemporaryDirectory()
    with keep as work:
        with Emulator(state_dir=Path(work) / "emulator", start=START) as emu:
            wakes = run_virtual_device(emu, profile, work, args.days, battery,
                                       args.power_cut_on_day, heap=args.heap)
            print("\nvirtual device: %d wakes" % wakes)
            summary(emu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
