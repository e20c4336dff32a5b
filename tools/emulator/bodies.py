"""Validation of the JSON bodies DRS takes (drs-api.md): slot status and
device status. Each failure says exactly which field is wrong and why."""

import json
import math

from tools.emulator import isodate

DATE, NUMBER = "date", "number"
SLOT_STATUS = {"expectedReplenishmentDate": DATE, "remainingQuantityInUnit": NUMBER,
               "originalQuantityInUnit": NUMBER, "totalQuantityOnHand": NUMBER,
               "lastUseDate": DATE}
SLOT_STATUS_OPTIONAL = ("totalQuantityOnHand",)
DEVICE_STATUS = {"mostRecentlyActiveDate": DATE}


class BodyError(Exception):
    pass


def json_object(req, what):
    ctype = req.header("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        raise BodyError("%s must be a JSON object with Content-Type: application/json; "
                        "got a form-encoded body" % what)
    if ctype and ctype != "application/json":
        raise BodyError("%s must be sent as application/json, not %s" % (what, ctype))
    if not req.body:
        raise BodyError("%s needs a JSON body" % what)
    try:
        obj = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise BodyError("%s is not valid JSON: %s" % (what, e)) from None
    if not isinstance(obj, dict):
        raise BodyError("%s must be a JSON object" % what)
    return obj


def _check_fields(obj, fields, optional, what):
    unknown = sorted(set(obj) - set(fields))
    if unknown:
        raise BodyError("%s has unknown field(s): %s" % (what, ", ".join(unknown)))
    for name, kind in fields.items():
        if name not in obj:
            if name in optional:
                continue
            raise BodyError("%s is missing %s" % (what, name))
        value = obj[name]
        if kind == DATE:
            try:
                isodate.parse(value)
            except ValueError as e:
                raise BodyError("%s: %s %s" % (what, name, e)) from None
        elif isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise BodyError("%s: %s must be a number, not %s" % (what, name, json.dumps(value)))
        elif value < 0:
            raise BodyError("%s: %s must not be negative" % (what, name))
    return obj


def slot_status(req):
    obj = json_object(req, "slot status")
    return _check_fields(obj, SLOT_STATUS, SLOT_STATUS_OPTIONAL, "slot status")


def device_status(req):
    obj = json_object(req, "device status")
    return _check_fields(obj, DEVICE_STATUS, (), "device status")


def no_body(req, what):
    """Bodyless calls: empty (with or without Content-Length), or at most `{}`."""
    if req.body.strip() not in (b"", b"{}"):
        raise BodyError("%s takes no body" % what)
