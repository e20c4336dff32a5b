"""An appliance of examples/ made ready for the virtual device: its
config.json pointed at the emulator, secrets, calibration from the simulated
sensors, and the world the virtual board builds (virtual.json: the household
of household.json, the start date, the ports of the clock link and SNTP)."""

import json
from pathlib import Path

from replenish.calibration import Calibration
from replenish.fs import Fs
from replenish.store import Store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
START = 1767225600  # 2026-01-01T00:00:00Z
WIFI = ("home", "virtual-wifi-password")
HX711_FULL_SCALE_UV = 3300000 / 2 / 128  # AVDD 3.3 V, gain 128: the input at code 2**23


def names():
    return sorted(p.name for p in EXAMPLES.iterdir() if (p / "household.json").exists())


class Profile:
    def __init__(self, name):
        folder = EXAMPLES / name
        if not (folder / "config.json").exists():
            raise SystemExit("no profile %r: choose one of %s" % (name, ", ".join(names())))
        self.name = name
        self.config = json.loads((folder / "config.json").read_text())
        self.household = json.loads((folder / "household.json").read_text())
        self.model = self.config["device"]["model"]
        self.serial = self.config["device"]["serial"]
        self.slots = [s["id"] for s in self.config["slots"]]

    def device_files(self, folder, emu, creds, battery=None):
        """What the device maker writes to a new device: settings, secrets, calibration."""
        folder = Path(folder)
        (folder / "certs").mkdir(parents=True, exist_ok=True)
        ca = "certs/emulator-ca.der"
        (folder / ca).write_bytes(Path(emu.ca_der).read_bytes())
        config = json.loads(json.dumps(self.config))
        config["wifi"]["ssid"] = WIFI[0]
        config["service"] = {"client_id": creds["client_id"], "lwa_url": emu.lwa_url,
                             "drs_url": emu.drs_url, "ca_files": [ca]}
        if battery is not None:
            config["battery"] = battery
        secrets = {"wifi_password": WIFI[1], "client_secret": creds["client_secret"]}
        for name, value in (("config.json", config), ("secrets.json", secrets)):
            (folder / name).write_text(json.dumps(value, indent=1))
        calibration = Calibration(Store(Fs(str(folder)), log=lambda *a: None))
        unit_g = dict((s["id"], s.get("unit_g", 1)) for s in self.config["slots"])
        for slot in self.household["slots"]:
            sensor = slot["sensor"]
            if sensor["type"] == "hx711":
                # The firmware's scale is counts per gram; the household's, per unit.
                calibration.set_load_cell(slot["id"], offset=sensor["tare_counts"],
                                          scale=sensor["counts_per_unit"] / unit_g[slot["id"]])
            else:
                calibration.set_probe_table(slot["id"], [[sensor["empty_uv"], 0.0],
                                                         [sensor["full_uv"], 1.0]])
        return config

    def world(self, days, clock_port, ntp_port, refill="delivery", start=START):
        """virtual.json: how tools/sim/virtual.py builds the world."""
        slots = []
        for slot in self.household["slots"]:
            sensor = dict(slot["sensor"])
            spec = {"id": slot["id"], "days_per_container": slot["days_per_container"],
                    "refill": refill}
            if sensor["type"] == "hx711":
                full = sensor["tare_counts"] + sensor["counts_per_unit"] * slot["capacity"]
                spec.update(kind="hx711", sck=sensor["sck"], dout=sensor["dout"],
                            tare_uv=sensor["tare_counts"] * HX711_FULL_SCALE_UV / 2 ** 23,
                            full_uv=full * HX711_FULL_SCALE_UV / 2 ** 23)
            else:
                spec.update(kind="probe", pin=sensor["pin"], empty_uv=sensor["empty_uv"],
                            full_uv=sensor["full_uv"])
            slots.append(spec)
        return {"start": start, "days": days, "clock_port": clock_port, "ntp_port": ntp_port,
                "ssid": WIFI[0], "password": WIFI[1], "slots": slots}
