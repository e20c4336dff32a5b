# One wake after another, as the customer and Amazon see them: what is sent,
# when the radio stays off, and that nothing is lost when the network fails.
# The board's clock was set by an earlier boot (test_boot.py starts cold).
from drs_device import Device

from replenish.cycle import SERVICE, SLOTS, Cycle
from replenish.rtcmem import RtcMemory
from replenish.slots import Slot
from replenish.store import Store
from tools.sim.board import SimBoard

# This wires the whole device (and the fake Amazon) into one heap: on the 64-bit
# unix port that takes more than the 110 KB default (see tests/conftest.py).
DEVICE_HEAP = "256k"
HOUR = 3600
DAY = 24 * HOUR
ORDER = "amzn1.dash.v2.o.ABC123"


class Level:
    """A probe that reads what the test says the container holds (0..1)."""

    def __init__(self, level):
        self.level = level
        self.fault = None

    def measure(self):
        if self.fault:
            return {"value": None, "settled": False, "fault": self.fault}
        return {"value": self.level, "settled": True, "fault": None}


class Rig:
    def __init__(self, level=1.0, wifi_password="pw"):
        self.dev = Device()
        self.clock = self.dev.clock
        self.board = SimBoard(clock=self.clock)
        self.board.rtc.set(self.clock.now())
        self.logs = self.dev.logs
        self.store = Store(self.board.fs, log=self.logs.append)
        self.sensor = Level(level)
        self.dev.answer("GET", "/subscriptionInfo", 200, {"slotsSubscriptionStatus": {
            "cyan": {"subscribed": True, "productInfoList": [
                {"asin": "B00INK", "quantity": 1.0, "unit": "count"}]}}})
        self.dev.answer("POST", "/replenish/cyan", 200, {
            "eventInstanceId": ORDER, "detailCode": "TEST_ORDER_PLACED"})
        self.order_status("Pending")
        self.wifi_password = wifi_password
        self.cycle = self.new_cycle()

    def new_cycle(self):
        """A fresh boot: everything but the flash is forgotten."""
        saved = self.store.load(SLOTS, {})
        self.slot = Slot({"id": "cyan", "capacity": 100}, saved.get("cyan"))
        return Cycle(self.board, self.store, [self.slot], {"cyan": self.sensor},
                     lambda: (self.dev.drs, self.dev.lwa), lambda: ("home", self.wifi_password),
                     log=self.logs.append, rtc=RtcMemory(self.board))

    def order_status(self, status):
        self.dev.answer("GET", "/getOrderInfo/" + ORDER, 200, {"orderInfoData": {
            "instanceId": ORDER, "orderItems": [{"asin": "B00INK", "slotId": "cyan",
                                                 "quantity": 1, "status": status,
                                                 "expectedDeliveryDate": None}]}})

    def drain(self, to):
        """Use the slot down to `to`, a tenth at a time: what a day's use looks like."""
        calls = []
        while self.sensor.level - to > 1e-9:
            calls += self.wake(level=max(to, self.sensor.level - 0.1))[1]
        return calls

    def wake(self, level=None, after=HOUR):
        self.clock.advance(after)
        if level is not None:
            self.sensor.level = level
        before = len(self.dev.service_calls())
        outcome = self.cycle.wake()
        return outcome, [r.method + " " + r.path for r in self.dev.service_calls()[before:]]

    def said(self, words):
        return any(words in line for line in self.logs)

    def sent(self, path):
        """The body of the last request to path."""
        return [r for r in self.dev.service_calls() if r.path == path][-1].json()


def test_first_wake_reports_everything_daily_due_then_stays_quiet():
    rig = Rig()
    outcome, calls = rig.wake()
    assert outcome == "sent"
    assert calls == ["GET /subscriptionInfo", "POST /slotStatus/cyan", "POST /deviceStatus"]
    outcome, calls = rig.wake()
    assert (outcome, calls) == ("idle", [])
    assert rig.board.wifi.connects == 1  # the quiet wake never turned the radio on


def test_consumption_waits_for_the_daily_session_with_the_slot_quantities():
    rig = Rig()
    rig.wake()
    assert rig.wake(level=0.8) == ("idle", [])  # the radio stays off until the session
    outcome, calls = rig.wake(after=DAY)
    assert "POST /slotStatus/cyan" in calls and "POST /deviceStatus" in calls
    body = rig.sent("/slotStatus/cyan")
    assert body["remainingQuantityInUnit"] == 80
    assert body["originalQuantityInUnit"] == 100
    assert body["lastUseDate"].endswith("Z")


def test_a_low_slot_is_ordered_and_followed_up_in_the_same_wake_once():
    rig = Rig()
    rig.wake()
    rig.drain(0.2)
    outcome, calls = rig.wake(level=0.08)  # low can't wait for the session
    assert calls == ["POST /replenish/cyan", "GET /getOrderInfo/" + ORDER]
    for _ in range(30):  # still low, order open, over a day: no second order
        outcome, calls = rig.wake(level=0.07)
        assert "POST /replenish/cyan" not in calls


