"""The control API from Python: one method per operation, over HTTP, so a
test drives an in-process emulator and a demo drives `python -m
tools.emulator` in another process the same way."""

import http.client
import json
import ssl
from urllib.parse import urlencode, urlsplit


class ControlError(Exception):
    pass


class ControlClient:
    def __init__(self, url, cafile=None):
        u = urlsplit(url)
        self._host, self._port, self._tls = u.hostname, u.port, u.scheme == "https"
        self._ctx = ssl.create_default_context(cafile=cafile) if self._tls else None

    def _call(self, method, name, args=None):
        if self._tls:
            conn = http.client.HTTPSConnection(self._host, self._port, context=self._ctx,
                                               timeout=10)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=10)
        try:
            args = {k: v for k, v in (args or {}).items() if v is not None}
            if method == "GET":
                conn.request("GET", "/control/" + name + ("?" + urlencode(args) if args else ""))
            else:
                conn.request("POST", "/control/" + name, json.dumps(args),
                             {"Content-Type": "application/json"})
            answer = json.loads(conn.getresponse().read())
        finally:
            conn.close()
        if "error" in answer:
            raise ControlError(answer["error"])
        return answer["result"]

    # --- the world
    def create_model(self, model, slots, redirect_uris=None, rotate_refresh_tokens=False,
                     grant_types=None):
        return self._call("POST", "create_model", locals_(locals()))

    def create_customer(self, name=None, problem=None):
        return self._call("POST", "create_customer", locals_(locals()))["customer_id"]

    def create_device(self, model="drs-emulator-model", slots=None, serial=None,
                      test_device=True, subscribed=True, customer_id=None, payment_problem=None,
                      redirect_uris=None, rotate_refresh_tokens=False):
        args = locals_(locals())
        args["slots"] = None if slots is None else list(slots)
        return self._call("POST", "create_device", args)

    def create_devices(self, count, model="drs-emulator-fleet", slots=None, test_device=True):
        """A fleet: `count` linked devices of one model, a list of credentials."""
        args = locals_(locals())
        args["slots"] = None if slots is None else list(slots)
        return self._call("POST", "create_devices", args)

    def set_subscription(self, model, serial, slot, subscribed, asin=None, quantity=None,
                         unit=None):
        return self._call("POST", "set_subscription", locals_(locals()))

    def set_customer_problem(self, customer_id, problem=None):
        return self._call("POST", "set_customer_problem", locals_(locals()))

    def deregister_device(self, model, serial):
        return self._call("POST", "deregister_device", locals_(locals()))

    def cancel_order(self, instance_id):
        return self._call("POST", "cancel_order", locals_(locals()))

    def force_order_state(self, instance_id, status):
        """Pending, Shipped, Delivered (Closed), Canceled, resolving or Unknown."""
        return self._call("POST", "force_order_state", locals_(locals()))

    def set_order_status_set(self, name):
        return self._call("POST", "set_order_status_set", locals_(locals()))

    # --- time
    def clock(self):
        return self._call("GET", "clock")

    def advance_clock(self, seconds):
        return self._call("POST", "advance_clock", locals_(locals()))

    def set_clock(self, now):
        return self._call("POST", "set_clock", locals_(locals()))

    # --- faults
    def sntp_fault(self, mode="none", count=None, kiss=None, at=None, offset=None, length=None):
        return self._call("POST", "sntp_fault", locals_(locals()))

    def sntp(self):
        return self._call("GET", "sntp")

    def inject_fault(self, endpoint, kind, count=1, seconds=1.0, interval=0.05,
                     retry_after=None, size=262144):
        return self._call("POST", "inject_fault", locals_(locals()))

    def clear_faults(self):
        return self._call("POST", "clear_faults")

    def pending_faults(self):
        return self._call("GET", "pending_faults")

    # --- inspection
    def requests(self, endpoint=None, host=None):
        return self._call("GET", "requests", locals_(locals()))

    def clear_requests(self):
        return self._call("POST", "clear_requests")

    def deviations(self, rule=None, host=None):
        return self._call("GET", "deviations", locals_(locals()))

    def clear_deviations(self):
        return self._call("POST", "clear_deviations")

    def set_strict(self, strict):
        return self._call("POST", "set_strict", locals_(locals()))

    def connections(self):
        return self._call("GET", "connections")

    def notifications(self, type=None, decoded=True):
        return self._call("GET", "notifications", {"type": type, "decoded": int(decoded)})

    def orders(self):
        return self._call("GET", "order_list")

    def state(self):
        return self._call("GET", "state")


def locals_(names):
    return {k: v for k, v in names.items() if k != "self"}
