"""The DRS endpoints as the emulator serves them: strict about what a client
sends (version headers, token, bodies), faithful in what it answers."""

import datetime
import re
import uuid

import pytest
from emulator_support import (
    CANCEL_TYPES,
    DEVICE_TYPES,
    JSON,
    SLOT_STATUS,
    SLOT_TYPES,
    SUB_TYPES,
    Host,
    new_device,
    running_emulator,
    version_headers,
)
from hypothesis import given
from hypothesis import strategies as st

from tools.emulator import isodate

emu = pytest.fixture(running_emulator, name="emu")


@pytest.fixture
def device(emu):
    d = new_device(emu, model="printer", serial="SN-1", slots=["ink", "paper"],
                   test_device=False)
    yield d
    d.close()


def slot_status(device, body, slot="ink", headers=None):
    return device.drs("POST", "/slotStatus/" + slot, *SLOT_TYPES, body=body, headers=headers)


# --- replenish

def test_replenish_success_carries_result_type_request_id_and_date(device):
    reply = device.replenish("ink")
    assert reply.status == 200
    body = reply.json()
    assert body["detailCode"] == "STANDARD_ORDER_PLACED"
    assert body["eventInstanceId"].startswith("amzn1.dash.v2.o.")
    assert len(body["eventInstanceId"]) <= 255
    assert reply.headers["x-amzn-type-version"] == \
        "com.amazon.dash.replenishment.DrsReplenishResult@1.0"
    uuid.UUID(reply.headers["x-amzn-requestid"])
    assert reply.headers["x-amz-date"] == "20260101T000000Z"


def test_second_replenish_while_order_open_is_order_inprogress(device):
    first = device.replenish("ink").json()
    second = device.replenish("ink").json()
    assert second["detailCode"] == "ORDER_INPROGRESS"
    assert second["eventInstanceId"] == first["eventInstanceId"]
    assert device.replenish("paper").json()["detailCode"] == "STANDARD_ORDER_PLACED"


def test_replenish_of_an_unsubscribed_slot_is_refused_with_the_documented_message(emu, device):
    emu.control.set_subscription("printer", "SN-1", "paper", False)
    reply = device.replenish("paper")
    assert reply.status == 400
    assert reply.json() == {"message": "Unable to place order - slot : paper is unsubscribed."}


def test_replenish_of_an_unknown_slot_is_404(device):
    reply = device.replenish("toner")
    assert reply.status == 404 and "toner" in reply.json()["message"]


def test_replenish_takes_no_body(device):
    reply = device.drs("POST", "/replenish/ink", "DrsReplenishInput", "DrsReplenishResult",
                       body="quantity=3", headers={"Content-Type": "text/plain"})
    assert reply.status == 400 and reply.json()["message"] == "replenish takes no body"


# --- version headers and token

@pytest.mark.parametrize("header", ["x-amzn-type-version", "x-amzn-accept-type"])
def test_missing_version_header_is_400_naming_the_header(device, header):
    headers = version_headers("DrsReplenishInput", "DrsReplenishResult")
    del headers[header]
    headers["Authorization"] = "Bearer " + device.access_token
    reply = device.drs_host.call("POST", "/replenish/ink", None, headers)
    assert reply.status == 400
    assert reply.json()["message"].startswith("Missing header " + header)


@pytest.mark.parametrize("versions, named", [
    ({"in_version": "9.0"}, "x-amzn-type-version"),
    ({"out_version": "2.0"}, "x-amzn-accept-type"),
])
def test_wrong_version_is_400_naming_the_header(device, versions, named):
    reply = device.drs("POST", "/replenish/ink", "DrsReplenishInput", "DrsReplenishResult",
                       **versions)
    assert reply.status == 400 and named in reply.json()["message"]
    assert "DrsReplenish" in reply.json()["message"]


@pytest.mark.parametrize("auth", [None, "Bearer", "Bearer Atza|unknown", "Basic abc"])
def test_missing_or_unknown_token_is_invalid_token(device, auth):
    headers = version_headers("DrsReplenishInput", "DrsReplenishResult")
    if auth:
        headers["Authorization"] = auth
    reply = device.drs_host.call("POST", "/replenish/ink", None, headers)
    assert reply.status == 400 and reply.json() == {"message": "Invalid token"}
    assert reply.headers["x-amzn-errortype"].startswith("InvalidTokenException:")


def test_a_refresh_token_is_not_an_access_token(device):
    device.access_token = device.creds["refresh_token"]
    assert device.replenish().json() == {"message": "Invalid token"}


# --- slot status

def test_slot_status_is_accepted_and_stored(emu, device):
    reply = slot_status(device, SLOT_STATUS)
    assert reply.status == 200 and reply.body == b""
    assert reply.headers["x-amzn-type-version"].endswith("DrsSlotStatusResult@1.0")
    stored = emu.control.state()["devices"]["printer/SN-1"]["slot_status"]["ink"]
    assert stored["remainingQuantityInUnit"] == 3.5


