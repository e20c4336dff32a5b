"""The bench's appliances: examples/ profiles, on battery, with the wake
period and household the benchmark asks for where the example differs
(the coffee example wakes every 30 min for a 12-day bag; the bench's coffee
machine measures every 15 min and a 1 kg bag lasts 14 days)."""

from tools.profiles import Profile

# name: (example, days to run, measure_every_s or None, days a container lasts or None)
APPLIANCES = {
    "printer": ("printer-4ink", 365, None, None),
    "coffee": ("coffee", 56, 900, 14),
    "pet-feeder": ("pet-feeder", 365, None, None),
}


def appliance(name, days=None):
    """(Profile, days): the example with the bench's changes applied."""
    example, default_days, every_s, container_days = APPLIANCES[name]
    profile = Profile(example)
    profile.config["battery"] = True
    if every_s:
        profile.config["measure_every_s"] = every_s
        profile.household["wake_every_s"] = every_s
    if container_days:
        for slot in profile.household["slots"]:
            slot["days_per_container"] = container_days
    return profile, days or default_days
