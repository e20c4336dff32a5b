"""The bench's targets (issue 10), checked with by how much each is missed,
and the figures as JSON and as the Markdown table of docs/bench.md."""

import json

# (name, what, figure(results) -> value, limit, "max" | "min")
TARGETS = [
    ("printer sessions", "printer: Wi-Fi sessions <= 1.1 x the floor",
     lambda r: _ratio(r, "printer", "sessions"), 1.1, "max"),
    ("printer handshakes", "printer: TLS handshakes <= 1.1 x the floor",
     lambda r: _ratio(r, "printer", "handshakes"), 1.1, "max"),
    ("printer vs baseline", "printer: >= 20 x fewer handshakes than the peer baseline",
     lambda r: _vs_baseline(r, "printer", "handshakes"), 20, "min"),
    ("printer life", "printer: modeled life >= 8 years on 2xAA",
     lambda r: _get(r, "profiles", "printer", "this", "life_years"), 8, "min"),
    ("coffee life", "coffee: modeled life >= 2 years",
     lambda r: _get(r, "profiles", "coffee", "this", "life_years"), 2, "min"),
    ("flash writes", "flash writes <= 30 on any day (every profile)",
     lambda r: max([p["this"]["flash"]["most_in_a_day"] for p in r.get("profiles", {}).values()]
                   or [None]) if r.get("profiles") else None, 30, "max"),
    ("quiet imports", "a quiet wake imports < half of the deployed .mpy (fraction)",
     lambda r: _fraction(r), 0.5, "max"),
    ("heap need .mpy", "full wake, response at the cap: heap need (.mpy) <= 128k on the unix port",
     lambda r: _get(r, "memory", "heap_need", "mpy", "need_k"), 128, "max"),
    ("32-bit full wake", "32-bit VM: full wake's imports + peak at the cap <= 80 KB",
     lambda r: _kb(_step(r, "response at the cap")), 80, "max"),
    ("32-bit quiet wake", "32-bit VM: a quiet wake's live set <= 40 KB",
     lambda r: _kb(_quiet_peak(r)), 40, "max"),
]


def _get(r, *keys):
    for key in keys:
        if not isinstance(r, dict) or key not in r:
            return None
        r = r[key]
    return r


def _total(figures, key):
    value = figures[key]
    return sum(value.values()) if isinstance(value, dict) else value


def _ratio(r, profile, key):
    p = _get(r, "profiles", profile)
    return p and round(_total(p["this"], key) / max(1, _total(p["floor"], key)), 3)


def _vs_baseline(r, profile, key):
    p = _get(r, "profiles", profile)
    return p and round(_total(p["baseline"], key) / max(1, _total(p["this"], key)), 1)


def _fraction(r):
    m = r.get("memory")
    return m and round(m["quiet_mpy_bytes"] / m["mpy_total_bytes"], 3)


def _step(r, name):
    for step in _get(r, "memory", "liveset_32bit", "steps") or ():
        if step["name"] == name:
            return step["alloc"]
    return None


def _quiet_peak(r):
    steps = [_step(r, n) for n in ("quiet wake's imports", "slots updated", "policy decided",
                                   "JSON bodies")]
    steps = [s for s in steps if s is not None]
    return max(steps) if steps else None


def _kb(n):
    return None if n is None else round(n / 1024, 1)


def check(results):
    out = []
    for name, what, figure, limit, kind in TARGETS:
        value = figure(results)
        if value is None:
            out.append({"target": name, "what": what, "value": None, "met": None,
                        "missed_by": "not measured in this run"})
            continue
        met = value <= limit if kind == "max" else value >= limit
        missed = None if met else ("%.1f%% over" % (100.0 * (value / limit - 1)) if kind == "max"
                                   else "%.1f%% short" % (100.0 * (1 - value / limit)))
        out.append({"target": name, "what": what, "value": value, "limit": limit,
                    "met": met, "missed_by": missed})
    return out


def write_json(results, path):
    with open(path, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)


ROWS = [
    ("days run", lambda f, p: p["days"]),
    ("wakes", lambda f, p: f["wakes"]),
    ("Wi-Fi sessions (cold + fast)", lambda f, p: "%d (%d + %d)" % (
        f["sessions"], f["wifi_cold"], f["wifi_fast"])),
    ("SNTP syncs", lambda f, p: f["ntp"]),
    ("TLS handshakes LWA + DRS", lambda f, p: "%d (%d + %d)" % (
        sum(f["handshakes"].values()), f["handshakes"].get("lwa", 0),
        f["handshakes"].get("drs", 0))),
    ("requests", lambda f, p: "%d: %s" % (sum(f["requests"].values()), ", ".join(
        "%s %d" % kv for kv in sorted(f["requests"].items())))),
    ("LWA grants", lambda f, p: f["grants"]),
    ("orders", lambda f, p: f.get("orders", "")),
    ("flash writes (bytes; most in a day)", lambda f, p: "%d (%d B; %d)" % (
        f["flash"]["writes"], f["flash"]["bytes"], f["flash"]["most_in_a_day"]) if "flash" in f
     else ""),
    ("charge, mAh/day", lambda f, p: f["mah_per_day"]),
    ("modeled life on 2xAA, years", lambda f, p: f["life_years"]),
]


