"""The witness: every request Amazon would refuse, or a careful client would
not send, recorded with the rule it broke, its request line and the answer.

Two kinds of rule. Some the emulator always refused (a parser rejection, an
invalid body, a wrong version header): they are answered as before and now
also recorded. The others it used to accept without a word (HTTP/1.0, a
chunked body, a date without `Z`, ...): in STRICT mode each is answered 400,
in lenient mode it is served as before and only recorded. A 500 (an emulator
bug) is recorded too. The firmware's tests run strict and expect none.
"""

import json

from tools.emulator import isodate
from tools.emulator.boundedlog import BoundedLog
from tools.emulator.masking import mask_query

# served in lenient mode (recorded), answered 400 in strict mode
LENIENT = {
    "http_1_0": "HTTP/1.1 is required",
    "chunked_body": "a request body must be sent with Content-Length, not chunked",
    "missing_content_length": "a POST must carry Content-Length (0 when it has no body)",
    "missing_content_type": "a request body must carry a Content-Type",
    "body_not_allowed": "GET, HEAD and DELETE take no body",
    "date_not_utc": "dates must be UTC date-times ending in Z (2015-12-28T10:00:00Z)",
    "duplicate_json_key": "a JSON object must not repeat a key",
    "remaining_exceeds_original": "remainingQuantityInUnit must not exceed "
                                  "originalQuantityInUnit",
}
# always refused; recorded so that a test sees why
REFUSED = {
    "malformed_request": "the request line or a header line cannot be parsed",
    "unsupported_version": "only HTTP/1.1 is served",
    "missing_host": "HTTP/1.1 requires a Host header",
    "header_too_large": "request line and headers are limited in size and count",
    "body_too_large": "request bodies are limited in size",
    "content_length": "Content-Length must be one run of ASCII digits",
    "transfer_encoding": "only chunked transfer coding is understood, and not with "
                         "Content-Length",
    "chunk_size": "a chunk size is one to eight hex digits",
    "slow_request": "a request must arrive complete within the request timeout",
    "invalid_body": "the body is not what the endpoint takes",
    "version_header": "x-amzn-type-version and x-amzn-accept-type must name the endpoint's "
                      "types",
    "unknown_resource": "no such path, or not with that method",
    "invalid_request": "the token request is malformed",
    "internal_error": "the emulator failed (a bug in the emulator, not the client)",
}
RULES = dict(LENIENT, **REFUSED)


class Deviation(ValueError):
    """A lenient rule broken in strict mode: the request is answered 400."""

    def __init__(self, rule, detail):
        ValueError.__init__(self, "%s (strict mode, rule %s)" % (detail, rule))
        self.rule = rule


def note(req, rule, detail):
    """Record that `req` broke `rule`; in strict mode refuse it (raise Deviation)."""
    assert rule in RULES, rule
    req.deviations.append((rule, detail))
    if rule in LENIENT and req.strict:
        raise Deviation(rule, detail)


def request_line(method, target, version):
    """The request line as recorded: secrets in the query replaced by fingerprints."""
    path, sep, query = target.partition("?")
    return "%s %s%s %s" % (method, path, sep + mask_query(query) if sep else "", version)


def reason(status, body):
    """What an error answer said (its message), for the log; None for a success."""
    if status < 400:
        return None
    try:
        obj = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace") or None
    if isinstance(obj, dict):
        for key in ("message", "error_description", "error"):
            if isinstance(obj.get(key), str):
                return obj[key]
    return None


class DeviationLog(BoundedLog):
    def __init__(self, strict=True):
        BoundedLog.__init__(self)
        self.strict = bool(strict)

    def record(self, host, rule, detail, line, status, answer, now):
        self._add({"time": isodate.utc_seconds(now), "host": host, "rule": rule,
                   "broke": RULES[rule], "detail": detail, "request": line,
                   "status": status, "reason": answer, "strict": self.strict})

    def entries(self, rule=None, host=None):
        return self._select(rule=rule, host=host)
