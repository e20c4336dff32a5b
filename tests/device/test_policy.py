# The ordering rules, one by one: what the service hears, when, and when the
# radio stays off (outside the daily session unless something can't wait).
from replenish import policy
from replenish.policy import RULES

NOW = 1767225600 + 10 * 3600  # 2026-01-01T10:00:00Z
DAY = 86400
HOUR = 3600
SESSION = NOW - 600  # the session this wake holds was due ten minutes ago
BETWEEN = None  # a wake between sessions


def slot(sid="cyan", consumed=False, low=False, faulty=None):
    return {"id": sid, "consumed": consumed, "low": low, "faulty": faulty}


def yesterday(**extra):
    """A device whose last session was yesterday's: it knows its subscriptions."""
    memory = {"device_status_at": SESSION - DAY, "subscriptions_at": SESSION - DAY,
              "subscriptions": {"cyan": True, "black": False}, "orders": {},
              "reported_at": {}}
    memory.update(extra)
    return memory


def decide(memory, slots, session=BETWEEN, now=NOW, rules=RULES):
    return policy.decide(now, slots, memory, rules, session)


def test_between_sessions_daily_things_wait_and_the_radio_stays_off():
    memory = yesterday(orders={"black": {"id": "e1", "placed": NOW - 3 * DAY,
                                         "polled": NOW - 2 * DAY}})
    slots = [slot(consumed=True), slot("black", consumed=True)]
    assert decide(memory, slots) == []


def test_the_session_sends_the_daily_things_once():
    memory = yesterday(orders={"black": {"id": "e1", "placed": NOW - 3 * DAY,
                                         "polled": SESSION - DAY}})
    slots = [slot(consumed=True), slot("black")]
    assert decide(memory, slots, SESSION) == [
        ("subscription_info", None), ("slot_status", "cyan"), ("order_info", "black"),
        ("device_status", None)]
    # What the cycle records after each call: sent within this session.
    memory.update(device_status_at=NOW, subscriptions_at=NOW, reported_at={"cyan": NOW})
    memory["orders"]["black"]["polled"] = NOW
    assert decide(memory, [slot(consumed=True), slot("black")], SESSION, now=NOW + 5) == []


def test_a_session_held_late_or_early_still_sends_each_daily_item():
    # Yesterday's session was held an hour after its minute, today's on time:
    # 23 h since the last device status, still one per session.
    memory = yesterday(device_status_at=SESSION - DAY + HOUR,
                       subscriptions_at=SESSION - DAY + HOUR)
    assert decide(memory, [slot()], SESSION) == [("subscription_info", None),
                                                 ("device_status", None)]


def test_every_slot_consumed_since_its_report_goes_in_the_session():
    memory = yesterday(reported_at={"cyan": SESSION - 3 * DAY})
    slots = [slot(consumed=True), slot("black", consumed=True), slot("magenta")]
    actions = decide(memory, slots, SESSION)
    assert ("slot_status", "cyan") in actions and ("slot_status", "black") in actions
    assert ("slot_status", "magenta") not in actions


def test_report_s_of_two_days_reports_every_other_session():
    rules = dict(RULES, report_s=2 * DAY)
    memory = yesterday(reported_at={"cyan": SESSION - DAY + 30})
    assert ("slot_status", "cyan") not in decide(memory, [slot(consumed=True)], SESSION,
                                                 rules=rules)
    memory["reported_at"]["cyan"] = SESSION - 2 * DAY + 30
    assert ("slot_status", "cyan") in decide(memory, [slot(consumed=True)], SESSION,
                                             rules=rules)


def test_report_s_below_a_day_turns_the_radio_on_between_sessions():
    rules = dict(RULES, report_s=HOUR)
    memory = yesterday(reported_at={"cyan": NOW - 1800})
    assert decide(memory, [slot(consumed=True)], rules=rules) == []
    memory["reported_at"]["cyan"] = NOW - HOUR
    assert decide(memory, [slot(consumed=True)], rules=rules) == [("slot_status", "cyan")]


def test_a_low_subscribed_slot_is_ordered_at_once_and_only_once():
    assert decide(yesterday(), [slot(low=True)]) == [("replenish", "cyan")]
    ordered = yesterday(orders={"cyan": {"id": "e1", "placed": NOW, "polled": NOW}})
    assert decide(ordered, [slot(low=True)], now=NOW + HOUR) == []
    assert ("replenish", "cyan") not in decide(ordered, [slot(low=True)], SESSION + DAY,
                                               now=NOW + DAY)


def test_an_unsubscribed_slot_is_never_ordered():
    assert decide(yesterday(), [slot("black", low=True)]) == []
    assert ("replenish", "black") not in decide(yesterday(), [slot("black", low=True)],
                                                SESSION)


def test_unknown_subscriptions_are_asked_for_first_even_between_sessions():
    memory = yesterday(subscriptions_at=None, subscriptions={})
    assert decide(memory, [slot(low=True)]) == [("subscription_info", None)]
    memory.update(subscriptions_at=NOW, subscriptions={"cyan": True})
    assert decide(memory, [slot(low=True)], now=NOW + 2) == [("replenish", "cyan")]


def test_unknown_subscriptions_alone_wait_for_the_session():
    memory = yesterday(subscriptions_at=None, subscriptions={})
    assert decide(memory, [slot(consumed=True)]) == []


def test_order_info_right_after_a_replenish_then_in_each_session():
    memory = yesterday(orders={"cyan": {"id": "e1", "placed": NOW, "polled": None}})
    assert decide(memory, [slot(low=True)]) == [("order_info", "cyan")]
    memory["orders"]["cyan"]["polled"] = NOW
    assert decide(memory, [slot(low=True)], now=NOW + DAY + HOUR) == []
    assert ("order_info", "cyan") in decide(memory, [slot(low=True)], SESSION + DAY,
                                            now=NOW + DAY)


def test_a_shipped_order_blocks_reordering_without_polling():
    shipped = {"id": "e1", "placed": NOW - 5 * DAY, "polled": NOW - 3 * DAY, "shipped": True}
    memory = yesterday(orders={"cyan": shipped})
    assert decide(memory, [slot(low=True)]) == []
    actions = decide(memory, [slot(low=True)], SESSION)
    assert ("order_info", "cyan") not in actions and ("replenish", "cyan") not in actions


def test_a_cancelled_order_is_not_asked_after_and_blocks_reordering_while_remembered():
    memory = yesterday(orders={"cyan": {"id": "e1", "placed": NOW - 2 * DAY,
                                        "polled": NOW - HOUR, "cancelled": NOW - HOUR}})
    assert decide(memory, [slot(low=True)], session=SESSION) == [
        (policy.SUBSCRIPTION_INFO, None), (policy.DEVICE_STATUS, None)]


def test_a_faulty_slot_is_neither_reported_nor_ordered():
    bad = slot(consumed=True, low=True, faulty="stuck readings")
    assert decide(yesterday(), [bad]) == []
    assert decide(yesterday(), [bad], SESSION) == [("subscription_info", None),
                                                   ("device_status", None)]


def test_backing_off_sends_nothing_even_in_the_session():
    memory = yesterday(retry_at=NOW + 600)
    assert decide(memory, [slot(consumed=True, low=True)], SESSION) == []
    assert decide(memory, [slot(low=True)], now=NOW + 600) == [("replenish", "cyan")]


def test_a_device_that_never_talked_sends_everything_in_its_first_session():
    actions = decide({}, [slot(consumed=True)], SESSION)
    assert actions == [("subscription_info", None), ("slot_status", "cyan"),
                       ("device_status", None)]
    assert decide({}, [slot(consumed=True)]) == []
