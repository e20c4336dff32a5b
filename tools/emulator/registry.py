"""Device makers' models and LWA clients, customers, and the devices linked to
them with their per-slot subscriptions. Every change a customer or maker
would make on amazon.com goes through here and is notified."""

import hashlib
import hmac
import os
import re
import secrets

from tools.emulator import notifications, orders, tokens
from tools.emulator.store import device_key

# drs-api.md: device_model and serial are 1-64 characters of [A-Za-z0-9-+_]
IDENT = re.compile(r"^[A-Za-z0-9+_-]{1,64}$")
PROBLEMS = ("payment", "address", "stock")
GRANTS = ("authorization_code", "refresh_token")
DEFAULT_REDIRECT = "https://localhost/linked"


def check_ident(what, value):
    if not isinstance(value, str) or not IDENT.match(value):
        raise ValueError("%s must be 1-64 characters of A-Z a-z 0-9 - + _ (got %r)"
                         % (what, value))
    return value


def _product(slot):
    if isinstance(slot, str):
        slot = {"id": slot}
    check_ident("slot id", slot.get("id"))
    asin = slot.get("asin") or "B0" + secrets.token_hex(4).upper()
    return {"id": slot["id"], "asin": asin, "quantity": float(slot.get("quantity", 1.0)),
            "unit": slot.get("unit", "count")}


def create_model(state, model, slots, redirect_uris=None, rotate_refresh_tokens=False,
                 grant_types=None):
    """A device model with its slots and the maker's LWA client (kept if it exists).
    `grant_types` limits the grants the client may use (others: unauthorized_client)."""
    check_ident("device model", model)
    if model in state.models:
        creds = model_credentials(state, model)
        wanted = [s if isinstance(s, str) else s.get("id") for s in slots or []]
        if wanted and wanted != creds["slots"]:
            raise ValueError("device model %s already exists with slots %s"
                             % (model, ", ".join(creds["slots"])))
        return creds
    if not slots:
        raise ValueError("a device model needs at least one slot")
    products = [_product(s) for s in slots]
    if len({p["id"] for p in products}) != len(products):
        raise ValueError("slot ids of a model must differ")
    grant_types = list(GRANTS if grant_types is None else grant_types)
    if not set(grant_types) <= set(GRANTS):
        raise ValueError("grant_types must be among %s" % ", ".join(GRANTS))
    client_id = "amzn1.application-oa2-client." + secrets.token_hex(16)
    state.clients[client_id] = {"model": model,
                                "redirect_uris": list(redirect_uris or [DEFAULT_REDIRECT]),
                                "rotate_refresh_tokens": bool(rotate_refresh_tokens),
                                "grant_types": grant_types}
    state.models[model] = {"client_id": client_id, "slots": products}
    state.touch()
    return model_credentials(state, model)


def model_credentials(state, model):
    m = state.models[model]
    client = state.clients[m["client_id"]]
    return {"device_model": model, "client_id": m["client_id"],
            "client_secret": client_secret(state, m["client_id"]),
            "redirect_uris": client["redirect_uris"],
            "slots": [p["id"] for p in m["slots"]]}


def client_secret(state, client_id):
    """A client's secret: derived from the state's key, so that state.json never
    holds it (a state saved before kept it in the record: still honoured)."""
    legacy = state.clients[client_id].get("secret")
    return legacy or hmac.new(state.secret_key, client_id.encode(), hashlib.sha256).hexdigest()


def create_customer(state, name=None, problem=None):
    customer_id = "amzn1.account." + secrets.token_hex(14).upper()
    state.customers[customer_id] = {"name": name or "Test Customer", "problem": None}
    set_customer_problem(state, customer_id, problem)
    return customer_id


