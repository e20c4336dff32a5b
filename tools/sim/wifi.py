# A station-mode WLAN fake with what a real one does: a scan that lists the
# access points in range, a join that is slow when the radio must search the
# channels for the access point (cold) and fast when it is told the channel
# and BSSID (fast), a wrong password, no access point, an access point that
# stopped answering or moved to another channel. It counts cold and fast
# joins for the energy benchmark.
#
# Times from energy-model.md: a cold join 2.5 s (scan, associate, DHCP), a
# fast one 0.6 s (cached channel and BSSID, static IP). A scan followed by a
# join told where to go costs the same as a cold join. DHCP is not timed
# separately (the model has no figure for it): `dhcp` counts the joins that
# asked for an address, so a benchmark can tell fast joins without a static IP.

STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_WRONG_PASSWORD = 202
STAT_NO_AP_FOUND = 201

COLD_S = 2.5
FAST_S = 0.6
SCAN_S = COLD_S - FAST_S
BSSID = b"\x24\x0a\xc4\x5e\x10\x01"
NEIGHBOUR = (b"neighbours", b"\x9c\x53\x22\x01\x02\x03", 11, -81, 3, False)
DHCP_ADDRESS = ("192.168.1.23", "255.255.255.0", "192.168.1.1", "192.168.1.1")
NO_ADDRESS = ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")


class FakeWLAN:
    def __init__(self, ssid="home", password="pw", clock=None, channel=6, bssid=BSSID):
        self.ssid = ssid  # the access point's
        self.password = password
        self.clock = clock
        self.channel = channel
        self.bssid = bssid
        self.answers = True  # False: in range but silent (the join never completes)
        self.hidden = False  # True: the beacons carry no name, a scan can't tell it
        self.on = False
        self._status = STAT_IDLE
        self._tuned = None  # the channel config(channel=) set, until the radio stops
        self._scanned = False  # a scan since the radio started: the next join is cold
        self.static = None  # the address ifconfig() set, or None: DHCP
        self.connects = 0  # every join attempt
        self.cold = 0  # joins that needed a search of the channels
        self.fast = 0  # joins straight to the cached channel and BSSID
        self.fast_failed = 0  # fast tries that found nobody there (a stale cache)
        self.scans = 0
        self.dhcp = 0  # joins that asked DHCP for an address

    def move(self, channel=None, bssid=None):
        """The access point moved to another channel, or was replaced."""
        self.channel = channel or self.channel
        self.bssid = bssid or self.bssid

    def _spend(self, seconds):
        if self.clock:
            self.clock.advance(seconds)

    def active(self, on=None):
        if on is None:
            return self.on
        self.on = bool(on)
        if not on:
            self._status = STAT_IDLE
            self._tuned = None
            self._scanned = False
        return None

    def _require_active(self):
        if not self.on:
            raise OSError("Wi-Fi Internal Error")  # what the ESP32 raises when inactive

    def config(self, *query, **settings):
        self._require_active()
        if query:
            if query != ("channel",):
                raise ValueError("unknown config param")
            return self.channel if self.isconnected() else (self._tuned or 1)
        for key, value in settings.items():
            if key != "channel":
                raise ValueError("unknown config param")
            self._tuned = value
        return None

    def scan(self):
        self._require_active()
        self.scans += 1
        self._scanned = True
        self._spend(SCAN_S)
        name = b"" if self.hidden else self.ssid.encode()
        return [(name, self.bssid, self.channel, -58, 3, self.hidden), NEIGHBOUR]

    def ifconfig(self, addresses=None):
        if addresses is None:
            if not self.isconnected():
                return NO_ADDRESS
            return self.static or DHCP_ADDRESS
        self.static = tuple(addresses)
        return None

    def connect(self, ssid=None, password=None, bssid=None):
        self._require_active()
        self.connects += 1
        told = bssid is not None and self._tuned is not None  # where to go: no search
        if told and (bssid != self.bssid or self._tuned != self.channel):
            # The radio listens where it was told and hears nobody.
            self._spend(FAST_S)
            self.fast_failed += 1
            self._status = STAT_NO_AP_FOUND
            return
        self._spend(FAST_S if told else COLD_S)
        if ssid != self.ssid or (bssid is not None and bssid != self.bssid):
            self._status = STAT_NO_AP_FOUND
        elif not self.answers:
            self._status = STAT_CONNECTING
        elif password != self.password:
            self._status = STAT_WRONG_PASSWORD
        else:
            self._status = STAT_GOT_IP
            if told and not self._scanned:
                self.fast += 1
            else:
                self.cold += 1  # searched the channels, by a scan or by itself
            if self.static is None:
                self.dhcp += 1

    def disconnect(self):
        self._status = STAT_IDLE

    def status(self):
        return self._status

    def isconnected(self):
        return self._status == STAT_GOT_IP
