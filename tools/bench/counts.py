"""What the firmware did on the run, counted from the emulator (requests,
handshakes, orders) and the board (RTC memory and flash around each wake),
and the events the energy model prices. The floor and the baseline produce
the same shape, so the three are priced and compared alike:

  {"wakes", "boots", "sessions", "wifi_cold", "wifi_fast", "ntp", "grants",
   "handshakes": {host: n}, "requests": {endpoint: n}, ...}"""

from collections import Counter

from tools.bench.household import DAY

SENSOR_EVENT = {"probe": "adc_probe"}
HX711_EVENT = {10: "hx711_10sps", 80: "hx711_80sps"}


def firmware(trace):
    wakes = trace["wakes"]
    radio = [w for w in wakes if w.get("radio")]
    fast = sum(1 for w in radio if w["rtc_before"].get("wifi")
               and w["rtc_before"].get("wifi") == w["rtc_after"].get("wifi"))
    ntp = sum(1 for w in wakes if w["rtc_after"].get("clock") != w["rtc_before"].get("clock"))
    requests = trace["requests"]
    per_day_sessions = Counter((w["start"] - trace["start"]) // DAY for w in radio)
    connections = Counter(host for host, _ in set((r["host"], r["connection"])
                                                  for r in requests))
    return {
        "wakes": len(wakes), "boots": sum(w["boots"] for w in wakes), "sessions": len(radio),
        "wifi_cold": len(radio) - fast, "wifi_fast": fast, "ntp": ntp,
        "most_sessions_in_a_day": max(per_day_sessions.values()) if per_day_sessions else 0,
        "handshakes": dict(trace["handshakes"]),
        "connections_seen": dict(connections),
        "requests": dict(Counter(r["endpoint"] for r in requests)),
        "grants": sum(1 for r in requests if r["grant"]),
        "orders": len(trace["orders"]),
        "flash": flash(trace),
        "outcomes": dict(Counter(w.get("outcome") for w in wakes)),
    }


def flash(trace):
    per_day = Counter()
    count = size = 0
    for wake in trace["wakes"]:
        day = (wake["start"] - trace["start"]) // DAY
        per_day[day] += len(wake["writes"])
        count += len(wake["writes"])
        size += sum(n for _, n in wake["writes"])
    return {"writes": count, "bytes": size, "most_in_a_day": max(per_day.values()) if per_day
            else 0, "files": sorted(set(name for w in trace["wakes"] for name, _ in w["writes"]))}


def events(figures, trace):
    """{energy-model event: count} for one set of figures on this trace."""
    out = Counter()
    out["boot"] = figures.get("boots", figures["wakes"])  # a radio wake boots twice
    for spec in trace["slots"]:
        name = (SENSOR_EVENT.get(spec["sensor"]) or HX711_EVENT[spec["rate"]])
        out[name] += figures["wakes"]
    out["wifi_cold"] = figures["wifi_cold"]
    out["wifi_fast"] = figures["wifi_fast"]
    out["ntp"] = figures["ntp"]
    out["tls_handshake"] = sum(figures["handshakes"].values())
    out["http_request"] = sum(figures["requests"].values())
    return dict(out)


def priced(figures, trace, model):
    """The figures with their charge per event class and the modeled life."""
    span = trace["days"] * DAY
    charge = model.charge(events(figures, trace), span)
    out = dict(figures)
    out["charge_mas"] = dict((k, round(v, 1)) for k, v in charge.items())
    out["mah_per_day"] = round(charge["total"] / 3600 * DAY / span, 4)
    out["life_years"] = round(model.life_years(charge["total"], span), 2)
    return out
