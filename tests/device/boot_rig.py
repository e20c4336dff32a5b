# A whole device on the harsh simulated board, booted as an ESP32 boots:
# app.run from an empty heap every time, until deep sleep or a reset ends the
# boot. Its fake Amazon (fake_amazon.py) answers over tools/sim/net.py, its
# time server is the board's FakeNtp. Shared by the boot tests.
import json

from drs_device import Device
from fake_amazon import CLIENT_ID, CLIENT_SECRET, DRS_HOST, LWA_HOST, REFRESH

from replenish import app
from replenish.calibration import Calibration
from replenish.store import Store
from tools.sim.board import DeepSleep, Reset, SimBoard, SoftReset, WatchdogReset
from tools.sim.probe import ProbeModel

HOUR = 3600
SUBSCRIBED = {"slotsSubscriptionStatus": {"ink": {"subscribed": True, "productInfoList": []}}}


PINS = (34, 35, 32, 33)


def config(inks=1):
    return {"device": {"model": "printer-1", "serial": "P-1"}, "wifi": {"ssid": "home"},
            "service": {"client_id": CLIENT_ID, "lwa_url": "https://" + LWA_HOST,
                        "drs_url": "https://" + DRS_HOST},
            "battery": True, "measure_every_s": HOUR,
            "slots": [{"id": ink_id(i), "capacity": 100, "low": 15,
                       "sensor": {"type": "probe", "pin": PINS[i], "max_mv": 2000}}
                      for i in range(inks)]}


def ink_id(i):
    return "ink" if i == 0 else "ink%d" % i


class Boot:
    def __init__(self, cfg=None, link=True, inks=1):
        self.dev = Device()
        self.world = self.dev.clock
        self.board = SimBoard(clock=self.world, net=self.dev.net)
        self.dev.answer("GET", "/subscriptionInfo", 200, SUBSCRIBED)
        self.console = []
        self.write("config.json", cfg or config(inks))
        self.write("secrets.json", {"wifi_password": "pw", "client_secret": CLIENT_SECRET})
        if link:
            self.write("link.json", {"refresh_token": REFRESH})
        calibration = Calibration(Store(self.board.fs, log=self.console.append))
        self.probes = []
        for i in range(inks):
            calibration.set_probe_table(ink_id(i), [[200000, 0.0], [1800000, 1.0]])
            self.probes.append(ProbeModel(self.world, 200000, 1800000, noise_uv=1500,
                                          seed=i + 1).attach(self.board, PINS[i]))
        self.probe = self.probes[0]

    def write(self, name, value):
        with self.board.fs.open(name, "w") as f:
            f.write(value if isinstance(value, str) else json.dumps(value))

    def boot(self):
        """One wake, from reset to whatever ends it: 'sleep' (with the ms), 'reset',
        'watchdog', or what run() returned. A soft reset (the radio half of a
        wake) boots again at once, with a fresh app.run as with a fresh heap."""
        while True:
            try:
                return app.run(self.board, console=self.console.append), None
            except SoftReset:
                continue
            except DeepSleep as sleep:
                return "sleep", sleep.ms
            except Reset:
                return "reset", None
            except WatchdogReset:
                return "watchdog", None

    def said(self, words):
        return [line for line in self.console if words in line]

    def calls(self):
        return [r.method + " " + r.path for r in self.dev.service_calls()]

    def grants(self):
        return len([r for r in self.dev.net.requests if r.path == "/auth/o2/token"])
