# Joining the home network for one session, and leaving it: the radio is on
# only while the service is talked to. The join is a session's costliest step
# (energy-model.md: 2.5 s cold, 0.6 s fast), so after a cold join the access
# point's BSSID and channel are kept in RTC memory (key "wifi") and the next
# join goes straight there. A stale cache (the access point moved channel or
# was replaced) costs one failed fast try, then one cold join and a new cache.
# A static address (config) skips DHCP. DHCP leases are not cached as static
# addresses: once a lease expires another host may hold the address.
#
# MicroPython's ESP32 port (ports/esp32/network_wlan.c): WLAN.connect(ssid,
# key, *, bssid=<6 bytes>) joins only that access point; WLAN.config(channel=n)
# on the station interface calls esp_wifi_set_channel; WLAN.scan() lists
# (ssid, bssid, channel, rssi, security, hidden); WLAN.ifconfig((ip, mask,
# gateway, dns)) sets a static address and stops the DHCP client. The port
# has no call that names the joined BSSID, hence the scan on a cold join.
import binascii

# status() answers network.STAT_* or the driver's disconnect reason:
STAT_GOT_IP = 1010
FAILURES = {
    200: "the access point stopped answering (beacon timeout)",
    201: "no access point with that name answered",
    202: "the password was refused",
    203: "the access point refused the connection",
    204: "the WPA handshake timed out (often a wrong password)",
}
CACHE = "wifi"  # RTC memory key: {"ssid", "bssid" (hex), "channel"}
FAST_TIMEOUT_MS = 5000  # a fast join takes under a second; a stale one is not waited out


class WifiError(OSError):
    pass


def connect(board, ssid, password, rtc=None, static_ip=None, feed=None, timeout_ms=15000):
    """Join the network. rtc: the wake's RtcMemory (no cache without it);
    static_ip: (ip, mask, gateway, dns) or None for DHCP; feed: called while
    waiting (the watchdog's). Returns "fast" (the cached access point),
    "cold" (searched for) or "kept" (already joined)."""
    wlan = board.wlan()
    wlan.active(True)
    if wlan.isconnected():
        return "kept"
    if static_ip:
        wlan.ifconfig(tuple(static_ip))
    cached = rtc.get(CACHE) if rtc else None
    if cached and cached.get("ssid") == ssid:
        if _join(board, wlan, ssid, password, cached, FAST_TIMEOUT_MS, feed) is None:
            return "fast"
        rtc.pop(CACHE)
        wlan.disconnect()
    found = _strongest(wlan, ssid)
    reason = _join(board, wlan, ssid, password, found, timeout_ms, feed)
    if reason:
        leave(board)
        raise WifiError("Wi-Fi '%s': %s" % (ssid, reason))
    if rtc and found:
        rtc.set(CACHE, found)
    return "cold"


def _strongest(wlan, ssid):
    """The access point of that name with the best signal, as a cache entry;
    None when the scan shows none (a hidden network: the driver finds it)."""
    best = None
    try:
        seen = wlan.scan()
    except OSError:
        return None  # the driver's own search still joins
    name = ssid.encode()
    for ap in seen:
        if ap[0] == name and (best is None or ap[3] > best[3]):
            best = ap
    if best is None:
        return None
    return {"ssid": ssid, "bssid": binascii.hexlify(best[1]).decode(), "channel": best[2]}


def _join(board, wlan, ssid, password, ap, timeout_ms, feed):
    """None once joined, else why not. ap: where to go (a cache entry) or None."""
    clock = board.clock
    try:
        if ap:
            wlan.config(channel=ap["channel"])
            wlan.connect(ssid, password, bssid=binascii.unhexlify(ap["bssid"]))
        else:
            wlan.connect(ssid, password)
    except (OSError, ValueError) as err:
        return "the radio refused the join (%s)" % err  # a torn cache, a driver error
    start = clock.ticks_ms()
    while wlan.status() != STAT_GOT_IP:
        if feed:
            feed()
        reason = FAILURES.get(wlan.status())
        if reason:
            return reason
        if clock.ticks_diff(clock.ticks_ms(), start) > timeout_ms:
            return "no connection after %d s" % (timeout_ms // 1000)
        clock.sleep_ms(100)
    return None


def leave(board):
    wlan = board.wlan()
    wlan.disconnect()
    wlan.active(False)

