# Dash Replenishment Service v1: one method per endpoint of shared/drs-api.md.
#
#   drs = Drs(http, lwa, clock, url="https://dash-replenishment-service-na.amazon.com",
#             retry_default_s=300)
#   drs.replenish(slot_id) -> {"eventInstanceId": str, "detailCode": str}
#   drs.slot_status(slot_id, status)          # status: the DRS field names, see SLOT_FIELDS
#   drs.device_status(most_recently_active)   # Unix seconds
#   drs.subscription_info(version=2) -> {slot_id: {"subscribed": bool, "products": [...]}}
#   drs.order_info(event_instance_id) -> {"instanceId": str, "items": [{"asin", "slotId",
#       "quantity", "status", "open": bool, "expectedDeliveryDate": Unix seconds or None}]}
#   drs.deregister()                          # v2: DELETE /registration
#   drs.deregister_v1(model_id, serial)       # both then erase the LWA tokens (lwa.forget)
#   drs.cancel_test_orders(slot_id=None) -> {slot_id: orderStatus}   # None: every slot
#
# A rejected access token (400 "Invalid token") is refreshed once and the call
# sent once more. Failures: RetryLater (.retry_at: 429/503 with Retry-After,
# other 5xx), NotFound (unknown slot or order), NotSubscribed, Rejected (other
# 4xx), InvalidToken (still refused after a refresh), BadResponse; from below,
# replenish.lwa's Unlinked/ConfigError/TryLater and replenish.http_errors' HttpError.
import json

from replenish.clock import iso8601, parse_iso8601
from replenish.http import quote
from replenish.lwa import DEREGISTERED
from replenish.retry_after import retry_after

URL = "https://dash-replenishment-service-na.amazon.com"
TYPE = "com.amazon.dash.replenishment."
DETAIL_CODES = ("STANDARD_ORDER_PLACED", "TEST_ORDER_PLACED", "ORDER_INPROGRESS")
SLOT_DATES = ("expectedReplenishmentDate", "lastUseDate")
SLOT_QUANTITIES = ("remainingQuantityInUnit", "originalQuantityInUnit", "totalQuantityOnHand")
SLOT_FIELDS = SLOT_DATES + SLOT_QUANTITIES
SLOT_OPTIONAL = ("totalQuantityOnHand",)  # "if known"
# Both documented sets of order states; anything else counts as still open.
ORDER_DONE = ("Cancelled", "Canceled", "Shipped", "Closed")


class DrsError(Exception):
    def __init__(self, status, message):
        super().__init__("DRS %s: %s" % (status, message))
        self.status = status


class RetryLater(DrsError):
    def __init__(self, status, message, retry_at):
        super().__init__(status, "%s; retry at %d" % (message, retry_at))
        self.retry_at = retry_at


class NotFound(DrsError):
    pass


class NotSubscribed(DrsError):
    pass


class Rejected(DrsError):
    pass


class InvalidToken(DrsError):
    pass


class BadResponse(DrsError):
    pass


def _message(resp):
    try:
        text = resp.json().get("message")
    except (ValueError, AttributeError):
        text = None
    return str(text)[:120] if text else "no message"


def _is_invalid_token(resp):
    return resp.status == 400 and (
        resp.header("x-amzn-errortype", "").startswith("InvalidTokenException")
        or _message(resp) == "Invalid token")


def _date(value, name):
    if isinstance(value, str):
        parse_iso8601(value)  # ValueError if it is not an ISO 8601 UTC date
        return value
    if isinstance(value, (int, float)):
        return iso8601(value)
    raise ValueError("%s: not a date" % name)


def slot_status_body(status):
    """The JSON fields of a slot status, checked: dates as ISO 8601 UTC."""
    body = {}
    for name in status:
        if name not in SLOT_FIELDS:
            raise ValueError("slot status: unknown field %s" % name)
    for name in SLOT_FIELDS:
        if name not in status:
            if name in SLOT_OPTIONAL:
                continue
            raise ValueError("slot status: %s missing" % name)
        value = status[name]
        if name in SLOT_DATES:
            body[name] = _date(value, name)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            body[name] = value
        else:
            raise ValueError("slot status: %s must be a number >= 0" % name)
    return body


def _list(value):
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError("productInfoList is not a list")
    return value


