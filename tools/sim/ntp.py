# The time server the simulated board reaches over Wi-Fi: it answers the true
# time (the world's clock), or misbehaves as a real one can. Runs under
# CPython and the MicroPython unix port.
#
#   ntp = FakeNtp(world)
#   ntp.fault = None | "silent" | "kod" | "wrong" | "short" | "dns"
from tools.sim.udp import FakeUdp, server_reply

HOST = "pool.ntp.org"
YEAR_2000_MS = 946684800000


class FakeNtp:
    def __init__(self, world):
        self.world = world
        self.host = HOST
        self.fault = None
        self.kiss = "RATE"  # the kiss-of-death code when fault == "kod"
        self.net = FakeUdp(world, self._answer)

    def sockets(self):
        self.net.resolves = self.fault != "dns"
        return self.net

    def _answer(self, request):
        now_ms = self.world.ticks_ms()
        if self.fault == "silent":
            return []
        if self.fault == "kod":
            return [server_reply(request, now_ms, kiss=self.kiss)]
        if self.fault == "wrong":
            return [server_reply(request, YEAR_2000_MS)]
        if self.fault == "short":
            return [server_reply(request, now_ms, length=40)]
        return [server_reply(request, now_ms)]
