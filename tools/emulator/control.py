"""The control API: what tests and demos do to the world from outside it
(create devices, move the clock, arm faults, look at what happened).

Served on its own listener under /control/<operation>, never on the DRS or
LWA paths, and every answer says so. POST takes a JSON object of arguments,
GET takes query parameters; the answer is {"note": ..., "result": ...} or
{"note": ..., "error": ...}.
"""

import inspect
import json
from urllib.parse import parse_qsl

from tools.emulator import faults, isodate, orders, registry, safejson
from tools.emulator.masking import fingerprint
from tools.emulator.replies import json_reply

NOTE = "DRS emulator control API: not part of DRS or Login with Amazon"
HEADERS = [("X-Emulator-Control", NOTE)]


def _connections(emu):
    return emu.connection_stats()


def create_model(emu, model, slots, redirect_uris=None, rotate_refresh_tokens=False,
                 grant_types=None):
    return registry.create_model(emu.state, model, slots, redirect_uris, rotate_refresh_tokens,
                                 grant_types)


def create_customer(emu, name=None, problem=None):
    return {"customer_id": registry.create_customer(emu.state, name, problem)}


def create_device(emu, model="drs-emulator-model", slots=None, serial=None,
                  test_device=True, subscribed=True, customer_id=None, payment_problem=None,
                  redirect_uris=None, rotate_refresh_tokens=False):
    creds = registry.create_device(emu.state, model, slots, serial, test_device, subscribed,
                                   customer_id, payment_problem, redirect_uris,
                                   rotate_refresh_tokens)
    return dict(creds, **emu.endpoints())


def create_devices(emu, count, model="drs-emulator-fleet", slots=None, test_device=True):
    """A fleet in one call (1 to 10000 devices of one model), each with its credentials."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10000:
        raise ValueError("count must be a whole number from 1 to 10000")
    return [create_device(emu, model=model, slots=slots, test_device=test_device)
            for _ in range(count)]


def set_subscription(emu, model, serial, slot, subscribed, asin=None, quantity=None, unit=None):
    return registry.set_subscription(emu.state, model, serial, slot, subscribed, asin,
                                     quantity, unit)


def set_customer_problem(emu, customer_id, problem=None):
    registry.set_customer_problem(emu.state, customer_id, problem)
    return emu.state.customers[customer_id]


def deregister_device(emu, model, serial):
    """The customer removes the device from their Amazon account."""
    registry.deregister(emu.state, registry.find_device(emu.state, model, serial))
    return {"registered": False}


def cancel_order(emu, instance_id):
    """The customer cancels an order on amazon.com (inside the 24 h window)."""
    order = orders.customer_cancel(emu.state, instance_id)
    return orders.order_info(emu.state, order)


def force_order_state(emu, instance_id, status):
    """Move an order as fulfilment would: Pending, Shipped, Delivered/Closed,
    Canceled, resolving (Order Resolution Flow) or Unknown."""
    order = orders.force_state(emu.state, instance_id, status)
    return orders.order_info(emu.state, order)


def set_order_status_set(emu, name):
    if name not in orders.STATUS_SETS:
        raise ValueError("status set must be one of %s" % ", ".join(orders.STATUS_SETS))
    emu.state.settings["order_status_set"] = name
    return emu.state.settings


def clock(emu):
    now = emu.state.now()
    return {"now": now, "iso": isodate.utc_seconds(now), "mode": emu.state.clock.mode}


def advance_clock(emu, seconds):
    emu.state.clock.advance(seconds)
    orders.catch_up(emu.state)
    return clock(emu)


def sntp_fault(emu, mode="none", count=None, kiss=None, at=None, offset=None, length=None):
    """The SNTP responder's next answers: none, silent, kod, wrong or short."""
    return emu.sntp.set_fault(mode, count, kiss, at, offset, length)


def sntp(emu):
    return {"port": emu.sntp.port, "fault": emu.sntp.fault(), "counts": emu.sntp.counts()}


def set_clock(emu, now):
    emu.state.clock.set(isodate.parse(now) if isinstance(now, str) else now)
    orders.catch_up(emu.state)
    return clock(emu)


def inject_fault(emu, endpoint, kind, count=1, seconds=1.0, interval=0.05, retry_after=None,
                 size=262144):
    fault = faults.make_fault(endpoint, kind, count, seconds, interval, retry_after, size)
    emu.faults.add(fault)
    return fault


