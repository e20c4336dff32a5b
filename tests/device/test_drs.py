# Every DRS endpoint on the wire as shared/drs-api.md writes it, and the
# parsed results.
import json

from checks import expect
from drs_device import TYPE as T
from drs_device import Device

from replenish.drs import RetryLater
from replenish.lwa import Unlinked

NOW = "2026-01-01T00:00:00Z"  # the virtual clock's start


def check_call(req, method, path, type_in, type_out):
    assert (req.method, req.path) == (method, path), (req.method, req.path)
    assert req.headers["x-amzn-type-version"] == T + type_in
    assert req.headers["x-amzn-accept-type"] == T + type_out
    assert req.headers["authorization"].startswith("Bearer Atza|")


def test_replenish():
    d = Device()
    d.answer("POST", "/replenish/slot1", 200,
             {"eventInstanceId": "amzn1.dash.v2.o.abc", "detailCode": "TEST_ORDER_PLACED"})
    assert d.drs.replenish("slot1") == {"eventInstanceId": "amzn1.dash.v2.o.abc",
                                        "detailCode": "TEST_ORDER_PLACED"}
    req = d.last()
    check_call(req, "POST", "/replenish/slot1", "DrsReplenishInput@1.0", "DrsReplenishResult@1.0")
    assert req.headers["content-length"] == "0" and req.body == b""


def test_slot_status_body_is_json_with_utc_dates():
    d = Device()
    d.drs.slot_status("b4d90248-db3e-4669-bb1c-e7d21bb0c569", {
        "expectedReplenishmentDate": d.clock.now() + 10 * 86400,
        "remainingQuantityInUnit": 3.5, "originalQuantityInUnit": 10,
        "totalQuantityOnHand": 0, "lastUseDate": "2025-12-31T10:00:00Z"})
    req = d.last()
    check_call(req, "POST", "/slotStatus/b4d90248-db3e-4669-bb1c-e7d21bb0c569",
               "DrsSlotStatusInput@1.0", "DrsSlotStatusResult@1.0")
    assert req.headers["content-type"] == "application/json"
    assert json.loads(req.body) == {
        "expectedReplenishmentDate": "2026-01-11T00:00:00Z", "remainingQuantityInUnit": 3.5,
        "originalQuantityInUnit": 10, "totalQuantityOnHand": 0,
        "lastUseDate": "2025-12-31T10:00:00Z"}


def test_slot_status_refuses_bad_fields_before_sending():
    d = Device()
    good = {"expectedReplenishmentDate": NOW, "remainingQuantityInUnit": 1,
            "originalQuantityInUnit": 2, "lastUseDate": NOW}
    d.drs.slot_status("s", good)  # totalQuantityOnHand is optional
    assert "totalQuantityOnHand" not in json.loads(d.last().body)
    sent = len(d.service_calls())
    for change in ({"remainingQuantityInUnit": -1}, {"lastUseDate": "yesterday"},
                   {"originalQuantityInUnit": "2"}, {"remaining": 1},
                   {"expectedReplenishmentDate": None}, {"totalQuantityOnHand": True}):
        bad = dict(good)
        bad.update(change)
        expect(ValueError, d.drs.slot_status, "s", bad)
    missing = dict(good)
    del missing["lastUseDate"]
    expect(ValueError, d.drs.slot_status, "s", missing)
    assert len(d.service_calls()) == sent


def test_device_status():
    d = Device()
    d.drs.device_status(d.clock.now() - 61)
    req = d.last()
    check_call(req, "POST", "/deviceStatus", "DrsDeviceStatusInput@1.0",
               "DrsDeviceStatusResult@1.0")
    assert json.loads(req.body) == {"mostRecentlyActiveDate": "2025-12-31T23:58:59Z"}


def test_subscription_info_both_versions():
    d = Device()
    d.answer("GET", "/subscriptionInfo", 200, {"slotsSubscriptionStatus": {
        "slot1": {"subscribed": True, "productInfoList": [
            {"asin": "B00X", "quantity": 1.0, "unit": "count"}]},
        "slot2": {"subscribed": False}}})
    assert d.drs.subscription_info() == {
        "slot1": {"subscribed": True, "products": [{"asin": "B00X", "quantity": 1.0,
                                                     "unit": "count"}]},
        "slot2": {"subscribed": False, "products": []}}
    check_call(d.last(), "GET", "/subscriptionInfo", "DrsSubscriptionInfoInput@1.0",
               "DrsSubscriptionInfoResult@2.0")
    d.answer("GET", "/subscriptionInfo", 200,
             {"slotsSubscriptionStatus": {"slot1": True, "slot2": False}})
    assert d.drs.subscription_info(1) == {"slot1": {"subscribed": True, "products": []},
                                          "slot2": {"subscribed": False, "products": []}}
    assert d.last().headers["x-amzn-accept-type"] == T + "DrsSubscriptionInfoResult@1.0"


