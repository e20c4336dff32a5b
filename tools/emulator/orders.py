"""The order lifecycle of drs-api.md, evaluated lazily against the emulator's
clock: whenever the world is looked at, every open order first catches up
with the time (shipping, delivery, Order Resolution Flow timeouts), and each
transition is notified at the moment it happened, not when it was noticed.

  placed --24 h cancel window--> shipped --48 h transit--> delivered
  resolving (customer problem) --fixed--> placed;  --72 h--> cancelled
  test orders stay placed until DELETE /testOrders cancels them
  unknown (only when forced): open, its status `Unknown`, until forced again

The control API can force an order into any state (force_state), as the
fulfilment side would move it: a test reaches shipped, delivered, cancelled,
the resolution flow or `Unknown` without waiting for the clock.
"""

import base64
import uuid

from tools.emulator import isodate, notifications

HOUR = 3600
CANCEL_WINDOW = 24 * HOUR
TRANSIT = 48 * HOUR
RESOLUTION_WINDOW = 72 * HOUR
OPEN = ("placed", "resolving", "shipped", "unknown")

# drs-api.md: two versions of the page list different status values.
STATUS_SETS = {
    "new": {"placed": "Pending", "resolving": "Pending", "shipped": "Authorized",
            "delivered": "Closed", "cancelled": "Canceled", "unknown": "Unknown"},
    "old": {"placed": "Processing", "resolving": "Processing", "shipped": "Shipped",
            "delivered": "Shipped", "cancelled": "Cancelled", "unknown": "Unknown"},
}
# force_state: the states by their own names and by the status values both sets use
FORCEABLE = {"placed": "placed", "pending": "placed", "processing": "placed",
             "shipped": "shipped", "authorized": "shipped",
             "delivered": "delivered", "closed": "delivered",
             "cancelled": "cancelled", "canceled": "cancelled",
             "resolving": "resolving", "resolution": "resolving",
             "unknown": "unknown"}


def new_instance_id():
    raw = ("r.%s.%s" % (uuid.uuid4(), uuid.uuid4())).encode()
    return "amzn1.dash.v2.o." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def delivery_date(order):
    if order["state"] in ("placed", "shipped", "delivered") and not order["test"]:
        return isodate.utc_millis(order["deliver_at"])
    return None  # being resolved, a test order, or cancelled


def _notify(state, kind, order, when):
    notifications.record(state, kind, state.devices[order["device"]], when,
                         **notifications.order_info(order, delivery_date(order)))


def _schedule(state, order, ship_at):
    state.touch()
    order["state"] = "placed"
    order["ship_at"] = ship_at
    order["deliver_at"] = ship_at + TRANSIT


def _close(state, order, new_state, when):
    state.touch()
    order["state"] = new_state
    order["closed_at"] = when
    if new_state == "cancelled":
        _notify(state, "OrderCancelledNotification", order, when)


def catch_up(state):
    """Move every open order along to the emulator's current time."""
    now = state.now()
    for order in state.orders.values():
        while True:
            st = order["state"]
            if st == "placed" and not order["test"] and order["ship_at"] <= now:
                _ship(state, order, order["ship_at"])
            elif st == "shipped" and order["deliver_at"] <= now:
                _close(state, order, "delivered", order["deliver_at"])
            elif st == "resolving" and order["resolve_by"] <= now:
                _close(state, order, "cancelled", order["resolve_by"])
            else:
                break


def _ship(state, order, when):
    order["state"] = "shipped"
    _notify(state, "ItemShippedNotification", order, when)  # touches the state


def open_order(state, device, slot):
    for order in state.orders.values():
        if order["device"] == device and order["slot"] == slot and order["state"] in OPEN:
            return order
    return None


