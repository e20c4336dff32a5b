# Joining the home network for one wake, and leaving it: the radio is on only
# while the service is talked to. Status codes of the ESP32 port's
# network.WLAN.status() (its network.STAT_* constants).
STAT_GOT_IP = 1010
FAILURES = {
    200: "the access point stopped answering (beacon timeout)",
    201: "no access point with that name answered",
    202: "the password was refused",
    203: "the access point refused the connection",
    204: "the WPA handshake timed out (often a wrong password)",
}


class WifiError(OSError):
    pass


def connect(board, ssid, password, timeout_ms=15000):
    clock = board.clock
    wlan = board.wlan()
    wlan.active(True)
    if wlan.isconnected():
        return wlan
    wlan.connect(ssid, password)
    start = clock.ticks_ms()
    while wlan.status() != STAT_GOT_IP:
        reason = FAILURES.get(wlan.status())
        if reason:
            leave(board)
            raise WifiError("Wi-Fi '%s': %s" % (ssid, reason))
        if clock.ticks_diff(clock.ticks_ms(), start) > timeout_ms:
            leave(board)
            raise WifiError("Wi-Fi '%s': no connection after %d s" % (ssid, timeout_ms // 1000))
        clock.sleep_ms(100)
    return wlan


def leave(board):
    wlan = board.wlan()
    wlan.disconnect()
    wlan.active(False)
