# Slot scenarios over simulated weeks, one reading an hour in virtual time:
# the quantities, dates and flags the firmware reports and orders on.
import json

from checks import expect

from replenish import faults, slots
from replenish.clock import DAY, parse_iso8601
from replenish.slots import Slot
from tools.sim.clock import START
from tools.sim.noise import Noise

HOUR = 3600
COFFEE = {"id": "coffee", "capacity": 1000, "unit_g": 1.0, "container_g": 40}
INK = {"id": "ink", "capacity": 100}
FIELDS = ["expectedReplenishmentDate", "lastUseDate", "originalQuantityInUnit",
          "remainingQuantityInUnit"]


class Scale:
    """The world on a load cell: grams on it, read once an hour with noise."""

    def __init__(self, config=COFFEE, grams=1040.0, noise_g=0.8, state=None):
        self.slot = Slot(config, state)
        self.grams = grams
        self.noise = Noise(noise_g, seed=11)
        self.now = START
        # How often each event was seen: a count, not a list of every hour's
        # (a year of hours as a list is a 16 KB block in a 110 KB heap).
        self.events = {}

    def hour(self, used=0.0, reading=None):
        self.now += HOUR
        self.grams -= used
        if reading is None:
            reading = {"value": self.grams + self.noise(), "settled": True, "fault": None}
        event = self.slot.update(self.now, **reading)
        self.events[event] = self.events.get(event, 0) + 1
        return event

    def days(self, n, doses=(7, 13), dose_g=15.0):
        for _ in range(n * 24):
            hour_of_day = (self.now + HOUR - START) // HOUR % 24
            self.hour(dose_g if hour_of_day in doses else 0.0)


def test_first_reading_sets_the_quantity_net_of_the_container():
    scale = Scale()
    assert scale.hour() == slots.FIRST
    body = scale.slot.status_body(scale.now)
    assert sorted(body) == FIELDS  # exactly the DRS names; no on-hand unless configured
    assert abs(body["remainingQuantityInUnit"] - 1000) < 2
    assert body["originalQuantityInUnit"] == 1000
    assert body["lastUseDate"] == "2026-01-01T01:00:00Z"
    # Nothing used yet: the farthest date, a year on.
    assert parse_iso8601(body["expectedReplenishmentDate"]) == scale.now + 365 * DAY


def test_units_come_from_the_per_unit_weight():
    pods = {"id": "pods", "capacity": 40, "unit_g": 12.5, "container_g": 200}
    scale = Scale(pods, grams=200 + 30 * 12.5, noise_g=0.3)
    scale.hour()
    assert abs(scale.slot.quantity - 30) < 0.1
    scale.hour(used=2 * 12.5)
    assert abs(scale.slot.quantity - 28) < 0.1


def test_steady_use_over_two_weeks_predicts_the_empty_day():
    scale = Scale()
    scale.days(14)  # 30 g a day
    slot = scale.slot
    assert not slot.faulty and slot.consumed
    assert scale.events.get(slots.CONSUMED) == 28  # every dose, no noise counted
    rate = slot.rate(scale.now)
    assert abs(rate - 30.0) < 4.0
    left_days = slot.quantity / 30.0
    expected = parse_iso8601(slot.status_body(scale.now)["expectedReplenishmentDate"])
    assert abs(expected - (scale.now + left_days * DAY)) < 3 * DAY
    last_use = parse_iso8601(slot.status_body(scale.now)["lastUseDate"])
    assert scale.now - last_use < DAY


def test_bursts_count_at_their_average_rate():
    scale = Scale()
    for _ in range(3):
        scale.days(5)  # two doses a day on weekdays
        scale.days(2, doses=(9, 10, 11, 12, 16, 17, 18, 20))  # weekend brunches
    average = (3 * (5 * 30 + 2 * 120)) / 21.0
    rate = scale.slot.rate(scale.now)
    assert abs(rate - average) < 0.25 * average


def test_noise_and_drift_alone_are_not_use():
    scale = Scale(noise_g=2.5)  # a noisy cell: ±7.5 g at 3 sigma, deadband 10 g
    for _ in range(7 * 24):
        scale.hour(used=-0.03)  # temperature drift upwards, 5 g a week
    assert slots.CONSUMED not in scale.events
    assert not scale.slot.consumed
    assert scale.slot.rate(scale.now) is None


def test_a_refill_while_an_order_is_open_is_its_delivery():
    config = dict(COFFEE, low=150, low_band=50)
    scale = Scale(config)
    scale.days(10, doses=(7, 10, 13, 16, 19), dose_g=18.0)  # 90 g a day
    assert scale.slot.low
    scale.slot.ordered()
    scale.grams = 40 + 1200.0  # the delivered bag is bigger
    assert scale.hour(reading={"value": None, "settled": False, "fault": None}) \
        == slots.UNSETTLED  # poured in while weighed
    assert scale.hour() == slots.PENDING
    assert scale.hour() == slots.DELIVERED
    slot = scale.slot
    assert not slot.order_open and not slot.low
    assert abs(slot.status_body(scale.now)["originalQuantityInUnit"] - 1200) < 2
    assert 60.0 < slot.rate(scale.now) < 120.0  # a refill is not use


