"""The Dash Replenishment Service endpoints of drs-api.md: version headers
checked exactly, the Bearer token checked, bodies validated, and successes
marked with the Result type, X-Amzn-Requestid and X-Amz-Date."""

import uuid

from tools.emulator import bodies, isodate, orders, registry, tokens
from tools.emulator.deviations import Deviation, note
from tools.emulator.replies import json_reply
from tools.emulator.service import Route

PREFIX = "com.amazon.dash.replenishment."
CORAL = ":http://internal.amazon.com/coral/com.amazon.dash.replenishment/"
SEG = "([^/]+)"


class DrsError(Exception):
    def __init__(self, status, message, error_type):
        Exception.__init__(self, message)
        self.status, self.message, self.error_type = status, message, error_type


def _invalid_token():
    return DrsError(400, "Invalid token", "InvalidTokenException")


def _headers(now):
    return [("X-Amzn-Requestid", str(uuid.uuid4())), ("X-Amz-Date", isodate.amz_date(now))]


def error_reply(status, message, error_type=None, now=0):
    error_type = error_type or {404: "ResourceNotFoundException", 429: "ThrottlingException",
                                503: "ServiceUnavailableException"}.get(
        status, "InternalFailure" if status >= 500 else "ValidationException")
    headers = _headers(now)
    headers.append(("X-Amzn-Errortype", error_type + CORAL))
    return json_reply(status, {"message": message}, headers)


def _version(req, header, type_name, versions):
    value = req.header(header)
    expected = " or ".join(PREFIX + type_name + "@" + v for v in versions)
    for v in versions:
        if value == PREFIX + type_name + "@" + v:
            return v
    if value is None:
        message = "Missing header %s (expected %s)" % (header, expected)
    else:
        message = "Unsupported %s %r (expected %s)" % (header, value, expected)
    note(req, "version_header", message)
    raise DrsError(400, message, "ValidationException")


def _device(state, req):
    scheme, _, token = req.header("authorization", "").partition(" ")
    if scheme != "Bearer" or not token:
        raise _invalid_token()
    key = tokens.access_device(state, token.strip())
    if key is None or not state.devices[key]["registered"]:
        raise _invalid_token()
    return key


def _slot(state, key, slot):
    if slot not in state.devices[key]["subscriptions"]:
        raise DrsError(404, "Slot %s not found" % slot, "ResourceNotFoundException")
    return state.devices[key]["subscriptions"][slot]


def replenish(state, req, key, slot):
    sub = _slot(state, key, slot)
    bodies.no_body(req, "replenish")
    if not sub["subscribed"]:
        raise DrsError(400, "Unable to place order - slot : %s is unsubscribed." % slot,
                       "ValidationException")
    code, instance = orders.replenish(state, key, slot)
    return {"eventInstanceId": instance, "detailCode": code}


def slot_status(state, req, key, slot):
    _slot(state, key, slot)
    body = bodies.slot_status(req)
    state.devices[key]["slot_status"][slot] = dict(body, receivedAt=isodate.utc_seconds(
        state.now()))
    state.touch()


def device_status(state, req, key):
    body = bodies.device_status(req)
    state.devices[key]["device_status"] = dict(body, receivedAt=isodate.utc_seconds(
        state.now()))
    state.touch()


def subscription_info(state, req, key, version):
    subs = state.devices[key]["subscriptions"]
    if version == "1.0":
        return {"slotsSubscriptionStatus": {s: v["subscribed"] for s, v in subs.items()}}
    return {"slotsSubscriptionStatus": {s: {"subscribed": v["subscribed"], "productInfoList": [
        {"asin": v["asin"], "quantity": v["quantity"], "unit": v["unit"]}]
        if v["subscribed"] else []} for s, v in subs.items()}}


def order_info(state, req, key, instance_id):
    orders.catch_up(state)
    order = state.orders.get(instance_id)
    if order is None or order["device"] != key:
        raise DrsError(404, "Order %s not found" % instance_id, "ResourceNotFoundException")
    return orders.order_info(state, order)


def deregister(state, req, key, model=None, serial=None):
    dev = state.devices[key]
    if model is not None and (model, serial) != (dev["model"], dev["serial"]):
        raise DrsError(400, "The token does not belong to device %s/%s" % (model, serial),
                       "ValidationException")
    registry.deregister(state, key)


def cancel_test_orders(state, req, key, slot=None):
    dev = state.devices[key]
    if not dev["test_device"]:
        raise DrsError(400, "Test orders can only be cancelled for a test device",
                       "ValidationException")
    slots = [slot] if slot is not None else list(dev["subscriptions"])
    for s in slots:
        _slot(state, key, s)
    return {"slotOrderStatuses": orders.cancel_test_orders(state, key, slots)}


# method, path, endpoint, handler, input type and versions, result type and versions
ENDPOINTS = (
    ("POST", "/replenish/" + SEG, "replenish", replenish,
     "DrsReplenishInput", ("1.0",), "DrsReplenishResult", ("1.0",)),
    ("POST", "/slotStatus/" + SEG, "slot_status", slot_status,
     "DrsSlotStatusInput", ("1.0",), "DrsSlotStatusResult", ("1.0",)),
    ("POST", "/deviceStatus", "device_status", device_status,
     "DrsDeviceStatusInput", ("1.0",), "DrsDeviceStatusResult", ("1.0",)),
    ("GET", "/subscriptionInfo", "subscription_info", subscription_info,
     "DrsSubscriptionInfoInput", ("1.0",), "DrsSubscriptionInfoResult", ("1.0", "2.0")),
    ("GET", "/getOrderInfo/" + SEG, "order_info", order_info,
     "DrsOrderInfoInput", ("1.0",), "DrsOrderInfoResult", ("1.0",)),
    ("DELETE", "/registration", "deregister", deregister,
     "DrsDeregisterInput", ("2.0",), "DrsDeregisterResult", ("1.0",)),
    ("DELETE", "/deviceModels/%s/devices/%s/registration" % (SEG, SEG), "deregister", deregister,
     "DrsDeregisterInput", ("1.0",), "DrsDeregisterResult", ("1.0",)),
    ("DELETE", "/testOrders/slots/" + SEG, "cancel_test_orders", cancel_test_orders,
     "DrsCancelTestOrdersInput", ("1.0",), "DrsCancelTestOrdersResult", ("1.0",)),
    ("DELETE", "/testOrders", "cancel_test_orders", cancel_test_orders,
     "DrsCancelTestOrdersInput", ("1.0",), "DrsCancelTestOrdersResult", ("1.0",)),
)


def _endpoint(handler, in_type, in_versions, out_type, out_versions):
    def handle(state, req, *args):
        now = state.now()
        try:
            _version(req, "x-amzn-type-version", in_type, in_versions)
            version = _version(req, "x-amzn-accept-type", out_type, out_versions)
            key = _device(state, req)
            if handler is subscription_info:
                args = (version,)
            result = handler(state, req, key, *args)
        except Deviation as e:  # strict mode: noted already
            return error_reply(400, str(e), "ValidationException", now)
        except bodies.BodyError as e:
            note(req, "invalid_body", str(e))
            return error_reply(400, str(e), "ValidationException", now)
        except DrsError as e:
            return error_reply(e.status, e.message, e.error_type, now)
        headers = _headers(now) + [("x-amzn-type-version", PREFIX + out_type + "@" + version)]
        return json_reply(200, result, headers)
    return handle


def routes():
    return [Route(method, path, endpoint, _endpoint(handler, *types))
            for method, path, endpoint, handler, *types in ENDPOINTS]
