"""The order lifecycle over emulated days: cancel window, shipping, delivery,
the Order Resolution Flow and test orders, with their notifications."""

import json

import pytest
from emulator_support import DAY, HOUR, START, new_device, running_emulator

from tools.emulator import ControlError

emu = pytest.fixture(running_emulator, name="emu")


def status_of(device, instance):
    device.login()  # emulated days pass between calls: an hour-long token has expired
    item, = device.order_info(instance).json()["orderInfoData"]["orderItems"]
    return item["status"], item["expectedDeliveryDate"]


def kinds(emu):
    return [n["notificationInfo"]["notificationType"] for n in emu.control.notifications()]


def test_standard_order_ships_after_the_cancel_window_and_is_delivered(emu):
    device = new_device(emu, test_device=False)
    instance = device.replenish().json()["eventInstanceId"]
    assert status_of(device, instance) == ("Pending", "2026-01-04T00:00:00.000Z")
    emu.control.advance_clock(24 * HOUR - 1)
    device.login()
    assert device.replenish().json()["detailCode"] == "ORDER_INPROGRESS"
    emu.control.advance_clock(1)
    assert status_of(device, instance)[0] == "Authorized"
    assert kinds(emu)[-1] == "ItemShippedNotification"
    device.login()
    assert device.replenish().json()["detailCode"] == "ORDER_INPROGRESS"
    emu.control.advance_clock(2 * DAY)
    device.login()
    assert status_of(device, instance)[0] == "Closed"
    again = device.replenish().json()
    assert again["detailCode"] == "STANDARD_ORDER_PLACED"
    assert again["eventInstanceId"] != instance


def test_notifications_carry_the_time_of_the_event_not_of_the_look(emu):
    device = new_device(emu, test_device=False)
    device.replenish()
    emu.control.advance_clock(10 * DAY)
    shipped = emu.control.notifications(type="ItemShippedNotification")
    assert shipped[0]["notificationInfo"]["notificationTime"] == "2026-01-02T00:00:00Z"


def test_order_notification_has_the_sns_and_drs_shape(emu):
    device = new_device(emu, test_device=False, model="m1", serial="SN-5")
    instance = device.replenish().json()["eventInstanceId"]
    envelope = emu.control.notifications(decoded=False)[-1]
    assert envelope["Type"] == "Notification" and envelope["Subject"] == "OrderPlacedNotification"
    message = json.loads(envelope["Message"])
    info = message["notificationInfo"]
    assert info["lwaClientId"] == device.creds["client_id"]
    assert set(info) == {"notificationType", "lwaClientId", "notificationTime",
                         "notificationId", "version"}
    assert message["deviceInfo"] == {"deviceIdentifier": {"serialNumber": "SN-5"},
                                     "productIdentifier": {"modelId": "m1"}}
    assert message["customerInfo"]["directedCustomerId"] == device.creds["customer_id"]
    order = message["orderInfo"]
    assert order["instanceId"] == instance and order["slotId"] == "slot1"
    product, = order["productInfo"]
    assert set(product) == {"asin", "quantity", "unit", "estimatedDeliveryDate"}


def test_customer_may_cancel_only_inside_the_24_hour_window(emu):
    device = new_device(emu, test_device=False, slots=["a", "b"])
    first = device.replenish("a").json()["eventInstanceId"]
    emu.control.advance_clock(23 * HOUR)
    emu.control.cancel_order(first)
    assert status_of(device, first) == ("Canceled", None)
    assert kinds(emu)[-1] == "OrderCancelledNotification"
    assert device.replenish("a").json()["detailCode"] == "STANDARD_ORDER_PLACED"
    late = device.replenish("b").json()["eventInstanceId"]
    emu.control.advance_clock(24 * HOUR)
    with pytest.raises(ControlError, match="24 h cancel window"):
        emu.control.cancel_order(late)


