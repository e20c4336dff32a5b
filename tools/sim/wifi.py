# A station-mode WLAN fake with the outcomes a real one has: joined, wrong
# password, no access point. Counts connects for the energy benchmark.

STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_WRONG_PASSWORD = 202
STAT_NO_AP_FOUND = 201


class FakeWLAN:
    def __init__(self, ssid="home", password="pw", connect_s=2.5, clock=None):
        self.ssid = ssid
        self.password = password
        self.connect_s = connect_s
        self.clock = clock
        self.on = False
        self._status = STAT_IDLE
        self.connects = 0

    def active(self, on=None):
        if on is None:
            return self.on
        self.on = bool(on)
        if not on:
            self._status = STAT_IDLE
        return None

    def connect(self, ssid, password):
        if not self.on:
            raise OSError("Wi-Fi Internal Error")  # what the ESP32 raises when inactive
        self.connects += 1
        if self.clock:
            self.clock.advance(self.connect_s)
        if ssid != self.ssid:
            self._status = STAT_NO_AP_FOUND
        elif password != self.password:
            self._status = STAT_WRONG_PASSWORD
        else:
            self._status = STAT_GOT_IP

    def disconnect(self):
        self._status = STAT_IDLE

    def status(self):
        return self._status

    def isconnected(self):
        return self._status == STAT_GOT_IP