def clear_faults(emu):
    emu.faults.clear()
    return []


def pending_faults(emu):
    return emu.faults.pending()


def requests(emu, endpoint=None, host=None):
    return emu.recorder.entries(endpoint, host)


def clear_requests(emu):
    """Forget recorded requests and zero the connection counters."""
    emu.recorder.clear()
    emu.reset_connection_stats()
    return _connections(emu)


def connections(emu):
    return _connections(emu)


def deviations(emu, rule=None, host=None):
    """What clients sent that Amazon would refuse or a careful client would not:
    rule broken, request line, answer. Strict tests expect none."""
    return emu.deviations.entries(rule, host)


def clear_deviations(emu):
    emu.deviations.clear()
    return []


def set_strict(emu, strict):
    """strict: every deviation is answered 400; lenient: served, only recorded."""
    if not isinstance(strict, bool):
        raise ValueError("strict must be true or false")
    emu.deviations.strict = strict
    return {"strict": strict}


def notifications(emu, decoded=True, type=None):
    orders.catch_up(emu.state)
    decoded = decoded not in (False, "0", "false")
    out = []
    for envelope in emu.state.notifications:
        if type and envelope["Subject"] != type:
            continue
        out.append(json.loads(envelope["Message"]) if decoded else envelope)
    return out


def order_list(emu):
    orders.catch_up(emu.state)
    return [dict(o, status=orders.order_info(emu.state, o)["orderInfoData"]["orderItems"][0][
        "status"]) for o in emu.state.orders.values()]


def state(emu):
    """The world with secrets masked, and per device how many tokens still work."""
    st = emu.state
    orders.catch_up(st)
    now = st.now()

    def live(table, key):
        return sum(1 for r in table.values() if r["device"] == key and not r["revoked"]
                   and r.get("expires_at", now + 1) > now)

    devices = {key: dict(dev, valid_access_tokens=live(st.access_tokens, key),
                         valid_refresh_tokens=live(st.refresh_tokens, key))
               for key, dev in st.devices.items()}
    clients = {cid: dict(c, secret=fingerprint(registry.client_secret(st, cid)))
               for cid, c in st.clients.items()}
    return {"clock": clock(emu), "settings": st.settings, "strict": emu.deviations.strict,
            "models": st.models,
            "clients": clients, "customers": st.customers, "devices": devices,
            "orders": order_list(emu), "notifications": len(st.notifications)}


READS = {f.__name__: f for f in (clock, sntp, pending_faults, requests, connections, notifications,
                                  order_list, state, deviations)}
WRITES = {f.__name__: f for f in (
    create_model, create_customer, create_device, create_devices, set_subscription,
    set_customer_problem, deregister_device, cancel_order, force_order_state,
    set_order_status_set, advance_clock, set_clock, sntp_fault, inject_fault, clear_faults,
    clear_requests, clear_deviations, set_strict)}


def index(emu):
    def sig(f):
        return f.__name__ + str(inspect.signature(f)).replace("(emu, ", "(").replace(
            "(emu)", "()")
    return {"GET": [sig(f) for f in READS.values()], "POST": [sig(f) for f in WRITES.values()]}


def handle(emu, req):
    name = req.path[len("/control/"):] if req.path.startswith("/control/") else None
    if req.path in ("/control", "/control/"):
        return json_reply(200, {"note": NOTE, "result": index(emu)}, HEADERS)
    table = READS if req.method == "GET" else WRITES if req.method == "POST" else {}
    if name not in table:
        return json_reply(404, {"note": NOTE, "error": "no operation %s %s; GET /control lists "
                                "them" % (req.method, req.path)}, HEADERS)
    try:
        if req.method == "GET":
            kwargs = dict(parse_qsl(req.query))
        else:
            kwargs = safejson.loads(req.body or b"{}")
            if not isinstance(kwargs, dict):
                raise ValueError("the body must be a JSON object of arguments")
        with emu.state.lock:
            result = table[name](emu, **kwargs)
            if table is WRITES:
                emu.state.touch()
        emu.state.save()  # outside the lock: the writer takes its own lock first
    except (ValueError, LookupError, TypeError, ArithmeticError) as e:
        return json_reply(400, {"note": NOTE, "error": str(e)}, HEADERS)
    return json_reply(200, {"note": NOTE, "result": result}, HEADERS)