def test_an_order_the_service_says_nothing_of_is_never_placed_twice():
    rig = Rig()
    rig.wake()
    rig.dev.answer("GET", "/getOrderInfo/" + ORDER, 200, {"orderInfoData": {
        "instanceId": ORDER, "orderItems": []}})
    calls = rig.drain(0.08)
    for _ in range(48):
        calls += rig.wake(level=0.07)[1]
    assert calls.count("POST /replenish/cyan") == 1


def test_a_cancelled_order_lets_the_slot_be_ordered_again_a_day_later():
    rig = Rig()
    rig.wake()
    assert "POST /replenish/cyan" in rig.drain(0.08)
    rig.order_status("Canceled")
    outcome, calls = rig.wake(after=24 * HOUR)
    assert "GET /getOrderInfo/" + ORDER in calls
    assert "POST /replenish/cyan" not in calls  # the customer just cancelled it
    calls = rig.wake(level=0.07, after=23 * HOUR)[1] + rig.wake(level=0.07)[1]
    assert calls.count("POST /replenish/cyan") == 1  # a day later, still low


def test_a_refill_closes_the_order_and_is_reported():
    rig = Rig()
    rig.wake()
    rig.drain(0.08)
    assert rig.store.load(SERVICE)["orders"]["cyan"]["id"] == ORDER
    rig.wake(level=0.95)  # a new container: a rise is confirmed by the next reading
    rig.wake(level=0.95)
    assert rig.store.load(SERVICE)["orders"] == {}
    outcome, calls = rig.wake(after=DAY)  # reported in the next daily session
    assert "POST /slotStatus/cyan" in calls
    assert rig.sent("/slotStatus/cyan")["remainingQuantityInUnit"] == 95


def test_wrong_wifi_password_keeps_readings_and_backs_off_without_leaking_it():
    rig = Rig(wifi_password="not-the-password")
    outcome, calls = rig.wake(level=0.9)
    assert (outcome, calls) == ("failed", [])
    assert rig.store.load(SLOTS)["cyan"]["q"] == 90  # the reading is in flash
    assert rig.cycle.memory()["retry_at"] > rig.clock.now()  # in RTC memory...
    assert "retry_at" not in rig.store.load(SERVICE)  # ...a failing network wears no flash
    assert any("password was refused" in line for line in rig.logs)
    assert not any("not-the-password" in line for line in rig.logs)
    outcome, calls = rig.wake(after=60)
    assert (outcome, calls) == ("idle", [])  # backing off: the radio stays off


def test_service_busy_is_retried_when_it_says():
    rig = Rig()
    rig.dev.answer("POST", "/deviceStatus", 503, {"message": "busy"}, {"Retry-After": "7200"})
    outcome, calls = rig.wake()
    assert outcome == "later"
    rig.dev.answer("POST", "/deviceStatus", 200, {})
    assert rig.wake(after=HOUR)[1] == []  # an hour later: still inside Retry-After
    outcome, calls = rig.wake(after=HOUR)
    assert calls == ["POST /deviceStatus"]


def test_an_unlinked_device_sends_nothing_and_says_how_to_link():
    rig = Rig()
    rig.dev.amazon.revoke()
    outcome, calls = rig.wake()
    assert outcome == "unlinked" and calls == []
    assert any("link" in line.lower() for line in rig.logs)
    assert rig.wake(level=0.05)[0] == "unlinked"


def test_a_faulty_sensor_reports_nothing_and_orders_nothing():
    rig = Rig()
    rig.wake()
    rig.sensor.fault = "readings stuck at one value"
    outcome, calls = rig.wake(level=0.05)
    assert calls == []
    assert any("faulty" in line for line in rig.logs)


def test_an_older_copy_of_an_order_that_has_arrived_does_not_block_the_next_one():
    rig = Rig()
    rig.wake()
    rig.drain(0.08)
    older = rig.store.load(SERVICE)  # the order open, as a backup copy in flash holds it
    rig.wake(level=0.95)
    rig.wake(level=0.95)  # the new container: the order is over
    # A power cut (RTC memory gone) and a worn service record: the older copy is back.
    rig.board.rtc_memory(b"")
    rig.store.save(SERVICE, older)
    rig.cycle = rig.new_cycle()
    rig.order_status("Shipped")
    calls = rig.drain(0.08)
    assert rig.said("arrived: a new container went in since")
    assert calls.count("POST /replenish/cyan") == 1
    assert calls.count("GET /getOrderInfo/" + ORDER) == 1  # shipped at once: asked once


def test_a_shipped_order_never_seen_arriving_lets_the_slot_be_ordered_after_three_weeks():
    rig = Rig()
    rig.wake()
    rig.order_status("Shipped")
    calls = rig.drain(0.08)  # ordered, and shipped: not asked after again
    calls += rig.wake(level=0.07, after=20 * DAY)[1]
    assert calls.count("POST /replenish/cyan") == 1
    calls = rig.wake(level=0.07, after=2 * DAY)[1]
    assert calls.count("POST /replenish/cyan") == 1
    assert rig.said("no new container showed in 21 days")


def test_state_survives_a_reboot_between_wakes():
    rig = Rig()
    rig.wake()
    assert "POST /replenish/cyan" in rig.drain(0.08)
    rig.cycle = rig.new_cycle()  # deep sleep: RAM gone, flash kept
    outcome, calls = rig.wake(level=0.05)
    assert "POST /replenish/cyan" not in calls
    assert rig.slot.quantity == 5
