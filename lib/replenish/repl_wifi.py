# Wi-Fi at the REPL: what is in range, and whether the device gets through to
# Amazon: join (wifi.py, as a wake joins), the clock by SNTP, then LWA and
# DRS over verified TLS, each step said with what to do when it fails.
from replenish.config import ConfigError
from replenish.repl_device import online, say

# WLAN.scan()'s security numbers (ESP-IDF's wifi_auth_mode_t).
SECURITY = ("open", "WEP", "WPA", "WPA2", "WPA/WPA2", "WPA2-Enterprise", "WPA3", "WPA2/WPA3")


def wifi_scan(dev):
    wlan = dev.board.wlan()
    was_on = wlan.active()
    wlan.active(True)
    try:
        seen = wlan.scan()
    finally:
        if not was_on:
            wlan.active(False)  # the radio is on only while it is needed
    try:
        wanted = dev.cfg.wifi_ssid
    except ConfigError:
        wanted = None
    seen = sorted(seen, key=lambda ap: -ap[3])
    say("%d networks in range, strongest first:" % len(seen))
    found = False
    for name, _, channel, rssi, security, _ in seen:
        name = name.decode() if name else "(hidden)"
        mine = name == wanted
        found = found or mine
        say("  %-24s channel %2d  %4d dBm  %s%s" % (
            name, channel, rssi, SECURITY[security] if security < len(SECURITY) else security,
            "  <- config.json's network" if mine else ""))
    if wanted and not found:
        say("'%s' (config.json) is not in range, or it hides its name" % wanted)


def wifi_test(dev):
    from replenish.wifi import WifiError

    try:
        online(dev, _service, tell=True)
    except WifiError as err:  # the one step a person fixes in the files

        say("%s: check wifi.ssid in config.json and wifi_password in secrets.json; "
            "r.wifi_scan() lists what is in range" % err)


def _service(drs, lwa):
    why = lwa.why_unlinked()
    if why is not None:
        say("LWA and DRS not tried: %s (r.link())" % why)
        return
    lwa.access_token()
    say("LWA %s: TLS verified, access token granted" % lwa.url)
    subscribed = drs.subscription_info()
    say("DRS %s: TLS verified, subscriptions: %s" % (drs.url, ", ".join(
        "%s %s" % (sid, "on" if s["subscribed"] else "off")
        for sid, s in sorted(subscribed.items())) or "none"))
