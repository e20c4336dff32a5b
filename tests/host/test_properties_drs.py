"""Properties of the DRS client's reading of answers (lib/replenish/drs.py):
whatever JSON, status or Retry-After the service sends, each call gives the
result its documentation promises or a typed DrsError, never a KeyError or
TypeError from inside the parser."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from replenish.clock import DAY
from replenish.drs import TYPE, Drs, DrsError, RetryLater

SETTINGS = settings(max_examples=200, deadline=None)
NOW = 1767225600


class Answer:
    """What Drs reads of an HTTP response: status, headers, JSON body."""

    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = dict((k.lower(), v) for k, v in headers.items())

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        return json.loads(self.body)


class Service:
    """The HTTP client Drs is given: every request gets the same answer."""

    def __init__(self, answer):
        self.answer = answer

    def request(self, method, url, headers=None, body=b""):
        return self.answer


class Tokens:
    """The LWA side Drs is given: a token that always works."""

    def access_token(self):
        return "token"

    def invalidate(self):
        pass

    def forget(self, reason=None):
        pass


class Clock:
    def now(self):
        return NOW


def drs_answering(status, body, headers=None):
    return Drs(Service(Answer(status, body, headers or {})), Tokens(), Clock(), url="https://d")


SCALARS = (st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70)
           | st.floats() | st.text(max_size=12)
           | st.sampled_from(["2026-01-05T10:00:00Z", "2026-01-05", "Shipped", "Pending"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def shaped(keys):
    """Objects with the fields a parser looks for, each holding anything."""
    return st.fixed_dictionaries({}, optional=dict((k, JSON) for k in keys))


SUBSCRIPTION = st.fixed_dictionaries({"slotsSubscriptionStatus": st.dictionaries(
    st.text(min_size=1, max_size=8), st.booleans() | shaped(["subscribed", "productInfoList"])
    | JSON, max_size=3)}) | JSON
ORDER_ITEM = shaped(["asin", "slotId", "quantity", "status", "expectedDeliveryDate"])
ORDER = st.fixed_dictionaries({"orderInfoData": st.fixed_dictionaries(
    {"orderItems": st.lists(ORDER_ITEM | JSON, max_size=3)}, optional={"instanceId": JSON})
    | JSON}) | JSON
REPLENISH = shaped(["eventInstanceId", "detailCode"]) | JSON
CANCEL = st.fixed_dictionaries({"slotOrderStatuses": st.lists(
    shaped(["slotId", "orderStatus"]) | JSON, max_size=3)}) | JSON


def body_of(value):
    return json.dumps(value).encode()


def ok(type_out):
    """A 200 answer's headers: the type asked for, or none (both are accepted)."""
    return st.sampled_from([{}, {"x-amzn-type-version": TYPE + type_out}])


@SETTINGS
@given(SUBSCRIPTION, ok("DrsSubscriptionInfoResult@2.0"))
def test_subscription_info_is_a_map_of_flags_or_a_drs_error(value, headers):
    try:
        slots = drs_answering(200, body_of(value), headers).subscription_info()
    except DrsError:
        return
    for slot_id, entry in slots.items():
        assert isinstance(slot_id, str)
        assert isinstance(entry["subscribed"], bool)
        assert isinstance(entry["products"], list)


@SETTINGS
@given(ORDER, ok("DrsOrderInfoResult@1.0"))
def test_order_info_items_say_open_and_when_or_a_drs_error(value, headers):
    try:
        info = drs_answering(200, body_of(value), headers).order_info("e1")
    except DrsError:
        return
    for item in info["items"]:
        assert isinstance(item["open"], bool)
        assert item["expectedDeliveryDate"] is None or isinstance(item["expectedDeliveryDate"],
                                                                  int)


@SETTINGS
@given(REPLENISH, ok("DrsReplenishResult@1.0"))
def test_replenish_names_its_order_in_text_or_a_drs_error(value, headers):
    try:
        result = drs_answering(200, body_of(value), headers).replenish("slot1")
    except DrsError:
        return
    # The cycle keeps eventInstanceId to ask for the order later, in a URL path;
    # without one (an order already in progress) it asks again another day.
    assert result["eventInstanceId"] is None or isinstance(result["eventInstanceId"], str)
    assert isinstance(result["detailCode"], str)


@SETTINGS
@given(CANCEL, ok("DrsCancelTestOrdersResult@1.0"))
def test_cancel_test_orders_is_a_map_or_a_drs_error(value, headers):
    try:
        result = drs_answering(200, body_of(value), headers).cancel_test_orders()
    except DrsError:
        return
    assert isinstance(result, dict)


CALLS = [lambda d: d.subscription_info(), lambda d: d.order_info("e1"),
         lambda d: d.replenish("slot1"), lambda d: d.cancel_test_orders(),
         lambda d: d.device_status(NOW), lambda d: d.deregister()]
RETRY_AFTER = st.none() | st.text(max_size=40) | st.integers(-10 ** 12, 10 ** 12).map(str) | \
    st.sampled_from(["Sun, 06 Nov 1994 08:49:37 GMT", "Fri, 01 Jan 2027 00:00:00 GMT"])


@SETTINGS
@given(st.integers(100, 599), st.binary(max_size=60) | JSON.map(body_of), RETRY_AFTER,
       st.text(max_size=60), st.sampled_from(CALLS))
def test_any_answer_is_a_result_or_a_drs_error_and_retry_is_within_a_day(
        status, body, retry_after, type_version, call):
    headers = {"x-amzn-type-version": type_version}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    try:
        call(drs_answering(status, body, headers))
    except RetryLater as err:
        assert status == 429 or status >= 500
        assert isinstance(err.retry_at, int) and NOW <= err.retry_at <= NOW + DAY
        return
    except DrsError:
        return
    assert status == 200, "a %d answer was taken for a result" % status
