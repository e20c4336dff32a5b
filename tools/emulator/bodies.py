"""Validation of the JSON bodies DRS takes (drs-api.md): slot status and
device status. Each failure says exactly which field is wrong and why.

What drs-api.md lets an emulator accept but a careful client would not send
(a date without `Z`, a repeated key, more remaining than a full container
holds) is noted as a deviation: served in lenient mode, 400 in strict mode.
"""

import json
import re

from tools.emulator import isodate, safejson
from tools.emulator.deviations import Deviation, note

DATE, NUMBER = "date", "number"
SLOT_STATUS = {"expectedReplenishmentDate": DATE, "remainingQuantityInUnit": NUMBER,
               "originalQuantityInUnit": NUMBER, "totalQuantityOnHand": NUMBER,
               "lastUseDate": DATE}
SLOT_STATUS_OPTIONAL = ("totalQuantityOnHand",)
DEVICE_STATUS = {"mostRecentlyActiveDate": DATE}
UTC_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


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
    def repeated(key):
        note(req, "duplicate_json_key", "%s repeats the key %s" % (what, key))

    try:
        obj = safejson.loads(req.body, on_duplicate=repeated)
    except Deviation:
        raise
    except ValueError as e:
        raise BodyError("%s is not valid JSON: %s" % (what, e)) from None
    if not isinstance(obj, dict):
        raise BodyError("%s must be a JSON object" % what)
    return obj


def _check_fields(req, obj, fields, optional, what):
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
            if not UTC_DATE_TIME.match(value):
                note(req, "date_not_utc", "%s: %s %r is not a UTC date-time ending in Z"
                     % (what, name, value))
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BodyError("%s: %s must be a number, not %s" % (what, name, json.dumps(value)))
        elif value < 0:
            raise BodyError("%s: %s must not be negative" % (what, name))
    return obj


def slot_status(req):
    obj = _check_fields(req, json_object(req, "slot status"), SLOT_STATUS,
                        SLOT_STATUS_OPTIONAL, "slot status")
    if obj["remainingQuantityInUnit"] > obj["originalQuantityInUnit"]:
        note(req, "remaining_exceeds_original", "slot status: remainingQuantityInUnit %s is "
             "more than originalQuantityInUnit %s" % (obj["remainingQuantityInUnit"],
                                                      obj["originalQuantityInUnit"]))
    return obj


def device_status(req):
    obj = json_object(req, "device status")
    return _check_fields(req, obj, DEVICE_STATUS, (), "device status")


def no_body(req, what):
    """Bodyless calls: empty (with or without Content-Length), or at most `{}`."""
    if req.body.strip() not in (b"", b"{}"):
        raise BodyError("%s takes no body" % what)