def set_customer_problem(state, customer_id, problem):
    """payment/address/stock trouble sends new orders into the Order Resolution Flow."""
    if customer_id not in state.customers:
        raise LookupError("no customer %s" % customer_id)
    if problem is not None and problem not in PROBLEMS:
        raise ValueError("problem must be one of %s or null" % ", ".join(PROBLEMS))
    state.customers[customer_id]["problem"] = problem
    state.touch()
    if problem is None:
        orders.resolve_customer(state, customer_id)


def link_device(state, model, serial, customer_id, test_device, subscribed=True):
    """The customer finished the consent page: the device is registered to them.
    `subscribed` is a bool for every slot or a {slot id: bool} map."""
    check_ident("serial", serial)
    key = device_key(model, serial)
    if key in state.devices and state.devices[key]["registered"]:
        tokens.revoke_device(state, key)  # a new link replaces the old one
    m = state.models[model]
    subs = {}
    for p in m["slots"]:
        on = subscribed.get(p["id"], False) if isinstance(subscribed, dict) else subscribed
        subs[p["id"]] = {"subscribed": bool(on), "asin": p["asin"], "quantity": p["quantity"],
                         "unit": p["unit"]}
    dev = {"model": model, "serial": serial, "customer_id": customer_id,
           "client_id": m["client_id"], "test_device": bool(test_device), "registered": True,
           "registered_at": state.now(), "subscriptions": subs, "slot_status": {},
           "device_status": None}
    state.devices[key] = dev
    notifications.record(state, "DeviceRegisteredNotification", dev)
    return key


def create_device(state, model="drs-emulator-model", slots=None, serial=None,
                  test_device=True, subscribed=True, customer_id=None, payment_problem=None,
                  redirect_uris=None, rotate_refresh_tokens=False):
    """Model, customer and linked device in one step, with the device's credentials.
    `slots` defaults to the existing model's slots, or ["slot1"] for a new model."""
    if slots is None and model not in state.models:
        slots = ["slot1"]
    creds = create_model(state, model, slots, redirect_uris, rotate_refresh_tokens)
    if customer_id is None:
        customer_id = create_customer(state, problem=payment_problem)
    elif customer_id not in state.customers:
        raise LookupError("no customer %s" % customer_id)
    serial = serial or "SN" + os.urandom(6).hex().upper()
    key = link_device(state, model, serial, customer_id, test_device, subscribed)
    refresh_token = tokens.issue_refresh_token(state, key, creds["client_id"])
    dev = state.devices[key]
    return {"client_id": creds["client_id"], "client_secret": creds["client_secret"],
            "refresh_token": refresh_token, "device_model": model,
            "serial": serial, "slots": creds["slots"], "customer_id": customer_id,
            "test_device": dev["test_device"], "redirect_uris": creds["redirect_uris"]}


def find_device(state, model, serial):
    key = device_key(model, serial)
    if key not in state.devices:
        raise LookupError("no device %s" % key)
    return key


def set_subscription(state, model, serial, slot, subscribed, asin=None, quantity=None,
                     unit=None):
    dev = state.devices[find_device(state, model, serial)]
    if slot not in dev["subscriptions"]:
        raise LookupError("model %s has no slot %s" % (model, slot))
    sub = dev["subscriptions"][slot]
    sub["subscribed"] = bool(subscribed)
    sub["asin"] = asin or sub["asin"]
    sub["quantity"] = sub["quantity"] if quantity is None else float(quantity)
    sub["unit"] = unit or sub["unit"]
    notifications.record(state, "SubscriptionChangedNotification", dev, subscriptionInfo={
        "slotsSubscriptionStatus": {s: v["subscribed"]
                                    for s, v in dev["subscriptions"].items()}})
    return dict(sub, slotId=slot)


def deregister(state, key):
    """From the device (DELETE /registration) or the customer's account: final
    until linked again."""
    dev = state.devices[key]
    tokens.revoke_device(state, key)
    if dev["registered"]:
        dev["registered"] = False
        notifications.record(state, "DeviceDeregisteredNotification", dev)
