"""Response builders shared by the emulated hosts."""

import json

from tools.emulator import wire

JSON = "application/json"


def json_reply(status, obj, headers=()):
    body = b"" if obj is None else json.dumps(obj).encode()
    return wire.Response(status, body, headers, content_type=JSON if body else None)


def html_reply(status, html, headers=()):
    return wire.Response(status, html, headers, content_type="text/html; charset=utf-8")


def redirect(location):
    return wire.Response(302, "", [("Location", location)])