def _charge_row(f):
    c = f["charge_mas"]
    return ", ".join("%s %.0f" % (k, v / 3600.0 * 1000) for k, v in c.items() if k != "total")


def markdown(results):
    lines = ["# make bench", "", "Last run: %s (%s). Virtual days on the simulated board, "
             "against the emulator over TLS on loopback; counts from the emulator and the "
             "board, charge from the energy model below." % (results["date"], results["command"]),
             ""]
    for name, p in results.get("profiles", {}).items():
        lines += ["## %s" % name, "", "| | this firmware | floor | peer baseline | "
                  "this/floor | baseline/this |", "|---|---|---|---|---|---|"]
        for label, cell in ROWS:
            row = [str(cell(p[k], p)) for k in ("this", "floor", "baseline")]
            ratios = ["", ""]
            if label.startswith(("Wi-Fi", "TLS", "requests", "LWA", "charge")):
                key = {"W": "sessions", "T": "handshakes", "r": "requests", "L": "grants",
                       "c": "mah_per_day"}[label[0]]
                this, floor, base = (_total(p[k], key) for k in ("this", "floor", "baseline"))
                ratios = ["%.2f" % (this / floor) if floor else "-",
                          "%.1f" % (base / this) if this else "-"]
            lines.append("| %s | %s |" % (label, " | ".join(row + ratios)))
        lines.append("| charge by event over the run, µAh | %s | %s | %s | | |" % tuple(
            _charge_row(p[k]) for k in ("this", "floor", "baseline")))
        lines += ["", "Run: %s s of wall time, %d device boots (a wake that talks boots "
                  "twice: its radio half follows a soft reset)." % (p["wall_s"],
                                                                    p["this"]["boots"]), ""]
    if results.get("memory"):
        lines += _memory_lines(results["memory"])
    if results.get("fleet"):
        lines += _fleet_lines(results["fleet"])
    lines += ["## Targets", "", "| target | value | limit | met | missed by |",
              "|---|---|---|---|---|"]
    for t in results["targets"]:
        lines.append("| %s | %s | %s | %s | %s |" % (
            t["what"], t["value"], t.get("limit", ""), {True: "yes", False: "**no**",
                                                        None: "-"}[t["met"]],
            t["missed_by"] or ""))
    lines += ["", "## Energy model used", "", "| event | mA | s | mAs | what |",
              "|---|---|---|---|---|"]
    for row in results["energy_model"]:
        lines.append("| %s | %s | %s | %s | %s |" % (row["event"], row["mA"], row["s"] or "rest",
                                                     row["mAs"] or "", row["what"]))
    lines += ["", "Battery: %s mAh." % results["battery_mah"], ""]
    return "\n".join(lines)


def _memory_lines(m):
    lines = ["## Memory and time", "", "| figure | value |", "|---|---|",
             "| deployed .mpy | %d bytes in %d files |" % (m["mpy_total_bytes"], m["mpy_files"]),
             "| .mpy a quiet wake imports | %d bytes (%d modules) |" % (
                 m["quiet_mpy_bytes"], len(m["quiet_modules"])),
             "| .mpy a full wake imports | %d bytes (%d modules) |" % (
                 m["full_mpy_bytes"], len(m["full_modules"])),
             "| heap free after a quiet wake's imports (unix port, %s) | %d bytes (%d in use) |"
             % (m["heap_after_quiet_imports"]["heap"], m["heap_after_quiet_imports"]["free"],
                m["heap_after_quiet_imports"]["alloc"]),
             "| quiet wake, boot.py to deep sleep | %s ms |" % m["quiet_boot_to_sleep_ms"],
             "| bare interpreter start (`micropython -c pass`) | %s ms |" % m["bare_start_ms"],
             "| quiet wake / bare start | %s |" % m["quiet_over_bare"]]
    for form, scan in sorted((m.get("heap_need") or {}).items()):
        lines.append("| heap need, full wake at the %d-byte cap (%s) | %sk%s |" % (
            scan.get("cap", 0), form, scan["need_k"],
            "" if scan["monotonic"] else " (sizes above it fail too: not monotonic)"))
    live = m["liveset_32bit"]
    for step in live["steps"]:
        lines.append("| 32-bit VM (MicroPython %s WebAssembly), live set after: %s | %d bytes |"
                     % (live["version"], step["name"], step["alloc"]))
    if live.get("error"):
        lines.append("| 32-bit VM stopped | %s |" % live["error"].replace("|", "/"))
    return lines + [""]


def _fleet_lines(f):
    d, c = f["daily"], f["power_cut"]
    return ["## Fleet", "", "| figure | value |", "|---|---|",
            "| devices | %d |" % d["devices"],
            "| daily sessions: busiest minute / mean per minute | %d / %s = %s x |" % (
                d["busiest_minute"], d["mean_per_minute"], d["busiest_over_mean"]),
            "| power cut %s-%s: sessions missed | %d |" % (c["power_off"], c["power_back"],
                                                           c["missed"]),
            "| after it: busiest minute of the next day | %d (%s x the mean) |" % (
                c["busiest_minute"], c["busiest_over_mean"]),
            "| without the spread: sessions in the first minute | %d |" % (
                c["first_minute_without_spread"]), ""]