class Drs:
    def __init__(self, http, lwa, clock, url=URL, retry_default_s=300):
        self.http = http
        self.lwa = lwa
        self.clock = clock
        self.url = url
        self.retry_default_s = retry_default_s

    def __repr__(self):
        return "<Drs %s>" % self.url

    def _call(self, method, path, type_in, type_out, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"x-amzn-type-version": TYPE + type_in, "x-amzn-accept-type": TYPE + type_out}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):  # noqa: B007 (read after the loop)
            headers["Authorization"] = "Bearer " + self.lwa.access_token()
            resp = self.http.request(method, self.url + path, headers, data)
            if not _is_invalid_token(resp):
                break
            self.lwa.invalidate()  # expired or revoked early: refresh once, send once more
        headers = None
        return self._check(resp, type_out, attempt)

    def _check(self, resp, type_out, attempt):
        status = resp.status
        if status == 200:
            answered = resp.header("x-amzn-type-version")
            if answered and answered.split("@")[0] != TYPE + type_out.split("@")[0]:
                raise BadResponse(status, "answered with type %s" % answered[:80])
            return resp
        if status == 429 or status >= 500:
            delay = resp.header("retry-after") if status in (429, 503) else None
            at = retry_after(delay, self.clock.now(), self.retry_default_s)
            raise RetryLater(status, _message(resp), at)
        if status == 400 and attempt == 2 and _is_invalid_token(resp):
            raise InvalidToken(status, "the access token was refused twice, also after a refresh")
        message = _message(resp)
        if status == 404:
            raise NotFound(status, message)
        if 400 <= status < 500:
            if "unsubscribed" in message:
                raise NotSubscribed(status, message)
            raise Rejected(status, message)
        raise BadResponse(status, "unexpected answer (redirects are not followed)")

    def _json(self, resp):
        try:
            return resp.json()
        except ValueError:
            raise BadResponse(resp.status, "the body is not JSON")

    def replenish(self, slot_id):
        resp = self._call("POST", "/replenish/" + quote(slot_id),
                          "DrsReplenishInput@1.0", "DrsReplenishResult@1.0")
        data = self._json(resp)
        try:
            order_id, code = data["eventInstanceId"], data["detailCode"]
        except (KeyError, TypeError):
            raise BadResponse(200, "replenish result without eventInstanceId/detailCode")
        # Kept in flash and sent back in a path: anything but text is refused here.
        if not isinstance(code, str) or not (order_id is None or isinstance(order_id, str)):
            raise BadResponse(200, "replenish result with a non-text eventInstanceId/detailCode")
        return {"eventInstanceId": order_id, "detailCode": code}

    def slot_status(self, slot_id, status):
        self._call("POST", "/slotStatus/" + quote(slot_id), "DrsSlotStatusInput@1.0",
                   "DrsSlotStatusResult@1.0", slot_status_body(status))

    def device_status(self, most_recently_active):
        self._call("POST", "/deviceStatus", "DrsDeviceStatusInput@1.0",
                   "DrsDeviceStatusResult@1.0",
                   {"mostRecentlyActiveDate": iso8601(most_recently_active)})

    def subscription_info(self, version=2):
        resp = self._call("GET", "/subscriptionInfo", "DrsSubscriptionInfoInput@1.0",
                          "DrsSubscriptionInfoResult@%d.0" % version)
        slots = {}
        try:
            found = self._json(resp)["slotsSubscriptionStatus"]
            for slot in found:
                entry = found[slot]
                if isinstance(entry, bool):  # @1.0: a plain flag
                    slots[slot] = {"subscribed": entry, "products": []}
                else:
                    slots[slot] = {"subscribed": entry["subscribed"] is True,
                                   "products": _list(entry.get("productInfoList"))}
        except (KeyError, TypeError, AttributeError):
            raise BadResponse(200, "unreadable subscription info")
        return slots

    def order_info(self, event_instance_id):
        resp = self._call("GET", "/getOrderInfo/" + quote(event_instance_id),
                          "DrsOrderInfoInput@1.0", "DrsOrderInfoResult@1.0")
        try:
            data = self._json(resp)["orderInfoData"]
            items = []
            for item in data["orderItems"]:
                due = item.get("expectedDeliveryDate")
                items.append({"asin": item.get("asin"), "slotId": item.get("slotId"),
                              "quantity": item.get("quantity"), "status": item.get("status"),
                              "open": item.get("status") not in ORDER_DONE,
                              "expectedDeliveryDate": parse_iso8601(due) if due else None})
            return {"instanceId": data.get("instanceId"), "items": items}
        except (KeyError, TypeError, AttributeError, ValueError):
            raise BadResponse(200, "unreadable order info")

    def deregister(self):
        self._call("DELETE", "/registration", "DrsDeregisterInput@2.0", "DrsDeregisterResult@1.0")
        self.lwa.forget(DEREGISTERED)  # deregistration revoked the tokens: never send them again

    def deregister_v1(self, model_id, serial):
        self._call("DELETE", "/deviceModels/%s/devices/%s/registration" % (
            quote(model_id), quote(serial)), "DrsDeregisterInput@1.0", "DrsDeregisterResult@1.0")
        self.lwa.forget(DEREGISTERED)

    def cancel_test_orders(self, slot_id=None):
        path = "/testOrders" if slot_id is None else "/testOrders/slots/" + quote(slot_id)
        resp = self._call("DELETE", path, "DrsCancelTestOrdersInput@1.0",
                          "DrsCancelTestOrdersResult@1.0")
        try:
            statuses = self._json(resp)["slotOrderStatuses"]
            return dict((s["slotId"], s["orderStatus"]) for s in statuses)
        except (KeyError, TypeError):
            raise BadResponse(200, "unreadable cancel result")
