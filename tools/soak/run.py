# The soak's profiles and the run of each, one after the other, sharing the
# loopback trap servers (tools/soak/world.py).
from tools.soak.life import Life
from tools.soak.world import Traps

# profile -> measuring period: the printer's four ADC probes hourly, the
# coffee hopper's load cell every 15 minutes (its example says 30: the soak
# takes the harsher rhythm, four times the wakes and writes of an hour).
PROFILES = {"printer-4ink": 3600, "coffee": 900}


def soak(seed, days, profiles, per_day, console=None):
    traps = Traps()
    try:
        return [Life(name, seed, days, per_day, PROFILES[name], traps, console).run()
                for name in profiles]
    finally:
        traps.close()
