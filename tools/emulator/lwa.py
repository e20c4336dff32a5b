"""Login with Amazon's token endpoint, POST /auth/o2/token (drs-api.md):
authorization_code and refresh_token grants, form-encoded, client
credentials in the body or as HTTP Basic."""

import base64
import binascii
import hashlib
import hmac
import uuid
from urllib.parse import parse_qsl, unquote

from tools.emulator import registry, tokens
from tools.emulator.deviations import note
from tools.emulator.replies import json_reply

NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


class LwaError(Exception):
    def __init__(self, status, error, description):
        Exception.__init__(self, description)
        self.status, self.error, self.description = status, error, description


def error_reply(status, message):
    """Errors outside the grant logic (routing, injected faults)."""
    error = "server_error" if status >= 500 else (
        "too_many_requests" if status == 429 else "invalid_request")
    return json_reply(status, {"error": error, "error_description": message},
                      [("x-amzn-RequestId", str(uuid.uuid4()))])


def _form(req):
    ctype = req.header("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise LwaError(400, "invalid_request", "the token request must be form-encoded "
                       "(Content-Type: application/x-www-form-urlencoded), not %r"
                       % (ctype or "none"))
    try:
        pairs = parse_qsl(req.body.decode("utf-8"), keep_blank_values=True,
                          strict_parsing=bool(req.body))
    except (UnicodeDecodeError, ValueError):
        raise LwaError(400, "invalid_request", "the form body cannot be parsed") from None
    form = {}
    for k, v in pairs:
        if k in form:
            raise LwaError(400, "invalid_request", "parameter %s appears twice" % k)
        form[k] = v
    return form


def _client_credentials(req, form):
    auth = req.header("authorization")
    if not auth:
        return form.get("client_id"), form.get("client_secret")
    scheme, _, blob = auth.partition(" ")
    try:
        if scheme.lower() != "basic":
            raise ValueError
        cid, sep, secret = base64.b64decode(blob, validate=True).decode().partition(":")
        if not sep:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise LwaError(401, "invalid_client", "malformed Basic authorization") from None
    cid, secret = unquote(cid), unquote(secret)  # RFC 6749 2.3.1: form-encoded first
    if form.get("client_id", cid) != cid:
        raise LwaError(400, "invalid_request", "client_id differs from the Basic credentials")
    return cid, secret


def _required(form, name):
    if not form.get(name):
        raise LwaError(400, "invalid_request", "%s is missing" % name)
    return form[name]


def _pkce_ok(verifier, challenge):
    digest = hashlib.sha256(verifier.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(expected, challenge)


def _authorization_code(state, form, client_id, secret):
    code = _required(form, "code")
    redirect_uri = _required(form, "redirect_uri")
    rec = tokens.find(state.codes, code)
    if secret is None and not (rec and rec["code_challenge"] and form.get("code_verifier")):
        raise LwaError(401, "invalid_client", "client_secret is missing")
    if rec is None or rec["revoked"] or rec["client_id"] != client_id:
        raise LwaError(400, "invalid_grant", "the authorization code is invalid")
    if rec["used"]:
        raise LwaError(400, "invalid_grant", "the authorization code was already used")
    if rec["expires_at"] <= state.now():
        raise LwaError(400, "invalid_grant", "the authorization code has expired")
    if rec["redirect_uri"] != redirect_uri:
        raise LwaError(400, "invalid_grant", "redirect_uri does not match the authorization")
    if rec["code_challenge"] and not _pkce_ok(form.get("code_verifier", ""),
                                              rec["code_challenge"]):
        raise LwaError(400, "invalid_grant", "code_verifier does not match the code_challenge")
    rec["used"] = True
    return tokens.issue_tokens(state, rec["device"], client_id)


def _refresh(state, form, client_id):
    token = _required(form, "refresh_token")
    rec = tokens.find(state.refresh_tokens, token)
    if rec is None or rec["revoked"] or rec["client_id"] != client_id \
            or not state.devices[rec["device"]]["registered"]:
        raise LwaError(400, "invalid_grant", "the refresh token is invalid or was revoked")
    if not state.clients[client_id]["rotate_refresh_tokens"]:
        return tokens.issue_tokens(state, rec["device"], client_id, refresh_token=token)
    rec["revoked"] = True  # rotated out: only the new refresh token works from now on
    return tokens.issue_tokens(state, rec["device"], client_id)


def token(state, req):
    headers = NO_STORE + [("x-amzn-RequestId", str(uuid.uuid4()))]
    try:
        form = _form(req)
        grant = _required(form, "grant_type")
        client_id, secret = _client_credentials(req, form)
        if not client_id:
            raise LwaError(400, "invalid_request", "client_id is missing")
        client = state.clients.get(client_id)
        if client is None:
            raise LwaError(401, "invalid_client", "unknown client_id")
        if secret is not None and not hmac.compare_digest(
                secret, registry.client_secret(state, client_id)):
            raise LwaError(401, "invalid_client", "client authentication failed")
        if grant in registry.GRANTS and grant not in client.get("grant_types", registry.GRANTS):
            raise LwaError(400, "unauthorized_client",
                           "this client is not allowed the %s grant" % grant)
        if grant == "authorization_code":
            return json_reply(200, _authorization_code(state, form, client_id, secret), headers)
        if grant != "refresh_token":
            raise LwaError(400, "unsupported_grant_type",
                           "grant_type must be authorization_code or refresh_token")
        if secret is None:
            raise LwaError(401, "invalid_client", "client_secret is missing")
        return json_reply(200, _refresh(state, form, client_id), headers)
    except LwaError as e:
        if e.error in ("invalid_request", "unsupported_grant_type"):
            note(req, "invalid_request", e.description)
        if e.status == 401:
            headers.append(("WWW-Authenticate", 'Basic realm="api.amazon.com"'))
        return json_reply(e.status, {"error": e.error, "error_description": e.description},
                          headers)
