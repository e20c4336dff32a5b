"""The energy model of issue 10 in one place: every event's current and
duration, named, overridable from the command line (--energy
wifi_cold=3.0,120), and printed with each run and in docs/bench.md so a
reader knows which figures made the charges. Counts are the hard figures; this turns them
into charge so that the firmware, the floor and the baseline compare in one
unit."""

# name: (current mA, duration s, what it is). Sleep's duration is the rest of the time.
EVENTS = {
    "sleep": (0.010, None, "deep sleep, bare ESP32 module, RTC timer + RTC memory"),
    "boot": (40.0, 0.8, "boot / wake of MicroPython and the app's imports"),
    "hx711_10sps": (41.5, 1.5, "HX711 conversion set at 10 SPS (settle, 10 samples)"),
    "hx711_80sps": (41.5, 0.2, "HX711 conversion set at 80 SPS (RATE pin high)"),
    "adc_probe": (40.0, 0.05, "ADC probe reading (oversampled)"),
    "wifi_cold": (120.0, 2.5, "Wi-Fi connect, cold (scan, associate, DHCP)"),
    "wifi_fast": (120.0, 0.6, "Wi-Fi connect, fast (cached channel and BSSID)"),
    "ntp": (100.0, 0.3, "NTP sync"),
    "tls_handshake": (100.0, 1.2, "TLS handshake (ECDHE, RSA-2048 server chain)"),
    "http_request": (110.0, 0.2, "one HTTP request/response on an open connection"),
}
BATTERY_MAH = 2500.0  # 2 x AA alkaline, usable
DAY_S = 86400
YEAR_DAYS = 365.25


class Model:
    def __init__(self, overrides=None, battery_mah=BATTERY_MAH):
        self.events = dict(EVENTS)
        self.battery_mah = battery_mah
        for name, (ma, seconds) in (overrides or {}).items():
            if name not in self.events:
                raise ValueError("no event %r in the energy model: one of %s"
                                 % (name, ", ".join(sorted(self.events))))
            if name == "sleep":
                seconds = None
            self.events[name] = (ma, seconds, self.events[name][2])

    def mas(self, name):
        """Charge of one event, mA*s."""
        ma, seconds, _ = self.events[name]
        return ma * seconds

    def charge(self, counts, span_s):
        """{event class: mAs} for counts {event: n} over span_s seconds, the
        sleep being whatever time no event took."""
        out = {}
        busy = 0.0
        for name, n in counts.items():
            if n:
                out[name] = n * self.mas(name)
                busy += n * self.events[name][1]
        out["sleep"] = self.events["sleep"][0] * max(0.0, span_s - busy)
        out["total"] = sum(out.values())
        return out

    def life_years(self, total_mas, span_s):
        per_day_mah = total_mas / 3600.0 * DAY_S / span_s
        return self.battery_mah / per_day_mah / YEAR_DAYS if per_day_mah else float("inf")

    def table(self):
        """The constants, as printed with every run."""
        rows = []
        for name, (ma, seconds, words) in self.events.items():
            rows.append({"event": name, "mA": ma, "s": seconds,
                         "mAs": None if seconds is None else round(ma * seconds, 3),
                         "what": words})
        return rows


def parse_overrides(items):
    """["wifi_cold=3.0,120"] (seconds,mA) -> {"wifi_cold": (120.0, 3.0)}; a
    ValueError says what a bad item should look like."""
    out = {}
    for item in items or ():
        name, _, value = item.partition("=")
        parts = value.split(",")
        try:
            if name.strip() == "sleep" and len(parts) == 1:
                out["sleep"] = (float(parts[0]) / 1000.0, None)  # given in uA
                continue
            seconds, ma = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise ValueError("--energy %r: write NAME=SECONDS,MA (sleep=UA)" % item) from None
        out[name.strip()] = (ma, seconds)
    return out
