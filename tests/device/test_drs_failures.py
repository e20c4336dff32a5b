# DRS failures: token refresh on "Invalid token", Retry-After, typed errors,
# an unlinked device that stops calling, and no secret in any message.
from checks import expect
from drs_device import TYPE as T
from drs_device import Device
from fake_amazon import CLIENT_SECRET, invalid_token
from fake_amazon import json_reply as reply

from replenish.drs import BadResponse, InvalidToken, NotFound, NotSubscribed, Rejected, RetryLater
from replenish.lwa import Unlinked
from tools.sim.net import FakeReply


def test_invalid_token_is_refreshed_once_and_the_call_sent_once_more():
    d = Device()
    d.drs.device_status(d.clock.now())
    d.amazon.access = {}  # the service dropped the token before it expired
    d.drs.device_status(d.clock.now())
    paths = [r.path for r in d.net.requests]
    assert paths == ["/auth/o2/token", "/deviceStatus", "/deviceStatus", "/auth/o2/token",
                     "/deviceStatus"]
    d.amazon.drs_script = [invalid_token(), invalid_token()]
    err = expect(InvalidToken, d.drs.device_status, d.clock.now())
    assert err.status == 400
    assert [r.path for r in d.net.requests][5:] == ["/deviceStatus", "/auth/o2/token",
                                                     "/deviceStatus"]


def test_deregistered_device_stops_calling():
    d = Device()
    d.drs.deregister()
    d.amazon.revoke()  # what deregistration does on Amazon's side
    expect(Unlinked, d.drs.replenish, "slot1")
    calls = len(d.net.requests)
    expect(Unlinked, d.drs.subscription_info)
    assert len(d.net.requests) == calls


def test_rate_limits_and_outages_say_when_to_retry():
    d = Device()
    now = d.clock.now()
    d.amazon.drs_script = [
        reply(429, {"message": "slow down"}, {"Retry-After": "120"}),
        reply(503, {}, {"Retry-After": "Thu, 01 Jan 2026 01:00:00 GMT"}),
        reply(503, {}),
        FakeReply(500, b"boom"),
    ]
    assert expect(RetryLater, d.drs.replenish, "slot1").retry_at == now + 120
    assert expect(RetryLater, d.drs.replenish, "slot1").retry_at == now + 3600
    assert expect(RetryLater, d.drs.replenish, "slot1").retry_at == now + 300
    err = expect(RetryLater, d.drs.replenish, "slot1")
    assert err.status == 500 and err.retry_at == now + 300
    assert d.clock.now() == now  # nobody waited
    assert len(d.service_calls()) == 4  # and nothing was retried behind the caller's back


def test_retry_after_beyond_a_day_or_unreadable_is_not_obeyed_blindly():
    d = Device()
    now = d.clock.now()
    d.amazon.drs_script = [
        reply(503, {}, {"Retry-After": "31536000"}),  # a year
        reply(429, {}, {"Retry-After": "Fri, 01 Jan 2027 00:00:00 GMT"}),
        reply(429, {}, {"Retry-After": "Wed, 31 Dec 2025 23:00:00 GMT"}),  # already past
        reply(503, {}, {"Retry-After": "soon"}),
    ]
    for expected in (now + 86400, now + 86400, now, now + 300):
        assert expect(RetryLater, d.drs.replenish, "slot1").retry_at == expected


def test_customer_deregistering_on_amazon_unlinks_the_device_at_its_next_call():
    d = Device()
    d.drs.device_status(d.clock.now())  # the access token is cached now
    d.amazon.revoke()  # the customer removed the device from their account
    expect(Unlinked, d.drs.replenish, "slot1")
    assert [r.path for r in d.net.requests][2:] == ["/replenish/slot1", "/auth/o2/token"]
    assert not d.lwa.linked()
    assert any("link it again" in line for line in d.logs)
    calls = len(d.net.requests)
    expect(Unlinked, d.drs.device_status, d.clock.now())
    assert len(d.net.requests) == calls  # final: no more calls to Amazon


def test_other_failures_are_typed():
    d = Device()
    d.amazon.drs_script = [
        reply(404, {"message": "no such slot"}),
        reply(400, {"message": "Unable to place order - slot : s1 is unsubscribed."}),
        reply(400, {"message": "bad date"}),
        FakeReply(302, headers={"Location": "https://elsewhere/"}),
        FakeReply(200, b"<html>"),
        reply(200, {"eventInstanceId": "x", "detailCode": "TEST_ORDER_PLACED"},
              {"x-amzn-type-version": T + "DrsSomethingElse@1.0"}),
        reply(200, {"unexpected": 1}),
    ]
    assert "no such slot" in str(expect(NotFound, d.drs.replenish, "s1"))
    expect(NotSubscribed, d.drs.replenish, "s1")
    assert expect(Rejected, d.drs.replenish, "s1").status == 400
    assert expect(BadResponse, d.drs.replenish, "s1").status == 302
    expect(BadResponse, d.drs.replenish, "s1")
    expect(BadResponse, d.drs.replenish, "s1")
    expect(BadResponse, d.drs.replenish, "s1")
    assert len(d.service_calls()) == 7  # the redirect was not followed


def test_one_connection_per_host_over_a_wake():
    d = Device()
    d.answer("GET", "/subscriptionInfo", 200, {"slotsSubscriptionStatus": {"slot1": True}})
    d.answer("POST", "/replenish/slot1", 200,
             {"eventInstanceId": "x", "detailCode": "STANDARD_ORDER_PLACED"})
    d.answer("GET", "/getOrderInfo/x", 200, {"orderInfoData": {"instanceId": "x",
                                                               "orderItems": []}})
    d.drs.subscription_info()
    d.drs.device_status(d.clock.now())
    d.drs.replenish("slot1")
    d.drs.order_info("x")
    assert (d.http.connections, d.http.handshakes, d.http.requests) == (2, 2, 5)


def test_no_token_or_secret_in_errors_reprs_or_logs():
    d = Device()
    texts = []
    d.amazon.drs_script = [invalid_token(), invalid_token(), reply(400, {"message": "nope"})]
    for call in (d.drs.device_status, d.drs.device_status):
        try:
            call(d.clock.now())
        except Exception as err:
            texts.append(str(err))
            texts.append(repr(err))
    d.amazon.revoke()
    d.lwa.invalidate()
    texts.append(str(expect(Unlinked, d.drs.replenish, "s1")))
    texts += [repr(d.drs), repr(d.lwa), repr(d.http)] + d.logs
    assert len(texts) >= 6
    text = " ".join(texts)
    for secret in ("Atza", "Atzr", "IwEB", CLIENT_SECRET):
        assert secret not in text, secret