def test_payment_problem_runs_the_order_resolution_flow_then_cancels(emu):
    device = new_device(emu, test_device=False, payment_problem="payment")
    placed = device.replenish().json()
    assert placed["detailCode"] == "STANDARD_ORDER_PLACED"
    assert status_of(device, placed["eventInstanceId"]) == ("Pending", None)
    for _ in range(2):
        emu.control.advance_clock(35 * HOUR)
        device.login()
        assert device.replenish().json()["detailCode"] == "ORDER_INPROGRESS"
    emu.control.advance_clock(2 * HOUR)  # 72 h after the order
    device.login()
    assert status_of(device, placed["eventInstanceId"]) == ("Canceled", None)
    assert kinds(emu)[-1] == "OrderCancelledNotification"
    assert "OrderPlacedNotification" not in kinds(emu)
    assert device.replenish().json()["detailCode"] == "STANDARD_ORDER_PLACED"


def test_fixing_the_problem_lets_the_held_order_go_ahead(emu):
    device = new_device(emu, test_device=False, payment_problem="address")
    instance = device.replenish().json()["eventInstanceId"]
    emu.control.advance_clock(30 * HOUR)
    emu.control.set_customer_problem(device.creds["customer_id"], None)
    # past the 24 h window already, so it is placed and shipped at once
    assert kinds(emu)[-2:] == ["OrderPlacedNotification", "ItemShippedNotification"]
    status, delivery = status_of(device, instance)
    assert status == "Authorized" and delivery == "2026-01-04T06:00:00.000Z"
    emu.control.advance_clock(5 * DAY)
    assert status_of(device, instance)[0] == "Closed"


def test_test_orders_stay_open_until_cancelled(emu):
    device = new_device(emu, test_device=True)
    instance = device.replenish().json()["eventInstanceId"]
    for _ in range(30):
        emu.control.advance_clock(DAY)
    device.login()
    assert device.replenish().json()["detailCode"] == "ORDER_INPROGRESS"
    assert status_of(device, instance) == ("Pending", None)
    assert "ItemShippedNotification" not in kinds(emu)
    device.drs("DELETE", "/testOrders", "DrsCancelTestOrdersInput", "DrsCancelTestOrdersResult")
    assert status_of(device, instance)[0] == "Canceled"
    assert device.replenish().json()["detailCode"] == "TEST_ORDER_PLACED"


def test_older_status_values_can_be_chosen(emu):
    emu.control.set_order_status_set("old")
    device = new_device(emu, test_device=False)
    instance = device.replenish().json()["eventInstanceId"]
    assert status_of(device, instance)[0] == "Processing"
    emu.control.advance_clock(DAY)
    assert status_of(device, instance)[0] == "Shipped"


def test_subscription_change_is_notified(emu):
    device = new_device(emu, model="m2", serial="SN-8", slots=["a"])
    emu.control.set_subscription("m2", "SN-8", "a", False)
    note = emu.control.notifications(type="SubscriptionChangedNotification")[0]
    assert note["subscriptionInfo"] == {"slotsSubscriptionStatus": {"a": False}}
    assert device.replenish("a").status == 400


def test_clock_can_be_set_to_match_a_device(emu):
    assert emu.control.set_clock("2026-03-01T12:00:00Z")["iso"] == "2026-03-01T12:00:00Z"
    with pytest.raises(ControlError, match="only moves forward"):
        emu.control.advance_clock(-1)


def test_standard_orders_run_whole_cycles_as_virtual_days_pass(emu):
    device = new_device(emu, test_device=False)
    seen = []
    for cycle in range(3):
        instance = device.replenish().json()["eventInstanceId"]
        for _ in range(3):
            seen.append((cycle, status_of(device, instance)[0]))
            emu.control.advance_clock(DAY)
        seen.append((cycle, status_of(device, instance)[0]))
    assert seen == [(c, s) for c in range(3) for s in ("Pending", "Authorized", "Authorized",
                                                        "Closed")]
    assert kinds(emu).count("ItemShippedNotification") == 3
    assert len({o["id"] for o in emu.control.orders()}) == 3


