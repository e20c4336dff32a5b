# What this wake must tell the service, decided from the slots and what the
# device remembers. The cycle acts on the first action, records the outcome in
# memory and asks again, until nothing is left. Pure: no I/O and no clock of
# its own, so every rule is a unit test. The radio is the battery's biggest
# cost (see energy-model.md): an empty list means Wi-Fi stays off this wake.
#
#   decide(now, slots, memory, rules, session) -> [(action, slot_id or None), ...]
#
# session: the scheduled time of the daily radio session this wake holds
#   (schedule.next_session(...) when it is <= now), None between sessions.
# slots: [{"id", "faulty": reason or None, "consumed": bool, "low": bool}]
#   ("consumed": content was used since the slot status last sent)
# memory: the device's record of the service, kept in the store:
#   {"device_status_at": t, "subscriptions": {slot_id: bool}, "subscriptions_at": t,
#    "orders": {slot_id: {"id": eventInstanceId, "placed": t, "polled": t, "shipped": bool,
#                         "cancelled": t}},
#    "reported_at": {slot_id: t}, "retry_at": t}
#
# The rules, one test each in tests/device/test_policy.py:
# - retry_at in the future: nothing at all (the service asked us to wait, or
#   it failed and the device backs off).
# - A faulty slot is neither reported nor ordered.
# - Can't wait, so the radio comes on outside the session too:
#   * replenish a slot that is low, subscribed and has no open order (never a
#     second one while an order is open, shipped or not, nor while a cancelled
#     one is remembered: the cycle forgets it a day later, so a customer who
#     cancels is not ordered for again at once); subscription info first when
#     subscriptions were never fetched, so it is ordered this wake;
#   * order info right after a replenish (certification asks for it);
#   * anything whose period the rules set below a day (a mains-powered owner
#     may want hourly slot status: report_s=3600).
# - The daily session carries the rest, each at most once per period:
#   subscription info, slot status for every slot consumed since its last
#   report, order info for each open order until it ships, device status.
#   A refill or a consumption waits for it. A period of a day or more counts
#   in sessions (daily: once per session), so a session held a little early
#   or late never skips an item.
from replenish.clock import DAY

RULES = {
    "device_status_s": DAY,  # DRS: send device status once a day
    "subscriptions_s": DAY,  # DRS: subscription info periodically
    "report_s": DAY,  # how often a consumed slot's status may be sent
    "order_poll_s": DAY,  # order info after a replenish, then daily while open
}

SUBSCRIPTION_INFO = "subscription_info"
DEVICE_STATUS = "device_status"
SLOT_STATUS = "slot_status"
REPLENISH = "replenish"
ORDER_INFO = "order_info"


def _due(last, every, now, session):
    if every < DAY:  # finer than the sessions: on any wake
        return last is None or now - last >= every
    # Sessions are a day apart, give or take a wake: count them, not seconds.
    # Sent in this session means last >= session, so it is never sent twice.
    return session is not None and (last is None or last < session - every + DAY)


def decide(now, slots, memory, rules, session):
    if now < memory.get("retry_at", 0):
        return []
    actions = []
    reported = memory.get("reported_at", {})
    orders = memory.get("orders", {})
    subscriptions = memory.get("subscriptions", {})
    known = memory.get("subscriptions_at") is not None
    wanted = False  # a low slot waits for subscription info before its order
    for slot in slots:
        if slot["faulty"]:
            continue  # nothing is reported or ordered from untrusted readings
        sid = slot["id"]
        if slot["consumed"] and _due(reported.get(sid), rules["report_s"], now, session):
            actions.append((SLOT_STATUS, sid))
        order = orders.get(sid)
        if order:
            # A shipped order needs no more polling: the refill shows on the
            # sensor. A cancelled one is not asked after: it only waits a day.
            if not order.get("cancelled") and (order.get("polled") is None or (
                    not order.get("shipped")
                    and _due(order["polled"], rules["order_poll_s"], now, session))):
                actions.append((ORDER_INFO, sid))
        elif slot["low"]:
            if subscriptions.get(sid):
                actions.append((REPLENISH, sid))
            elif not known:
                wanted = True
    if _due(memory.get("device_status_at"), rules["device_status_s"], now, session):
        actions.append((DEVICE_STATUS, None))
    if wanted or _due(memory.get("subscriptions_at"), rules["subscriptions_s"], now, session):
        # First: the cycle decides again after each action, so a low slot is
        # ordered in this same wake once the subscription is known.
        actions.insert(0, (SUBSCRIPTION_INFO, None))
    return actions
