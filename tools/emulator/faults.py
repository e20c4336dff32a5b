"""Faults injected per endpoint for the next N calls.

Kinds that stop the request before the service sees it (nothing changes):
  reset            the TCP connection is reset, no response
  500, 503         an error status (503 and 429 may carry Retry-After)
  429              Too Many Requests with Retry-After
Kinds that let the service act, then damage the answer (an order may be
placed although the client never reads the reply):
  delay            the whole response after `seconds`
  drip             the response one byte every `interval` seconds
  truncate         Content-Length promises more than is sent, then the connection closes
  malformed_json   a 200 whose body is not valid JSON
  oversized        a 200 whose valid JSON body is `size` bytes long
"""

import json
import threading

from tools.emulator import wire

ENDPOINTS = (
    "token", "consent",
    "replenish", "slot_status", "device_status", "subscription_info", "order_info",
    "deregister", "cancel_test_orders",
)
ANY = "any"
BEFORE = ("reset", "500", "503", "429")
AFTER = ("delay", "drip", "truncate", "malformed_json", "oversized")
KINDS = BEFORE + AFTER


def make_fault(endpoint, kind, count=1, seconds=1.0, interval=0.05, retry_after=None,
               size=262144):
    """A validated fault record (a plain dict, so it travels as JSON)."""
    if endpoint != ANY and endpoint not in ENDPOINTS:
        raise ValueError("unknown endpoint %r; one of: %s" % (endpoint, ", ".join(
            (ANY,) + ENDPOINTS)))
    kind = str(kind)
    if kind not in KINDS:
        raise ValueError("unknown fault kind %r; one of: %s" % (kind, ", ".join(KINDS)))
    if kind == "429" and retry_after is None:
        retry_after = 30
    return {"endpoint": endpoint, "kind": kind, "count": _bounded("count", count, 1, 10 ** 6),
            "seconds": float(_bounded("seconds", seconds, 0, 600, float)),
            "interval": float(_bounded("interval", interval, 0, 60, float)),
            "retry_after": None if retry_after is None else _bounded("retry_after", retry_after,
                                                                     0, 86400),
            "size": _bounded("size", size, 0, 16 * 1024 * 1024)}


def _bounded(name, value, low, high, kind=int):
    """A number from a client, in range: a count of 1e300 is a mistake, not a plan."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError("%s must be a number from %s to %s, not %r" % (name, low, high, value))
    return kind(value)


class FaultQueue:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, fault):
        with self._lock:
            self._faults.append(fault)

    def clear(self):
        with self._lock:
            self._faults = []

    def pending(self):
        with self._lock:
            return [dict(f) for f in self._faults]

    def take(self, endpoint):
        """The fault for this call, if one is armed for the endpoint (or `any`)."""
        with self._lock:
            for f in self._faults:
                if f["endpoint"] in (endpoint, ANY):
                    f["count"] -= 1
                    if f["count"] == 0:
                        self._faults.remove(f)
                    return dict(f)
        return None


def before(fault, error_response):
    """The response that replaces the service for a BEFORE fault, else None.
    `error_response(status, message)` shapes the body the way the host does."""
    if fault is None or fault["kind"] not in BEFORE:
        return None
    if fault["kind"] == "reset":
        resp = wire.Response(200)
        resp.delivery = wire.Delivery(wire.RESET)
        return resp
    status = int(fault["kind"])
    resp = error_response(status, "injected fault: HTTP %d" % status)
    if fault["retry_after"] is not None:
        resp.headers.append(("Retry-After", str(fault["retry_after"])))
    return resp


def after(fault, resp):
    """Damage a response the service produced, for an AFTER fault."""
    if fault is None or fault["kind"] not in AFTER:
        return resp
    kind = fault["kind"]
    if kind == "delay":
        resp.delivery = wire.Delivery(wire.NORMAL, delay=fault["seconds"])
    elif kind == "drip":
        resp.delivery = wire.Delivery(wire.DRIP, interval=fault["interval"])
    elif kind == "truncate":
        resp.delivery = wire.Delivery(wire.TRUNCATE)
    elif kind == "malformed_json":
        resp.body = (resp.body[: len(resp.body) * 2 // 3] or b'{"') + b",,}"
    elif kind == "oversized":
        try:
            obj = json.loads(resp.body or b"{}")
        except ValueError:
            obj = None
        if isinstance(obj, dict):  # stays valid JSON: only its size is wrong
            obj["padding"] = ""
            obj["padding"] = "x" * max(0, fault["size"] - len(json.dumps(obj)))
            resp.body = json.dumps(obj).encode()
        else:
            resp.body += b" " * max(0, fault["size"] - len(resp.body))
    return resp