def test_order_info_accepts_both_status_sets():
    d = Device()
    items = []
    for i, status in enumerate(("Pending", "Processing", "Shipped", "Canceled", "Cancelled",
                                "Closed", "Authorized", "Unknown", "Teleported")):
        items.append({"asin": "B00X", "quantity": 1, "slotId": "s%d" % i, "status": status,
                      "expectedDeliveryDate": None if i else "2017-01-05T07:59:59.000Z"})
    eid = "amzn1.dash.v2.o.ab/c+d="
    d.answer("GET", "/getOrderInfo/amzn1.dash.v2.o.ab%2Fc%2Bd%3D", 200,
             {"orderInfoData": {"instanceId": eid, "orderItems": items}})
    info = d.drs.order_info(eid)
    check_call(d.last(), "GET", "/getOrderInfo/amzn1.dash.v2.o.ab%2Fc%2Bd%3D",
               "DrsOrderInfoInput@1.0", "DrsOrderInfoResult@1.0")
    assert info["instanceId"] == eid
    assert [i["open"] for i in info["items"]] == [True, True, False, False, False, False,
                                                   True, True, True]
    assert info["items"][0]["expectedDeliveryDate"] == 1483603199
    assert info["items"][1]["expectedDeliveryDate"] is None


def check_deregistration(deregister, path, type_in):
    """A deregistration on the wire; then the device holds no token and calls nobody."""
    d = Device()
    d.drs.device_status(d.clock.now())  # an access token is cached
    deregister(d.drs)
    check_call(d.last(), "DELETE", path, type_in, "DrsDeregisterResult@1.0")
    flash = d.lwa.store.fs
    assert not [name for name in flash.files if b"IwEB" in flash.files[name]]
    assert "deregistered itself" in d.lwa.why_unlinked()
    calls = len(d.net.requests)
    err = expect(Unlinked, d.lwa.access_token)
    assert "deregistered" in str(err) and "link it again" in str(err)
    expect(Unlinked, d.drs.device_status, d.clock.now())
    assert len(d.net.requests) == calls


def test_deregistration_v2_and_v1_then_the_tokens_are_gone():
    # One device at a time: each holds its HTTP client's response buffer.
    check_deregistration(lambda drs: drs.deregister(), "/registration",
                         "DrsDeregisterInput@2.0")
    check_deregistration(lambda drs: drs.deregister_v1("model-1", "serial_42"),
                         "/deviceModels/model-1/devices/serial_42/registration",
                         "DrsDeregisterInput@1.0")


def test_a_failed_deregistration_keeps_the_device_linked():
    d = Device()
    d.answer("DELETE", "/registration", 500, {"message": "try later"})
    expect(RetryLater, d.drs.deregister)
    assert d.lwa.linked()


def test_cancel_test_orders_one_slot_and_all():
    d = Device()
    d.answer("DELETE", "/testOrders/slots/slot1", 200, {"slotOrderStatuses": [
        {"slotId": "slot1", "orderStatus": "NO_ORDER_IN_PROGRESS"}]})
    assert d.drs.cancel_test_orders("slot1") == {"slot1": "NO_ORDER_IN_PROGRESS"}
    check_call(d.last(), "DELETE", "/testOrders/slots/slot1", "DrsCancelTestOrdersInput@1.0",
               "DrsCancelTestOrdersResult@1.0")
    d.answer("DELETE", "/testOrders", 200, {"slotOrderStatuses": [
        {"slotId": "a", "orderStatus": "NO_ORDER_IN_PROGRESS"},
        {"slotId": "b", "orderStatus": "NO_ORDER_IN_PROGRESS"}]})
    assert sorted(d.drs.cancel_test_orders()) == ["a", "b"]
    assert d.last().path == "/testOrders"