@pytest.mark.parametrize("forced, status, open_", [
    ("Shipped", "Authorized", True),
    ("Delivered", "Closed", False),
    ("Closed", "Closed", False),
    ("Canceled", "Canceled", False),
    ("Unknown", "Unknown", True),
    ("resolving", "Pending", True),
    ("Pending", "Pending", True),
])
def test_an_order_can_be_forced_into_each_state(emu, forced, status, open_):
    device = new_device(emu, test_device=False)
    instance = device.replenish().json()["eventInstanceId"]
    info = emu.control.force_order_state(instance, forced)
    assert info["orderInfoData"]["orderItems"][0]["status"] == status
    assert status_of(device, instance)[0] == status
    detail = device.replenish().json()["detailCode"]
    assert detail == ("ORDER_INPROGRESS" if open_ else "STANDARD_ORDER_PLACED")


def test_unknown_stays_unknown_until_forced_on(emu):
    device = new_device(emu, test_device=False)
    instance = device.replenish().json()["eventInstanceId"]
    emu.control.force_order_state(instance, "Unknown")
    emu.control.advance_clock(10 * DAY)
    assert status_of(device, instance) == ("Unknown", None)
    emu.control.force_order_state(instance, "Shipped")
    assert kinds(emu)[-1] == "ItemShippedNotification"
    emu.control.advance_clock(2 * DAY)
    assert status_of(device, instance)[0] == "Closed"


def test_forced_resolution_flow_cancels_after_72_hours(emu):
    device = new_device(emu, test_device=False)
    instance = device.replenish().json()["eventInstanceId"]
    emu.control.force_order_state(instance, "resolving")
    assert status_of(device, instance) == ("Pending", None)
    emu.control.advance_clock(72 * HOUR)
    assert status_of(device, instance) == ("Canceled", None)
    assert kinds(emu)[-1] == "OrderCancelledNotification"


def test_forcing_is_refused_where_it_makes_no_sense(emu):
    device = new_device(emu, test_device=False)
    first = device.replenish().json()["eventInstanceId"]
    emu.control.force_order_state(first, "Canceled")
    device.replenish()  # a second open order for the same slot
    with pytest.raises(ControlError, match="already has the open order"):
        emu.control.force_order_state(first, "Pending")
    with pytest.raises(ControlError, match="status must be one of"):
        emu.control.force_order_state(first, "Lost")
    with pytest.raises(ControlError, match="no order"):
        emu.control.force_order_state("amzn1.dash.v2.o.nothing", "Shipped")


def test_old_status_set_shows_unknown_too(emu):
    emu.control.set_order_status_set("old")
    device = new_device(emu, test_device=False)
    instance = device.replenish().json()["eventInstanceId"]
    emu.control.force_order_state(instance, "Unknown")
    assert status_of(device, instance)[0] == "Unknown"


def test_the_clock_goes_back_only_when_set(emu):
    from tools.emulator.clock import EmulatorClock
    emu.control.advance_clock(DAY)
    with pytest.raises(ControlError, match="only moves forward"):
        emu.control.advance_clock(-0.5)
    with pytest.raises(ControlError, match="not a JSON number"):
        emu.control.advance_clock(float("nan"))
    assert emu.control.clock()["iso"] == "2026-01-02T00:00:00Z"
    for bad in (float("nan"), float("inf"), "1"):
        with pytest.raises(ValueError, match="finite|number of seconds"):
            EmulatorClock("virtual", START).advance(bad)
    assert emu.control.set_clock("2025-12-31T00:00:00Z")["iso"] == "2025-12-31T00:00:00Z"


def test_a_real_clock_ignores_the_wall_clock_stepping_back(monkeypatch):
    from tools.emulator import clock as clock_module
    wall = [1767225600.0]
    monkeypatch.setattr(clock_module.time, "time", lambda: wall[0])
    clock = clock_module.EmulatorClock("real")
    first = clock.now()
    wall[0] -= 3600  # NTP steps the host's clock back an hour
    assert clock.now() >= first
    assert abs(clock.now() - first) < 5
