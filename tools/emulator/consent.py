"""The customer's side of linking: GET /ap/oa shows the device and asks the
customer to allow or deny; POST /ap/oa/consent carries the answer back to the
device maker's redirect_uri with `code` and `state`, or with `error`.

An unknown client_id or an unregistered redirect_uri is shown as an error page
and never redirected (RFC 6749 4.1.2.1): the page cannot trust that address.
"""

import html
import json
import re
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit

from tools.emulator import registry, tokens
from tools.emulator.replies import html_reply, redirect

SCOPE = "dash:replenish"
TICKET_LIFETIME = 600
LOOPBACK = ("localhost", "127.0.0.1")
CHALLENGE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


class RedirectError(Exception):
    def __init__(self, error, description):
        Exception.__init__(self, description)
        self.error, self.description = error, description


def error_reply(status, message):
    return html_reply(status, _page("Error", "<p>%s</p>" % html.escape(message)))


def _page(title, body):
    return ("<!doctype html><html><head><meta charset='utf-8'><title>%s</title></head>"
            "<body><h1>%s</h1>%s<p><small>DRS emulator: Login with Amazon consent page"
            "</small></p></body></html>" % (html.escape(title), html.escape(title), body))


def redirect_allowed(uri, allowed):
    """Exact match, or (RFC 8252 7.3) a loopback address on any port."""
    if uri in allowed:
        return True
    u = urlsplit(uri)
    if u.fragment or u.hostname not in LOOPBACK:
        return False
    return any((a.scheme, a.hostname, a.path) == (u.scheme, u.hostname, u.path)
               for a in map(urlsplit, allowed))


def _back(uri, params):
    return redirect(uri + ("&" if "?" in uri else "?") + urlencode(params))


def _as_bool(value, name):
    # drs-api.md: is_test_device arrived as a boolean or as a string
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise RedirectError("invalid_request", "%s must be true or false" % name)


def _scope_data(state, client_id, text):
    try:
        data = json.loads(text or "")
        scope = data[SCOPE]
        model, serial = scope["device_model"], scope["serial"]
    except (ValueError, TypeError, KeyError):
        raise RedirectError("invalid_request", "scope_data must be JSON like "
                            '{"dash:replenish": {"device_model": ..., "serial": ...}}') from None
    for what, value in (("device_model", model), ("serial", serial)):
        try:
            registry.check_ident(what, value)
        except ValueError as e:
            raise RedirectError("invalid_request", str(e)) from None
    if state.models.get(model, {}).get("client_id") != client_id:
        raise RedirectError("invalid_scope", "device_model %s is not a model of this client"
                            % model)
    test = _as_bool(scope.get("is_test_device", False), "is_test_device")
    _as_bool(scope.get("should_include_non_live", False), "should_include_non_live")
    return model, serial, test


def _check(state, q, client_id, redirect_uri):
    if q.get("response_type") != "code":
        raise RedirectError("unsupported_response_type", "response_type must be code")
    if q.get("scope") != SCOPE:
        raise RedirectError("invalid_scope", "scope must be %s" % SCOPE)
    if not q.get("state"):
        raise RedirectError("invalid_request", "state is missing")
    challenge = q.get("code_challenge")
    if challenge and (q.get("code_challenge_method") != "S256" or not CHALLENGE.match(challenge)):
        raise RedirectError("invalid_request", "PKCE needs a 43-128 character code_challenge "
                            "and code_challenge_method=S256")
    model, serial, test = _scope_data(state, client_id, q.get("scope_data"))
    return {"client_id": client_id, "redirect_uri": redirect_uri, "state": q["state"],
            "model": model, "serial": serial, "test_device": test, "challenge": challenge,
            "expires_at": state.now() + TICKET_LIFETIME}


def _form_html(state, ticket, consent):
    slots = "".join(
        "<li><label><input type='checkbox' name='subscribe' value='%s' checked> %s "
        "(ASIN %s)</label></li>" % (html.escape(p["id"]), html.escape(p["id"]),
                                     html.escape(p["asin"]))
        for p in state.models[consent["model"]]["slots"])
    customers = "".join("<option value='%s'>%s</option>" % (html.escape(cid), html.escape(
        c["name"])) for cid, c in state.customers.items())
    return _page("Allow this device to reorder for you?", (
        "<p>Device model <b>%s</b>, serial <b>%s</b>%s</p>"
        "<form method='post' action='/ap/oa/consent'>"
        "<input type='hidden' name='ticket' value='%s'>"
        "<input type='hidden' name='subscribe' value=''>"
        "<p>Products to reorder:</p><ul>%s</ul>"
        "<p>Signed in as <select name='customer_id'>%s<option value=''>a new customer"
        "</option></select></p>"
        "<button name='decision' value='allow'>Allow</button> "
        "<button name='decision' value='deny'>Deny</button></form>") % (
        html.escape(consent["model"]), html.escape(consent["serial"]),
        " (test device)" if consent["test_device"] else "", ticket, slots, customers))


def authorize(state, req):
    """GET /ap/oa"""
    q = dict(parse_qsl(req.query, keep_blank_values=True))
    client = state.clients.get(q.get("client_id", ""))
    if client is None:
        return error_reply(400, "Unknown client_id: this application is not registered.")
    redirect_uri = q.get("redirect_uri", "")
    if not redirect_allowed(redirect_uri, client["redirect_uris"]):
        return error_reply(400, "redirect_uri %r is not registered for this application."
                           % redirect_uri)
    try:
        consent = _check(state, q, q["client_id"], redirect_uri)
    except RedirectError as e:
        params = {"error": e.error, "error_description": e.description}
        if q.get("state"):
            params["state"] = q["state"]
        return _back(redirect_uri, params)
    ticket = secrets.token_urlsafe(16)
    state.consents[ticket] = consent
    state.touch()
    return html_reply(200, _form_html(state, ticket, consent))


def decide(state, req):
    """POST /ap/oa/consent: the customer's Allow or Deny."""
    pairs = parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True)
    form = dict(pairs)
    consent = state.consents.pop(form.get("ticket", ""), None)
    state.touch()
    if consent is None or consent["expires_at"] <= state.now():
        return error_reply(400, "This consent page has expired or was already answered; "
                           "start linking again.")
    back = consent["redirect_uri"]
    if form.get("decision") != "allow":
        return _back(back, {"error": "access_denied", "state": consent["state"],
                            "error_description": "The customer denied the request."})
    customer_id = form.get("customer_id") or registry.create_customer(state)
    if customer_id not in state.customers:
        return error_reply(400, "Unknown customer %r." % customer_id)
    chosen = [v for k, v in pairs if k == "subscribe" and v]
    has_field = any(k == "subscribe" for k, _ in pairs)
    subscribed = {s: s in chosen for s in registry.model_credentials(
        state, consent["model"])["slots"]} if has_field else True
    key = registry.link_device(state, consent["model"], consent["serial"], customer_id,
                               consent["test_device"], subscribed)
    code = tokens.issue_code(state, key, consent["client_id"], back, consent["challenge"])
    return _back(back, {"code": code, "scope": SCOPE, "state": consent["state"]})
