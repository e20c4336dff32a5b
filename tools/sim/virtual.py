# The board of the virtual device (tools/virtual_device.py): the simulated
# board with its flash in the current folder, a household that uses up what
# is in the slots and puts in a new container when one runs dry, and the
# emulator's clock kept in step with the device's, so months pass in seconds.
# Runs under the MicroPython unix port. Its settings, virtual.json, are written
# by tools/run.py:
#   {"start": t, "days": n, "control_url": "https://localhost:…", "ca": "…der",
#    "ssid": "…", "password": "…",
#    "slots": [{"id", "pin", "empty_uv", "full_uv", "days_per_container"}]}
import json

from replenish.connector import SocketConnector
from replenish.fs import Fs
from replenish.http import Http
from tools.sim.board import SimBoard
from tools.sim.clock import VirtualClock
from tools.sim.probe import ProbeModel
from tools.sim.wifi import FakeWLAN

SETTINGS = "virtual.json"
DAY = 86400
EMPTY = 0.03  # the household puts in a new container below this level


class Household:
    """Each slot empties at its own pace, a little every day, in daytime."""

    def __init__(self, board, slots, start):
        self.slots = []
        for spec in slots:
            probe = ProbeModel(board.clock, spec["empty_uv"], spec["full_uv"], noise_uv=1500,
                               seed=spec["pin"]).attach(board, spec["pin"])
            self.slots.append([spec, probe, start])  # [settings, probe, container since]

    def step(self, now):
        for entry in self.slots:
            spec, probe, since = entry
            used_days = (now - since) // DAY + min(1.0, (now - since) % DAY / (16 * 3600))
            probe.level = max(0.0, 1.0 - used_days / spec["days_per_container"])
            if probe.level <= EMPTY:
                print("household: a new container in slot", spec["id"])
                entry[2] = now
                probe.level = 1.0


class WorldClock(VirtualClock):
    def __init__(self, start, end):
        VirtualClock.__init__(self, start)
        self.end = end
        self.world = None

    def sleep_ms(self, ms):
        VirtualClock.sleep_ms(self, ms)
        if self.now() >= self.end:
            print("virtual device: the run is over")
            raise SystemExit(0)  # the board powers off
        if self.world:
            self.world.step(self.now())


class EmulatorWLAN(FakeWLAN):
    """Joining the network is when the device may talk: the emulator's clock
    is set to the device's first, so tokens and orders age in step."""

    def __init__(self, clock, ssid, password, control_url, ca):
        FakeWLAN.__init__(self, ssid, password, clock=clock)
        self.control_url = control_url
        self.http = Http(clock, SocketConnector(Fs(), [ca]))

    def connect(self, ssid, password):
        FakeWLAN.connect(self, ssid, password)
        if self.isconnected():
            body = json.dumps({"now": self.clock.now()})
            resp = self.http.request("POST", self.control_url + "/control/set_clock",
                                     {"Content-Type": "application/json"}, body)
            if resp.status != 200:
                raise OSError("emulator control answered %d" % resp.status)


class VirtualBoard(SimBoard):
    name = "virtual device"

    def __init__(self):
        fs = Fs()
        with fs.open(SETTINGS) as f:
            cfg = json.loads(f.read())
        clock = WorldClock(cfg["start"], cfg["start"] + cfg["days"] * DAY)
        wlan = EmulatorWLAN(clock, cfg["ssid"], cfg["password"], cfg["control_url"], cfg["ca"])
        SimBoard.__init__(self, clock=clock, fs=fs, wlan=wlan)
        clock.world = Household(self, cfg["slots"], cfg["start"])
        clock.world.step(cfg["start"])