def test_a_container_lifted_off_and_put_back_is_not_consumption():
    # With the container's weight configured, the cell reads about 0 g while
    # it is off; tared with the empty container on it (container_g 0), -40 g.
    for config, full_g, off_g in ((COFFEE, 1040.0, 0.0),
                                  (dict(COFFEE, container_g=0), 1000.0, -40.0)):
        scale = Scale(config, grams=full_g)
        scale.days(2)
        before = scale.slot.quantity
        scale.slot.reported()
        saved, scale.grams = scale.grams, off_g
        assert scale.hour() == slots.ABSENT
        assert scale.hour() == slots.ABSENT
        assert scale.slot.absent and not scale.slot.consumed and not scale.slot.low
        scale.grams = saved - 15.0  # a dose taken while it was off
        assert scale.hour() == slots.CONSUMED
        assert abs(scale.slot.quantity - (before - 15.0)) < 3
        assert scale.slot.status_body(scale.now)["originalQuantityInUnit"] == 1000
        assert slots.REFILLED not in scale.events


def test_a_spike_from_a_hand_on_the_container_is_ignored():
    scale = Scale()
    scale.days(1)
    scale.slot.reported()
    saved = scale.grams
    scale.grams += 300.0  # leaning on it for one reading
    assert scale.hour() == slots.PENDING
    scale.grams = saved
    assert scale.hour() == slots.STEADY
    assert not scale.slot.consumed
    assert abs(scale.slot.quantity - (saved - 40)) < 3


def test_a_sensor_unplugged_mid_week_stops_reports_and_recovers():
    scale = Scale()
    scale.days(3)
    scale.slot.reported()
    unplugged = {"value": None, "settled": False, "fault": faults.NO_DATA}
    for hour in range(4 * 24):  # unplugged for four days; coffee is still made
        scale.hour(used=15.0 if hour % 12 == 0 else 0.0, reading=unplugged)
        assert scale.slot.faulty and scale.slot.fault == faults.NO_DATA
        assert not scale.slot.consumed
    assert scale.hour() == slots.FAULTY  # one sane reading is not enough
    assert scale.slot.faulty
    assert scale.hour() == slots.CONSUMED  # the second confirms: use while unplugged
    assert not scale.slot.faulty and scale.slot.consumed
    # The 120 g used unseen are spread over the outage, not over a day or two.
    assert abs(scale.slot.rate(scale.now) - 30.0) < 6.0


def test_an_impossible_jump_is_a_fault_not_a_refill():
    scale = Scale()
    scale.days(1)
    grams = scale.grams
    scale.grams = 8000.0  # a bit error on the data line
    assert scale.hour() == slots.FAULT
    assert "impossible" in scale.slot.fault
    scale.grams = grams
    scale.hour()
    scale.hour()
    assert not scale.slot.faulty
    assert scale.slot.status_body(scale.now)["originalQuantityInUnit"] == 1000
    assert slots.REFILLED not in scale.events


def test_a_holiday_fades_the_rate_gently_and_the_next_use_restores_it():
    scale = Scale()
    scale.days(14)
    before = scale.slot.rate(scale.now)
    scale.days(14, doses=())  # away
    assert scale.slot.rate(scale.now) > 0.4 * before
    scale.days(1)
    # Only a day of the fortnight counts as time between uses.
    assert abs(scale.slot.rate(scale.now) - 30.0) < 0.2 * 30.0


def test_a_slot_nobody_uses_any_more_moves_its_date_out():
    scale = Scale()
    scale.days(10)
    soon = parse_iso8601(scale.slot.status_body(scale.now)["expectedReplenishmentDate"])
    assert soon - scale.now < 40 * DAY
    scale.days(60, doses=())
    later = parse_iso8601(scale.slot.status_body(scale.now)["expectedReplenishmentDate"])
    assert later - scale.now > 200 * DAY
    scale.days(2)  # back in use: the old habit returns at once
    assert abs(scale.slot.rate(scale.now) - 30.0) < 0.3 * 30.0


def test_low_flag_does_not_flap_around_the_threshold():
    config = dict(COFFEE, low=200, low_band=30)
    scale = Scale(config, grams=40 + 205.0, noise_g=0.5)
    flips, was = 0, None
    for hour in range(48):
        scale.grams = 40 + (195.0 if hour % 2 else 212.0)  # hovering, ±10 g
        scale.hour()
        flips += was is not None and was != scale.slot.low
        was = scale.slot.low
    assert scale.slot.low and flips == 1


def test_on_hand_is_reported_only_when_configured_and_used_by_refills():
    scale = Scale(dict(COFFEE, on_hand=2000))
    scale.days(8, doses=(7, 10, 13, 16, 19), dose_g=18.0)
    body = scale.slot.status_body(scale.now)
    assert body["totalQuantityOnHand"] == 2000
    scale.grams = 40 + 1000.0  # topped up from a bag in the cupboard, no order open
    scale.hour()
    assert scale.hour() == slots.REFILLED
    assert abs(scale.slot.status_body(scale.now)["totalQuantityOnHand"] - (2000 - 720)) < 3


def test_state_is_small_json_and_survives_deep_sleep():
    scale = Scale(dict(COFFEE, on_hand=1000))
    scale.days(4)
    scale.slot.ordered()
    text = json.dumps(scale.slot.state)
    assert len(text) < 360  # four slots fit RTC memory's 2048 bytes
    woken = Slot(dict(COFFEE, on_hand=1000), json.loads(text))
    twin = Scale(dict(COFFEE, on_hand=1000))
    twin.slot, twin.grams, twin.now, twin.noise = woken, scale.grams, scale.now, scale.noise
    scale.noise = Noise(0.8, seed=99)
    twin.noise = Noise(0.8, seed=99)
    scale.days(2)
    twin.days(2)
    assert woken.status_body(twin.now) == scale.slot.status_body(scale.now)
    assert woken.order_open


def test_bad_config_is_refused_with_the_slot_named():
    for config in ({"id": "x"}, {"id": "x", "capacity": 5, "unit_g": 0}):
        assert "slot x" in str(expect(ValueError, Slot, config))
    assert "no trusted reading" in str(expect(ValueError, Slot(INK).status_body, START))
