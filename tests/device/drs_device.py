# A device wired to tools/sim/net's FakeNet and the fake LWA and DRS of
# fake_amazon.py: flash, HTTP client, LWA and DRS as the firmware builds
# them. Shared by test_drs.py and test_drs_failures.py.
from fake_amazon import CLIENT_ID, CLIENT_SECRET, DRS_HOST, LWA_HOST, REFRESH, FakeAmazon
from fake_amazon import json_reply as reply

from replenish.drs import Drs
from replenish.http import Http
from replenish.lwa import Lwa
from replenish.store import Store
from tools.sim.clock import VirtualClock
from tools.sim.flash import FakeFlash
from tools.sim.net import FakeNet

TYPE = "com.amazon.dash.replenishment."


class Device:
    def __init__(self):
        self.clock = VirtualClock()
        self.net = FakeNet(self.clock)
        self.amazon = FakeAmazon(self.net, self.clock)
        self.logs = []
        store = Store(FakeFlash(), log=self.logs.append)
        self.http = Http(self.clock, self.net, max_response=4096)  # see test_lwa.py's Device
        self.lwa = Lwa(self.http, store, self.clock, CLIENT_ID, CLIENT_SECRET,
                       url="https://" + LWA_HOST, log=self.logs.append)
        self.lwa.link(REFRESH)
        self.drs = Drs(self.http, self.lwa, self.clock, url="https://" + DRS_HOST)

    def answer(self, method, path, status, data, headers=None):
        self.amazon.drs_routes[(method, path)] = reply(status, data, headers)

    def service_calls(self):
        return [r for r in self.net.requests if r.path != "/auth/o2/token"]

    def last(self):
        return self.service_calls()[-1]

