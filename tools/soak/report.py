# The soak's table per profile: each fault kind, how many were injected and
# met, what the device did about them (the reactions its console showed,
# with how many faults each followed), and the breaches while one was active.
from tools.soak.checks import SAYS
from tools.soak.plan import KINDS

TOP = 3


def rows(life):
    out = []
    for kind in sorted(KINDS, key=lambda k: (KINDS[k][0], k)):
        faults = [f for f in life.plan if f.kind == kind and f.started]
        seen = {}
        for f in faults:
            for what in f.reactions & set(SAYS[f.group]):
                seen[what] = seen.get(what, 0) + 1
        did = ", ".join("%s (%d)" % (w, n) for w, n in
                        sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP])
        out.append((kind, len(faults), len([f for f in faults if f.hit]), did or "-",
                    life.breach_kinds.get(kind, 0)))
    return out


def print_life(life):
    print("\n== %s: %d days, %d wakes (%s), %d orders, seed %d"
          % (life.name, life.days, life.wakes, ", ".join(
              "%s %d" % kv for kv in sorted(life.outcomes.items())), life.orders, life.seed))
    table = rows(life)
    width = max(len(r[0]) for r in table)
    print("%-*s %5s %5s  %-8s %s" % (width, "fault", "count", "met", "breaches",
                                     "what the device did (faults it followed)"))
    for kind, count, met, did, breaches in table:
        print("%-*s %5d %5d  %-8d %s" % (width, kind, count, met, breaches, did))
    print("%-*s %5d %5d" % (width, "total", sum(r[1] for r in table), sum(r[2] for r in table)))
    cut = sorted(r for r in life.cut_records if r)
    print("power cuts mid-write hit: %s" % (", ".join(cut) or "none"))
    print("device status: sent in %d of the %d days it was owed (network up 7 h after the "
          "session minute), %d days in all; "
          "flash writes/day max %d, mean %.1f; heap %d objects (median), trend %+d over "
          "the run" % (
              len(life.status_days & life.status_owed), len(life.status_owed),
              len(life.status_days), max(life.writes),
              sum(life.writes) / max(1, life.days), life.heap_median, life.heap_growth))
    for rule, n in sorted(life.breach_count.items()):
        print("BREACH %s: %d" % (rule, n))
    for b in life.breaches:
        print("\nBREACH (%s, seed %d, day %d): %s - %s; faults active: %s" % (
            life.name, life.seed, b["day"], b["rule"], b["what"], ", ".join(b["faults"]) or
            "none"))
        for line in b["console"]:
            print("    " + line)
