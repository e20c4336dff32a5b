"""Secrets out of everything the emulator records or prints.

A masked value keeps a short fingerprint, so a test can still tell which
token a client sent (compare with `fingerprint(token)`) without the token
itself ever appearing in a log or a report.
"""

import hashlib
import json
from urllib.parse import unquote_plus

from tools.emulator import safejson

SECRET_FIELDS = ("client_secret", "refresh_token", "access_token", "code", "code_verifier",
                 "password")
SECRET_HEADERS = ("authorization", "cookie", "set-cookie")


def token_hash(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def fingerprint(secret):
    return "<masked sha256:%s>" % token_hash(secret)[:12]


def mask_header(name, value):
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, sep, rest = value.partition(" ")
    return scheme + " " + fingerprint(rest) if sep else fingerprint(value)


def _mask_obj(obj):
    if isinstance(obj, dict):
        return {k: fingerprint(str(v)) if k in SECRET_FIELDS and v else _mask_obj(v)
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_mask_obj(v) for v in obj]
    return obj


def mask_query(query):
    """Form or query text with secret values replaced, everything else as sent."""
    parts = []
    for part in query.split("&"):
        key, sep, value = part.partition("=")
        if sep and value and unquote_plus(key) in SECRET_FIELDS:
            part = key + "=" + fingerprint(unquote_plus(value))
        parts.append(part)
    return "&".join(parts)


def mask_body(body, content_type):
    """The request body as text, secrets replaced; non-text bodies summarised."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "<%d bytes, not UTF-8>" % len(body)
    if not text:
        return ""
    try:  # safejson: a body nested 10000 deep must not break the recording
        return json.dumps(_mask_obj(safejson.loads(text, on_duplicate=lambda key: None)))
    except ValueError:
        pass
    if "=" in text and "form-urlencoded" in (content_type or "form-urlencoded"):
        return mask_query(text)
    return text
