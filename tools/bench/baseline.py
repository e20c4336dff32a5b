"""The peer baseline on the same household trace: what the public DRS
clients do (issue 10's energy model) - Wi-Fi on at every measurement with nothing
cached (a cold join) and the clock set each time, a token refresh every
wake, a report at every measurement (each readable slot's status), device
status once a day, a replenish per threshold crossing, and every request on a
new TLS connection (MicroPython's requests sends Connection: close)."""

from tools.bench import household


def baseline(trace):
    wakes = len(household.measured(trace))
    requests = {"token": wakes, "device_status": len(household.days(trace)),
                "slot_status": household.readable_slot_readings(trace),
                "replenish": len(household.low_crossings(trace))}
    drs = sum(n for endpoint, n in requests.items() if endpoint != "token")
    return {"wakes": wakes, "sessions": wakes, "wifi_cold": wakes, "wifi_fast": 0,
            "ntp": wakes, "grants": wakes, "handshakes": {"lwa": wakes, "drs": drs},
            "requests": requests}
