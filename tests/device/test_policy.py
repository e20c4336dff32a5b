# The ordering rules, one by one: what the service hears and when the radio stays off.
from replenish import policy

NOW = 1767225600
DAY = 86400


def slot(sid="cyan", consumed=False, low=False, faulty=None):
    return {"id": sid, "consumed": consumed, "low": low, "faulty": faulty}


def fresh(**extra):
    """A device that spoke to the service an hour ago and knows its subscriptions."""
    memory = {"device_status_at": NOW - 3600, "subscriptions_at": NOW - 3600,
              "subscriptions": {"cyan": True, "black": False}, "orders": {}, "reported_at": {}}
    memory.update(extra)
    return memory


def test_nothing_to_say_keeps_the_radio_off():
    assert policy.decide(NOW, [slot(), slot("black")], fresh()) == []


def test_consumption_is_reported_no_more_often_than_the_resolution():
    memory = fresh(reported_at={"cyan": NOW - 1800})
    assert policy.decide(NOW, [slot(consumed=True)], memory) == []
    memory["reported_at"]["cyan"] = NOW - 3600
    assert policy.decide(NOW, [slot(consumed=True)], memory) == [("slot_status", "cyan")]


def test_device_status_and_subscriptions_daily():
    memory = fresh(device_status_at=NOW - DAY, subscriptions_at=NOW - DAY)
    assert policy.decide(NOW, [slot()], memory) == [("subscription_info", None),
                                                    ("device_status", None)]


def test_a_low_subscribed_slot_is_ordered_once():
    assert policy.decide(NOW, [slot(low=True)], fresh()) == [("replenish", "cyan")]
    ordered = fresh(orders={"cyan": {"id": "e1", "placed": NOW, "polled": NOW}})
    assert policy.decide(NOW + 3600, [slot(low=True)], ordered) == []


def test_an_unsubscribed_slot_is_never_ordered():
    assert policy.decide(NOW, [slot("black", low=True)], fresh()) == []


def test_unknown_subscriptions_are_asked_for_first():
    memory = fresh(subscriptions_at=None, subscriptions={})
    assert policy.decide(NOW, [slot(low=True)], memory) == [("subscription_info", None)]


def test_order_info_right_after_a_replenish_then_daily():
    memory = fresh(orders={"cyan": {"id": "e1", "placed": NOW, "polled": None}})
    assert policy.decide(NOW, [slot(low=True)], memory) == [("order_info", "cyan")]
    memory["orders"]["cyan"]["polled"] = NOW
    memory["device_status_at"] = memory["subscriptions_at"] = NOW
    assert policy.decide(NOW + DAY - 1, [slot(low=True)], memory) == []
    assert ("order_info", "cyan") in policy.decide(NOW + DAY, [slot(low=True)], memory)


def test_a_shipped_order_blocks_reordering_without_polling():
    shipped = {"id": "e1", "placed": NOW - 5 * DAY, "polled": NOW - 3 * DAY, "shipped": True}
    assert policy.decide(NOW, [slot(low=True)], fresh(orders={"cyan": shipped})) == []


def test_a_faulty_slot_is_neither_reported_nor_ordered():
    bad = slot(consumed=True, low=True, faulty="stuck readings")
    assert policy.decide(NOW, [bad], fresh()) == []


def test_backing_off_sends_nothing_even_when_due():
    memory = fresh(device_status_at=None, retry_at=NOW + 600)
    assert policy.decide(NOW, [slot(consumed=True, low=True)], memory) == []
    assert policy.decide(NOW + 600, [slot()], memory) == [("device_status", None)]
