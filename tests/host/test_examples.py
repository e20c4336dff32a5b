"""Every example in examples/ is a configuration the firmware accepts as it
is, wired the way an ESP32 allows, with a simulated household that matches it."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lib"))  # the device's own modules, as tests/conftest.py does

from hx711 import EXTRA_PULSES, MAX_CODE, MIN_CODE, SETTLE_MS  # noqa: E402
from level_probe import ADC1_PINS, attenuation_for, check_pin  # noqa: E402
from replenish.config import Config  # noqa: E402
from replenish.slots import Slot  # noqa: E402

EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if p.is_dir())
# Pins an example may not use: the flash (6-11) and the boot strapping pins.
RESERVED = {0, 2, 5, 6, 7, 8, 9, 10, 11, 12, 15}
INPUT_ONLY = {34, 35, 36, 37, 38, 39}  # no output driver, no internal pull-up
RTC_OUTPUTS = {4, 13, 14, 25, 26, 27, 32, 33}  # can be held through deep sleep


def read(name, file):
    return json.loads((ROOT / "examples" / name / file).read_text())


def pins(sensor):
    return [sensor[k] for k in ("pin", "sck", "dout") if k in sensor]


def test_the_four_appliances_of_the_issue_are_there():
    assert {"printer-4ink", "washer", "coffee"} <= set(EXAMPLES) and len(EXAMPLES) >= 4


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_firmware_accepts_the_config(name):
    config = Config(read(name, "config.json"), read(name, "secrets.example.json"))
    slots = [Slot(section.data) for section in config.slots]  # capacity, unit_g checked
    assert [s.id for s in slots] and len({s.id for s in slots}) == len(slots)
    assert config.lwa_url == "https://api.amazon.com"  # Amazon's, until the maker says otherwise
    for section in config.slots:
        assert section.data["low"] < section.data["capacity"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_wiring_is_possible_on_an_esp32(name):
    config = read(name, "config.json")
    used = [pin for slot in config["slots"] for pin in pins(slot["sensor"])]
    assert len(used) == len(set(used)), "a pin serves two things: %s" % used
    assert not RESERVED & set(used)
    for slot in config["slots"]:
        sensor = slot["sensor"]
        if sensor["type"] == "probe":
            check_pin(sensor["pin"])  # ADC2 can't be read with Wi-Fi on
            assert sensor["pin"] in ADC1_PINS
            attenuation_for(sensor["max_mv"] * 1000)  # within the ADC's range
        else:
            assert sensor["type"] == "hx711"
            assert sensor["gain"] in EXTRA_PULSES and sensor["rate"] in SETTLE_MS
            assert sensor["sck"] not in INPUT_ONLY and sensor["dout"] not in INPUT_ONLY
            if config.get("battery"):
                assert sensor["sck"] in RTC_OUTPUTS, "SCK must be held high in deep sleep"


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_household_simulates_what_the_config_describes(name):
    config, household = read(name, "config.json"), read(name, "household.json")
    assert household["wake_every_s"] == config["measure_every_s"]
    slots = {s["id"]: s for s in config["slots"]}
    assert [h["id"] for h in household["slots"]] == list(slots)
    for h in household["slots"]:
        slot, model = slots[h["id"]], h["sensor"]
        assert model["type"] == slot["sensor"]["type"]
        assert pins(model) == pins(slot["sensor"])
        assert h["capacity"] == slot["capacity"] and h["days_per_container"] > 0
        if model["type"] == "probe":
            top = slot["sensor"]["max_mv"] * 1000
            assert 0 <= min(model["empty_uv"], model["full_uv"]) < top
            assert max(model["empty_uv"], model["full_uv"]) <= top
            assert abs(model["full_uv"] - model["empty_uv"]) > 100000  # resolvable
        else:
            full = model["tare_counts"] + h["capacity"] * model["counts_per_unit"]
            assert model["counts_per_unit"] > 0
            assert MIN_CODE < model["tare_counts"] and full < MAX_CODE, "a full container "\
                "would saturate the HX711"


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_wiring_note_names_every_pin_and_the_run_command(name):
    note = (ROOT / "examples" / name / "WIRING.md").read_text()
    for slot in read(name, "config.json")["slots"]:
        assert slot["id"] in note
        for pin in pins(slot["sensor"]):
            assert "GPIO%d" % pin in note
    assert 'make run ARGS="--profile %s"' % name in note


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_real_secret_is_shipped(name):
    folder = ROOT / "examples" / name
    assert not (folder / "secrets.json").exists() and not (folder / "link.json").exists()
    assert set(read(name, "secrets.example.json")) == {"wifi_password", "client_secret"}