def replenish(state, device, slot):
    """detailCode and eventInstanceId for a replenish of a subscribed slot."""
    catch_up(state)
    current = open_order(state, device, slot)
    if current:
        return "ORDER_INPROGRESS", current["id"]
    dev = state.devices[device]
    sub = dev["subscriptions"][slot]
    now = state.now()
    order = {"id": new_instance_id(), "device": device, "slot": slot, "asin": sub["asin"],
             "quantity": sub["quantity"], "unit": sub["unit"], "test": dev["test_device"],
             "placed_at": now, "ship_at": None, "deliver_at": None, "resolve_by": None,
             "closed_at": None}
    state.orders[order["id"]] = order
    state.touch()
    if dev["test_device"]:
        order["state"] = "placed"
        _notify(state, "OrderPlacedNotification", order, now)
        return "TEST_ORDER_PLACED", order["id"]
    if state.customers[dev["customer_id"]]["problem"]:
        # Order Resolution Flow: the answer is the same as for a good order
        order["state"] = "resolving"
        order["resolve_by"] = now + RESOLUTION_WINDOW
    else:
        _schedule(state, order, now + CANCEL_WINDOW)
        _notify(state, "OrderPlacedNotification", order, now)
    return "STANDARD_ORDER_PLACED", order["id"]


def resolve_customer(state, customer_id):
    """The customer fixed payment/address: their held orders go ahead."""
    catch_up(state)
    now = state.now()
    for order in state.orders.values():
        dev = state.devices[order["device"]]
        if order["state"] == "resolving" and dev["customer_id"] == customer_id:
            _schedule(state, order, max(order["placed_at"] + CANCEL_WINDOW, now))
            _notify(state, "OrderPlacedNotification", order, now)


def customer_cancel(state, order_id):
    """The customer cancels on amazon.com: only inside the 24 h window."""
    catch_up(state)
    order = _find(state, order_id)
    now = state.now()
    if order["state"] == "resolving" or (
            order["state"] == "placed" and (order["test"] or now < order["ship_at"])):
        _close(state, order, "cancelled", now)
        return order
    raise ValueError("order %s is %s; only an order inside its 24 h cancel window can be "
                     "cancelled" % (order_id, order["state"]))


def _find(state, order_id):
    order = state.orders.get(order_id)
    if order is None:
        raise LookupError("no order %s" % order_id)
    return order


def force_state(state, order_id, status):
    """Put an order into a state now, as fulfilment would: placed (a new 24 h
    window), shipped (delivered 48 h later), delivered, cancelled, resolving
    (the Order Resolution Flow, 72 h to fix) or unknown (stays until forced)."""
    target = FORCEABLE.get(str(status).lower())
    if target is None:
        raise ValueError("status must be one of %s" % ", ".join(sorted(FORCEABLE)))
    catch_up(state)
    order = _find(state, order_id)
    other = open_order(state, order["device"], order["slot"])
    if target in OPEN and other is not None and other is not order:
        raise ValueError("slot %s already has the open order %s" % (order["slot"], other["id"]))
    was, now = order["state"], state.now()
    if target in OPEN:
        order["closed_at"] = None
    if target == "placed":
        _schedule(state, order, now + CANCEL_WINDOW)
        if was == "resolving":  # held until now: placed only at this moment
            _notify(state, "OrderPlacedNotification", order, now)
    elif target == "shipped":
        order["deliver_at"] = now + TRANSIT
        _ship(state, order, now)
    elif target in ("delivered", "cancelled"):
        if target == "delivered":
            order["deliver_at"] = now
        _close(state, order, target, now)
    else:  # resolving or unknown: open, no delivery date
        state.touch()
        order["state"] = target
        order["resolve_by"] = now + RESOLUTION_WINDOW if target == "resolving" else None
    return order


def cancel_test_orders(state, device, slots):
    catch_up(state)
    result = []
    for slot in slots:
        order = open_order(state, device, slot)
        if order and order["test"]:
            _close(state, order, "cancelled", state.now())
        result.append({"slotId": slot, "orderStatus": "NO_ORDER_IN_PROGRESS"})
    return result


def order_info(state, order):
    status = STATUS_SETS[state.settings["order_status_set"]][order["state"]]
    return {"orderInfoData": {"instanceId": order["id"], "orderItems": [{
        "asin": order["asin"], "expectedDeliveryDate": delivery_date(order),
        "quantity": order["quantity"], "slotId": order["slot"], "status": status}]}}
