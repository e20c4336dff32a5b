# What this wake must tell the service, decided from the slots and what the
# device remembers. The cycle acts on the first action, records the outcome in
# memory and asks again, until nothing is left. Pure: no I/O and no clock of
# its own, so every rule is a unit test. The radio is the battery's biggest
# cost (see energy-model.md): an empty list means Wi-Fi stays off this wake.
#
#   decide(now, slots, memory, rules=RULES) -> [(action, slot_id or None), ...]
#
# slots: [{"id", "faulty": reason or None, "consumed": bool, "low": bool}]
#   ("consumed": content was used since the slot status last sent)
# memory: the device's record of the service, kept in the store:
#   {"device_status_at": t, "subscriptions": {slot_id: bool}, "subscriptions_at": t,
#    "orders": {slot_id: {"id": eventInstanceId, "placed": t, "polled": t, "shipped": bool}},
#    "reported_at": {slot_id: t}, "retry_at": t}

DAY = 86400
RULES = {
    "device_status_s": DAY,  # DRS: send device status once a day
    "subscriptions_s": DAY,  # DRS: subscription info periodically
    "report_s": 3600,  # the finest resolution of slot status reports
    "order_poll_s": DAY,  # order info after a replenish, then daily while open
}

SUBSCRIPTION_INFO = "subscription_info"
DEVICE_STATUS = "device_status"
SLOT_STATUS = "slot_status"
REPLENISH = "replenish"
ORDER_INFO = "order_info"


def _due(last, every, now):
    return last is None or now - last >= every


def decide(now, slots, memory, rules=RULES):
    if now < memory.get("retry_at", 0):
        return []  # the service asked us to wait, or it failed: back off
    actions = []
    reported = memory.get("reported_at", {})
    orders = memory.get("orders", {})
    subscriptions = memory.get("subscriptions", {})
    for slot in slots:
        if slot["faulty"]:
            continue  # nothing is reported or ordered from untrusted readings
        sid = slot["id"]
        if slot["consumed"] and _due(reported.get(sid), rules["report_s"], now):
            actions.append((SLOT_STATUS, sid))
        order = orders.get(sid)
        if order:
            # A shipped order needs no more polling: the refill shows on the sensor.
            if not order.get("shipped") and _due(order.get("polled"), rules["order_poll_s"], now):
                actions.append((ORDER_INFO, sid))
        elif slot["low"] and subscriptions.get(sid):
            actions.append((REPLENISH, sid))
    if _due(memory.get("device_status_at"), rules["device_status_s"], now):
        actions.append((DEVICE_STATUS, None))
    if _due(memory.get("subscriptions_at"), rules["subscriptions_s"], now):
        # First: the cycle decides again after each action, so a low slot is
        # ordered in this same wake once the subscription is known.
        actions.insert(0, (SUBSCRIPTION_INFO, None))
    return actions