def test_slot_status_accepts_integers_fractions_and_no_quantity_on_hand(emu, device):
    body = dict(SLOT_STATUS, lastUseDate="2026-01-01T08:00:00.250Z", remainingQuantityInUnit=3)
    del body["totalQuantityOnHand"]
    assert slot_status(device, body).status == 200
    assert emu.control.deviations() == []  # date-only values: test_emulator_strict.py


def test_form_encoded_slot_status_is_rejected_with_a_clear_message(device):
    form = "expectedReplenishmentDate=2017-04-01&remainingQuantityInUnit=3"
    reply = slot_status(device, form,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400
    assert reply.json()["message"] == ("slot status must be a JSON object with Content-Type: "
                                       "application/json; got a form-encoded body")


@given(st.datetimes(min_value=datetime.datetime(1971, 1, 1),
                    max_value=datetime.datetime(2099, 12, 31)))
def test_every_utc_date_time_and_its_date_parse_to_their_instant(when):
    when = when.replace(microsecond=0, tzinfo=datetime.timezone.utc)
    assert isodate.parse(when.strftime("%Y-%m-%dT%H:%M:%SZ")) == when.timestamp()
    assert isodate.parse(when.strftime("%Y-%m-%dT%H:%M:%S+00:00")) == when.timestamp()
    midnight = when.replace(hour=0, minute=0, second=0)
    assert isodate.parse(when.strftime("%Y-%m-%d")) == midnight.timestamp()
    assert isodate.utc_seconds(when.timestamp()) == when.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("change, words", [
    ({"remainingQuantityInUnit": "3"}, "remainingQuantityInUnit must be a number"),
    ({"remainingQuantityInUnit": True}, "remainingQuantityInUnit must be a number"),
    ({"originalQuantityInUnit": -1}, "originalQuantityInUnit must not be negative"),
    ({"lastUseDate": "01/04/2017"}, "lastUseDate '01/04/2017' is not an ISO 8601"),
    ({"lastUseDate": "2017-02-30"}, "is not a valid date"),
    ({"lastUseDate": 1483228800}, "lastUseDate must be an ISO 8601 string"),
    ({"expectedReplenishmentDate": None}, "expectedReplenishmentDate must be an ISO"),
    ({"remaining": 1}, "unknown field(s): remaining"),
])
def test_slot_status_fields_are_validated(device, change, words):
    reply = slot_status(device, dict(SLOT_STATUS, **change))
    assert reply.status == 400 and words in reply.json()["message"]


@pytest.mark.parametrize("body, words", [
    ("{not json", "is not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ("", "needs a JSON body"),
])
def test_slot_status_body_must_be_a_json_object(device, body, words):
    reply = slot_status(device, body, headers=JSON)
    assert reply.status == 400 and words in reply.json()["message"]


def test_slot_status_missing_field_is_named(device):
    body = dict(SLOT_STATUS)
    del body["lastUseDate"]
    reply = slot_status(device, body)
    assert reply.status == 400 and reply.json()["message"] == "slot status is missing lastUseDate"


def test_slot_status_for_unknown_slot_is_404(device):
    assert slot_status(device, SLOT_STATUS, slot="toner").status == 404


# --- device status

def test_device_status_at_the_documented_path(emu, device):
    reply = device.drs("POST", "/deviceStatus", *DEVICE_TYPES,
                       body={"mostRecentlyActiveDate": "2026-01-01T00:00:00Z"})
    assert reply.status == 200
    assert reply.headers["x-amzn-type-version"].endswith("DrsDeviceStatusResult@1.0")
    dev = emu.control.state()["devices"]["printer/SN-1"]
    assert dev["device_status"]["mostRecentlyActiveDate"] == "2026-01-01T00:00:00Z"


def test_device_status_with_slot_in_path_is_not_an_endpoint(device):
    reply = device.drs("POST", "/deviceStatus/ink", *DEVICE_TYPES,
                       body={"mostRecentlyActiveDate": "2026-01-01T00:00:00Z"})
    assert reply.status == 404


@pytest.mark.parametrize("body, words", [
    ({}, "missing mostRecentlyActiveDate"),
    ({"mostRecentlyActiveDate": "yesterday"}, "not an ISO 8601"),
])
def test_device_status_body_is_validated(device, body, words):
    reply = device.drs("POST", "/deviceStatus", *DEVICE_TYPES, body=body)
    assert reply.status == 400 and words in reply.json()["message"]


# --- subscription info

def test_subscription_info_v1_and_v2(emu, device):
    emu.control.set_subscription("printer", "SN-1", "paper", False)
    emu.control.set_subscription("printer", "SN-1", "ink", True, asin="B00INK0001",
                                 quantity=2, unit="count")
    v1 = device.drs("GET", "/subscriptionInfo", *SUB_TYPES)
    assert v1.json() == {"slotsSubscriptionStatus": {"ink": True, "paper": False}}
    assert v1.headers["x-amzn-type-version"].endswith("DrsSubscriptionInfoResult@1.0")
    v2 = device.drs("GET", "/subscriptionInfo", *SUB_TYPES, out_version="2.0")
    assert v2.headers["x-amzn-type-version"].endswith("DrsSubscriptionInfoResult@2.0")
    assert v2.json()["slotsSubscriptionStatus"]["ink"] == {"subscribed": True, "productInfoList": [
        {"asin": "B00INK0001", "quantity": 2.0, "unit": "count"}]}
    assert v2.json()["slotsSubscriptionStatus"]["paper"]["subscribed"] is False


# --- order info

def test_order_info_of_a_placed_order(device):
    instance = device.replenish("ink").json()["eventInstanceId"]
    reply = device.order_info(instance)
    assert reply.status == 200
    item, = reply.json()["orderInfoData"]["orderItems"]
    assert reply.json()["orderInfoData"]["instanceId"] == instance
    assert item["slotId"] == "ink" and item["status"] == "Pending"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$", item["expectedDeliveryDate"])


def test_order_info_of_unknown_or_foreign_order_is_404(emu, device):
    assert device.order_info("amzn1.dash.v2.o.unknown").status == 404
    other = new_device(emu, model="printer", serial="SN-2", test_device=False)
    instance = other.replenish("ink").json()["eventInstanceId"]
    assert device.order_info(instance).status == 404


# --- deregistration

def test_deregistration_v2_revokes_every_token(emu, device):
    reply = device.drs("DELETE", "/registration", "DrsDeregisterInput", "DrsDeregisterResult",
                       in_version="2.0")
    assert reply.status == 200
    assert reply.headers["x-amzn-type-version"].endswith("DrsDeregisterResult@1.0")
    assert device.replenish("ink").json() == {"message": "Invalid token"}
    assert emu.control.state()["devices"]["printer/SN-1"]["valid_refresh_tokens"] == 0
    kinds = [n["notificationInfo"]["notificationType"] for n in emu.control.notifications()]
    assert kinds[-1] == "DeviceDeregisteredNotification"


def test_deregistration_v1_names_the_device_in_the_path(device):
    wrong = device.drs("DELETE", "/deviceModels/printer/devices/SN-9/registration",
                       "DrsDeregisterInput", "DrsDeregisterResult")
    assert wrong.status == 400
    right = device.drs("DELETE", "/deviceModels/printer/devices/SN-1/registration",
                       "DrsDeregisterInput", "DrsDeregisterResult")
    assert right.status == 200
    assert device.replenish("ink").status == 400


def test_deregistration_v2_path_wants_input_version_2(device):
    reply = device.drs("DELETE", "/registration", "DrsDeregisterInput", "DrsDeregisterResult")
    assert reply.status == 400 and "DrsDeregisterInput@2.0" in reply.json()["message"]


# --- cancel test orders

def test_cancel_test_order_for_one_slot_and_for_all(emu):
    device = new_device(emu, model="tester", slots=["a", "b"], test_device=True)
    assert device.replenish("a").json()["detailCode"] == "TEST_ORDER_PLACED"
    assert device.replenish("b").json()["detailCode"] == "TEST_ORDER_PLACED"
    one = device.drs("DELETE", "/testOrders/slots/a", *CANCEL_TYPES)
    assert one.status == 200
    assert one.json() == {"slotOrderStatuses": [{"slotId": "a",
                                                 "orderStatus": "NO_ORDER_IN_PROGRESS"}]}
    assert device.replenish("a").json()["detailCode"] == "TEST_ORDER_PLACED"
    assert device.replenish("b").json()["detailCode"] == "ORDER_INPROGRESS"
    every = device.drs("DELETE", "/testOrders", *CANCEL_TYPES)
    assert [s["slotId"] for s in every.json()["slotOrderStatuses"]] == ["a", "b"]
    assert device.replenish("b").json()["detailCode"] == "TEST_ORDER_PLACED"


def test_cancel_test_orders_errors(emu, device):
    assert device.drs("DELETE", "/testOrders", *CANCEL_TYPES).status == 400  # real device
    tester = new_device(emu, model="tester", slots=["a"], test_device=True)
    assert tester.drs("DELETE", "/testOrders/slots/zz", *CANCEL_TYPES).status == 404


# --- routing

def test_unknown_path_is_404_and_wrong_method_405(device):
    assert device.drs_host.call("GET", "/nothing/here").status == 404
    wrong = device.drs("GET", "/replenish/ink", "DrsReplenishInput", "DrsReplenishResult")
    assert wrong.status == 405 and wrong.headers["allow"] == "POST"


def test_errors_also_carry_request_id_and_date(device):
    reply = device.replenish("toner")
    uuid.UUID(reply.headers["x-amzn-requestid"])
    assert reply.headers["x-amz-date"] == "20260101T000000Z"


def test_control_paths_are_not_served_on_the_drs_host(emu, device):
    reply = Host(emu.drs_url, emu.ca_pem).call("GET", "/control/state")
    assert reply.status == 404
