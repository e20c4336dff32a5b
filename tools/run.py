"""`make run`: the firmware's main job on the virtual device, against the
emulator, when no ESP32 is attached.

It starts the DRS + LWA emulator (HTTPS, its own CA), registers a 4-ink
printer model, links a device through the consent page as a customer would,
starts the virtual device (the MicroPython unix port on a pseudo-terminal),
deploys the firmware to it with mpremote exactly as to a board, and runs
main.py there: a month of hourly wakes on the virtual clock, in a minute or
so. The console is the device's serial console.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from replenish.calibration import Calibration
from replenish.fs import Fs
from replenish.store import Store
from tools.deploy import deploy, mpremote
from tools.emulator import Emulator
from tools.link import link, write_link_file
from tools.virtual_device import VirtualDevice

MODEL = "printer-4ink"
SERIAL = "VD-0001"
REDIRECT = "http://127.0.0.1/linked"
INKS = [("cyan", 32, 21), ("magenta", 33, 27), ("yellow", 34, 34), ("black", 35, 15)]
EMPTY_UV, FULL_UV = 200000, 1800000  # the probes' output, empty and full
START = 1767225600  # 2026-01-01T00:00:00Z


def device_files(flash, emu, creds, days, every_s):
    """What the device maker writes to a new device: settings, secrets, calibration."""
    (flash / "certs").mkdir(parents=True, exist_ok=True)
    ca = "certs/emulator-ca.der"
    (flash / ca).write_bytes(Path(emu.ca_der).read_bytes())
    slots = [{"id": ink, "capacity": 100, "low": 15,
              "sensor": {"type": "probe", "pin": pin, "max_mv": 2000}} for ink, pin, _ in INKS]
    config = {"device": {"model": MODEL, "serial": SERIAL, "test_device": True},
              "wifi": {"ssid": "home"}, "measure_every_s": every_s, "slots": slots,
              "service": {"client_id": creds["client_id"], "lwa_url": emu.lwa_url,
                          "drs_url": emu.drs_url, "ca_files": [ca]}}
    secrets = {"wifi_password": "virtual-wifi-password", "client_secret": creds["client_secret"]}
    world = {"start": START, "days": days, "control_url": emu.control_url, "ca": ca,
             "ssid": "home", "password": secrets["wifi_password"],
             "slots": [{"id": ink, "pin": pin, "empty_uv": EMPTY_UV, "full_uv": FULL_UV,
                        "days_per_container": lasts} for ink, pin, lasts in INKS]}
    for name, value in (("config.json", config), ("secrets.json", secrets),
                        ("virtual.json", world)):
        (flash / name).write_text(json.dumps(value, indent=1))
    calibration = Calibration(Store(Fs(str(flash)), log=lambda *a: None))
    for ink, _, _ in INKS:
        calibration.set_probe_table(ink, [[EMPTY_UV, 0.0], [FULL_UV, 1.0]])


def summary(emu):
    orders = emu.control.orders()
    stats = emu.connection_stats()
    print("\nemulator: %d orders placed (%s)" % (len(orders), ", ".join(
        "%s %s" % (o["slot"], o["status"]) for o in orders)))
    print("emulator: TLS handshakes LWA %d, DRS %d; requests LWA %d, DRS %d" % (
        stats["lwa"]["tls_handshakes"], stats["drs"]["tls_handshakes"],
        stats["lwa"]["requests"], stats["drs"]["requests"]))


def run_virtual_device(emu, work, days, every_s):
    """Link, deploy and run a device on `emu`; the device's exit status."""
    work = Path(work)
    creds = emu.control.create_model(MODEL, [ink for ink, _, _ in INKS], redirect_uris=[REDIRECT])
    token = link(emu.lwa_url, creds["client_id"], creds["client_secret"], MODEL, SERIAL,
                 test_device=True, cafile=emu.ca_pem, allow=True)
    print("linked %s/%s through the consent page" % (MODEL, SERIAL))
    staging = work / "staging"
    device_files(staging, emu, creds, days, every_s)
    write_link_file(staging, token)
    with VirtualDevice(work / "flash") as dev:
        print("virtual device on %s; deploying with mpremote" % dev.port, flush=True)
        if not deploy(dev.port, staging, work):
            return 1
        return mpremote(dev.port, "exec", "import main")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="virtual days to run (%(default)s)")
    parser.add_argument("--every", type=int, default=3600,
                        help="seconds between wakes (%(default)s)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        with Emulator(state_dir=Path(work) / "emulator", start=START) as emu:
            status = run_virtual_device(emu, work, args.days, args.every)
            summary(emu)
    return status


if __name__ == "__main__":
    sys.exit(main())
