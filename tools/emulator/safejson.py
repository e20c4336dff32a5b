"""JSON from a client, read so that no input can make the emulator fail:
every problem is a ValueError with a message a 400 can carry. Bounded
nesting (a deep `[[[[...` would exhaust the recursion limit), integers of at
most 2^53 (a 400-digit one cannot become a float), finite numbers only (no
NaN, Infinity or 1e999), and repeated keys reported (json keeps the last)."""

import json
import math

MAX_DEPTH = 32
MAX_INT = 2 ** 53  # beyond it JSON numbers are not exact in most parsers


def _int(text):
    if len(text) > 17 or abs(int(text)) > MAX_INT:
        raise ValueError("integer %s... out of range (at most 2^53)" % text[:20])
    return int(text)


def _float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number %s... out of range" % text[:20])
    return value


def _constant(name):
    raise ValueError("%s is not a JSON number" % name)


def _depth_ok(obj):
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return True


def loads(data, on_duplicate=None):
    """Parse `data` (bytes or str). `on_duplicate(key)` hears of a repeated key
    (it may raise); without it a repeated key is an error."""
    def pairs(items):
        obj = {}
        for key, value in items:
            if key in obj:
                if on_duplicate is None:
                    raise ValueError("key %r appears twice" % key)
                on_duplicate(key)
            obj[key] = value
        return obj

    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        obj = json.loads(text, object_pairs_hook=pairs, parse_int=_int, parse_float=_float,
                         parse_constant=_constant)
    except RecursionError:
        raise ValueError("nested more than %d levels deep" % MAX_DEPTH) from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    if not _depth_ok(obj):
        raise ValueError("nested more than %d levels deep" % MAX_DEPTH)
    return obj
