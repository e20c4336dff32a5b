"""Properties of the ordering policy (lib/replenish/policy.py) over random
lives: wakes with and without the daily session, slots going low, used,
faulty and refilled, and every outcome the service can give. Whatever
happens, a slot is never ordered again while its order is open, a faulty slot
is never named, nothing is asked twice at once, and a back-off is kept.

What each outcome writes to the memory follows the memory's description in
policy.py, as the cycle records it."""

from hypothesis import given, settings
from hypothesis import strategies as st

from replenish import policy

SETTINGS = settings(max_examples=200, deadline=None)
START = 1767225600
DAY = 86400
SLOT_IDS = ["cyan", "magenta", "black"]
ACTIONS_PER_WAKE = 12  # the cycle stops a wake after a bounded number of calls


def decide(now, slots, memory, session):
    return policy.decide(now, slots, memory, policy.RULES, session)


FLAGS = st.fixed_dictionaries({"low": st.booleans(), "consumed": st.booleans(),
                               "faulty": st.sampled_from([None, None, None, "stuck"]),
                               "refilled": st.booleans()})
WAKE = st.fixed_dictionaries({
    "gap": st.sampled_from([60, 600, 3600, 4 * 3600, DAY, 3 * DAY]),
    "session": st.booleans(),
    "slots": st.lists(FLAGS, min_size=len(SLOT_IDS), max_size=len(SLOT_IDS)),
    "outcomes": st.lists(st.sampled_from(["ok", "ok", "ok", "other", "failed"]),
                         min_size=ACTIONS_PER_WAKE, max_size=ACTIONS_PER_WAKE),
    "subscribed": st.lists(st.booleans(), min_size=len(SLOT_IDS), max_size=len(SLOT_IDS)),
})


def record(memory, action, sid, outcome, now, wake, serial):
    """The memory after one call, as policy.py describes it; False: the call failed."""
    if outcome == "failed":
        memory["retry_at"] = now + 300
        return False
    if action == policy.SUBSCRIPTION_INFO:
        memory["subscriptions"] = dict(zip(SLOT_IDS, wake["subscribed"]))
        memory["subscriptions_at"] = now
    elif action == policy.DEVICE_STATUS:
        memory["device_status_at"] = now
    elif action == policy.SLOT_STATUS:
        memory.setdefault("reported_at", {})[sid] = now
    elif action == policy.REPLENISH:
        if outcome == "ok":  # placed, with its id
            memory.setdefault("orders", {})[sid] = {"id": "e%d" % serial, "placed": now,
                                                    "polled": None}
        else:  # the customer has no subscription for it
            memory.setdefault("subscriptions", {})[sid] = False
    elif action == policy.ORDER_INFO:
        order = memory["orders"][sid]
        if outcome == "ok":  # still open
            order["polled"] = now
        elif order.get("polled") is None:  # shipped
            order["polled"], order["shipped"] = now, True
        else:  # cancelled
            del memory["orders"][sid]
    return True


@SETTINGS
@given(st.lists(WAKE, min_size=1, max_size=25))
def test_never_a_second_order_for_a_slot_while_one_is_open(wakes):
    memory, now, serial = {}, START, 0
    open_orders = set()
    for wake in wakes:
        now += wake["gap"]
        session = now - now % DAY if wake["session"] else None
        slots = [{"id": sid, "low": f["low"], "consumed": f["consumed"], "faulty": f["faulty"]}
                 for sid, f in zip(SLOT_IDS, wake["slots"])]
        for sid, flags in zip(SLOT_IDS, wake["slots"]):
            if flags["refilled"] and sid in open_orders:  # the order arrived
                memory["orders"].pop(sid)
                open_orders.discard(sid)
        faulty = set(s["id"] for s in slots if s["faulty"])
        for outcome in wake["outcomes"]:
            actions = decide(now, slots, memory, session)
            if now < memory.get("retry_at", 0):
                assert actions == [], "sent while backing off"
            assert len(set(actions)) == len(actions), actions
            for action, sid in actions:
                assert sid not in faulty, "%s for faulty slot %s" % (action, sid)
                if action == policy.REPLENISH:
                    assert sid not in open_orders, "a second order for %s" % sid
            if not actions:
                break
            action, sid = actions[0]
            serial += 1
            if not record(memory, action, sid, outcome, now, wake, serial):
                break
            if action == policy.REPLENISH and sid in memory.get("orders", {}):
                open_orders.add(sid)
            elif action == policy.ORDER_INFO and sid not in memory["orders"]:
                open_orders.discard(sid)  # cancelled
            now += 5  # each call takes a moment
