"""Login with Amazon as the emulator serves it: the token endpoint's grants
and errors, and linking through the consent page to a working refresh token."""

import base64
import hashlib
import json
from urllib.parse import urlencode

import pytest
from emulator_support import (
    DAY,
    FORM,
    HOUR,
    Device,
    Host,
    new_device,
    redirect_params,
    running_emulator,
)

REDIRECT = "https://localhost/linked"


emu = pytest.fixture(running_emulator, name="emu")


def token_call(emu, fields, headers=FORM):
    host = Host(emu.lwa_url, emu.ca_pem)
    try:
        return host.call("POST", "/auth/o2/token", urlencode(fields), headers)
    finally:
        host.close()


def creds_fields(creds, **extra):
    fields = {"grant_type": "refresh_token", "refresh_token": creds["refresh_token"],
              "client_id": creds["client_id"], "client_secret": creds["client_secret"]}
    fields.update(extra)
    return {k: v for k, v in fields.items() if v is not None}


# --- token endpoint: refresh_token grant

def test_refresh_grant_returns_bearer_tokens_of_the_documented_shape(emu):
    creds = emu.control.create_device()
    reply = token_call(emu, creds_fields(creds))
    assert reply.status == 200
    body = reply.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["access_token"].startswith("Atza|") and len(body["access_token"]) <= 2048
    assert body["refresh_token"] == creds["refresh_token"]
    assert reply.headers["cache-control"] == "no-store"


def test_client_credentials_may_travel_as_http_basic(emu):
    creds = emu.control.create_device()
    basic = base64.b64encode(("%s:%s" % (creds["client_id"], creds["client_secret"])).encode())
    fields = {"grant_type": "refresh_token", "refresh_token": creds["refresh_token"]}
    reply = token_call(emu, fields, dict(FORM, Authorization="Basic " + basic.decode()))
    assert reply.status == 200
    wrong = base64.b64encode(("%s:nope" % creds["client_id"]).encode()).decode()
    reply = token_call(emu, fields, dict(FORM, Authorization="Basic " + wrong))
    assert reply.status == 401 and reply.json()["error"] == "invalid_client"


def test_rotating_client_hands_out_a_new_refresh_token(emu):
    creds = emu.control.create_device(model="rotating", rotate_refresh_tokens=True)
    body = token_call(emu, creds_fields(creds)).json()
    assert body["refresh_token"].startswith("Atzr|")
    assert body["refresh_token"] != creds["refresh_token"]
    again = token_call(emu, creds_fields(creds, refresh_token=body["refresh_token"]))
    assert again.status == 200


def test_a_rotated_out_refresh_token_is_revoked(emu):
    creds = emu.control.create_device(model="rotating", rotate_refresh_tokens=True)
    newer = token_call(emu, creds_fields(creds)).json()["refresh_token"]
    old = token_call(emu, creds_fields(creds))
    assert old.status == 400 and old.json()["error"] == "invalid_grant"
    newest = token_call(emu, creds_fields(creds, refresh_token=newer)).json()["refresh_token"]
    assert token_call(emu, creds_fields(creds, refresh_token=newer)).status == 400
    assert token_call(emu, creds_fields(creds, refresh_token=newest)).status == 200
    dev = emu.control.state()["devices"]["rotating/" + creds["serial"]]
    assert dev["valid_refresh_tokens"] == 1


def test_a_client_that_keeps_its_token_keeps_it_valid(emu):
    creds = emu.control.create_device(model="steady")
    for _ in range(3):
        body = token_call(emu, creds_fields(creds)).json()
        assert body["refresh_token"] == creds["refresh_token"]


@pytest.mark.parametrize("change, status, error", [
    ({"refresh_token": "Atzr|not-a-token"}, 400, "invalid_grant"),
    ({"client_secret": "wrong"}, 401, "invalid_client"),
    ({"client_id": "amzn1.application-oa2-client.unknown"}, 401, "invalid_client"),
    ({"client_secret": None}, 401, "invalid_client"),
    ({"client_id": None}, 400, "invalid_request"),
    ({"refresh_token": None}, 400, "invalid_request"),
    ({"grant_type": None}, 400, "invalid_request"),
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
])
def test_token_errors_follow_the_table(emu, change, status, error):
    creds = emu.control.create_device()
    fields = creds_fields(creds)
    fields.update(change)
    reply = token_call(emu, {k: v for k, v in fields.items() if v is not None})
    assert reply.status == status
    assert reply.json()["error"] == error and reply.json()["error_description"]


def test_a_grant_the_client_is_not_allowed_is_unauthorized_client(emu):
    emu.control.create_model("code-only", ["s"], grant_types=["authorization_code"])
    creds = emu.control.create_device(model="code-only")
    reply = token_call(emu, creds_fields(creds))
    assert reply.status == 400 and reply.json()["error"] == "unauthorized_client"
    assert "refresh_token grant" in reply.json()["error_description"]


def test_token_request_must_be_form_encoded(emu):
    creds = emu.control.create_device()
    host = Host(emu.lwa_url, emu.ca_pem)
    reply = host.call("POST", "/auth/o2/token", json.dumps(creds_fields(creds)),
                      {"Content-Type": "application/json"})
    assert reply.status == 400 and reply.json()["error"] == "invalid_request"
    assert "form-encoded" in reply.json()["error_description"]


def test_repeated_parameter_is_a_malformed_request(emu):
    creds = emu.control.create_device()
    body = urlencode(creds_fields(creds)) + "&grant_type=refresh_token"
    reply = Host(emu.lwa_url, emu.ca_pem).call("POST", "/auth/o2/token", body, FORM)
    assert reply.status == 400 and "twice" in reply.json()["error_description"]


def test_server_errors_are_5xx_with_server_error(emu):
    creds = emu.control.create_device()
    emu.control.inject_fault("token", "503", retry_after=5)
    reply = token_call(emu, creds_fields(creds))
    assert reply.status == 503 and reply.json()["error"] == "server_error"
    assert reply.headers["retry-after"] == "5"
    assert token_call(emu, creds_fields(creds)).status == 200


def test_access_token_lives_one_hour_of_emulated_time(emu):
    device = new_device(emu)
    report = {"mostRecentlyActiveDate": "2026-01-01T00:00:00Z"}
    call = lambda: device.drs("POST", "/deviceStatus", "DrsDeviceStatusInput",
                              "DrsDeviceStatusResult", body=report)
    assert call().status == 200
    emu.control.advance_clock(HOUR - 1)
    assert call().status == 200
    emu.control.advance_clock(1)
    expired = call()
    assert expired.status == 400 and expired.json() == {"message": "Invalid token"}
    device.login()
    assert call().status == 200


# --- linking through the consent page

def scope_data(model, serial, test=True):
    return json.dumps({"dash:replenish": {"device_model": model, "serial": serial,
                                          "is_test_device": test}})


def consent_query(model_creds, serial="SN-1", test=True, **change):
    q = {"client_id": model_creds["client_id"], "scope": "dash:replenish",
         "response_type": "code", "redirect_uri": REDIRECT, "state": "st-123",
         "scope_data": scope_data(model_creds["device_model"], serial, test)}
    q.update(change)
    return "/ap/oa?" + urlencode({k: v for k, v in q.items() if v is not None})


def ticket_of(page):
    text = page.body.decode()
    start = text.index("name='ticket' value='") + len("name='ticket' value='")
    return text[start:text.index("'", start)]


def answer(lwa, page, decision, subscribe=None):
    """`subscribe`: the slots left ticked; None submits no choice (all subscribed)."""
    fields = [("ticket", ticket_of(page)), ("decision", decision)]
    if subscribe is not None:  # the form's empty marker: "the customer chose"
        fields += [("subscribe", "")] + [("subscribe", s) for s in subscribe]
    return lwa.call("POST", "/ap/oa/consent", urlencode(fields), FORM)


def exchange(emu, model_creds, code, **change):
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
              "client_id": model_creds["client_id"],
              "client_secret": model_creds["client_secret"]}
    fields.update(change)
    return token_call(emu, {k: v for k, v in fields.items() if v is not None})


@pytest.fixture
def model(emu):
    return emu.control.create_model("coffee-maker", ["beans", "filters"])


def test_allow_links_the_device_and_the_code_buys_a_working_refresh_token(emu, model):
    lwa = Host(emu.lwa_url, emu.ca_pem)
    page = lwa.call("GET", consent_query(model, serial="SN-42"))
    assert page.status == 200
    assert b"coffee-maker" in page.body and b"SN-42" in page.body
    where, params = redirect_params(answer(lwa, page, "allow", ["beans"]))
    assert where == REDIRECT
    assert params["state"] == "st-123" and params["scope"] == "dash:replenish"
    reply = exchange(emu, model, params["code"])
    assert reply.status == 200
    tokens = reply.json()
    assert tokens["refresh_token"].startswith("Atzr|") and tokens["expires_in"] == 3600
    device = Device(emu, dict(model, refresh_token=tokens["refresh_token"]))
    device.login()
    subs = device.drs("GET", "/subscriptionInfo", "DrsSubscriptionInfoInput",
                      "DrsSubscriptionInfoResult")
    assert subs.json() == {"slotsSubscriptionStatus": {"beans": True, "filters": False}}
    assert device.replenish("beans").json()["detailCode"] == "TEST_ORDER_PLACED"
    kinds = [n["notificationInfo"]["notificationType"] for n in emu.control.notifications()]
    assert kinds == ["DeviceRegisteredNotification", "OrderPlacedNotification"]


def test_deny_redirects_with_access_denied(emu, model):
    lwa = Host(emu.lwa_url, emu.ca_pem)
    _, params = redirect_params(answer(lwa, lwa.call("GET", consent_query(model)), "deny"))
    assert params["error"] == "access_denied" and params["state"] == "st-123"
    assert "code" not in params
    assert emu.control.state()["devices"] == {}


def link_code(emu, model, **query):
    lwa = Host(emu.lwa_url, emu.ca_pem)
    page = lwa.call("GET", consent_query(model, **query))
    return redirect_params(answer(lwa, page, "allow"))[1]["code"]


def test_authorization_code_works_once(emu, model):
    code = link_code(emu, model)
    assert exchange(emu, model, code).status == 200
    again = exchange(emu, model, code)
    assert again.status == 400 and again.json()["error"] == "invalid_grant"
    assert "already used" in again.json()["error_description"]


def test_authorization_code_expires_after_five_minutes(emu, model):
    code = link_code(emu, model)
    emu.control.advance_clock(5 * 60)
    late = exchange(emu, model, code)
    assert late.status == 400 and "expired" in late.json()["error_description"]


def test_code_exchange_checks_redirect_uri_and_client(emu, model):
    code = link_code(emu, model)
    wrong_uri = exchange(emu, model, code, redirect_uri="https://localhost/other")
    assert wrong_uri.status == 400 and wrong_uri.json()["error"] == "invalid_grant"
    other = emu.control.create_model("other-model", ["s"])
    stolen = exchange(emu, other, code)
    assert stolen.status == 400 and stolen.json()["error"] == "invalid_grant"
    assert exchange(emu, model, code).status == 200


def test_pkce_code_needs_the_matching_verifier_instead_of_a_secret(emu, model):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    code = link_code(emu, model, code_challenge=challenge.decode().rstrip("="),
                     code_challenge_method="S256")
    bad = exchange(emu, model, code, client_secret=None, code_verifier="w" * 50)
    assert bad.status == 400 and bad.json()["error"] == "invalid_grant"
    good = exchange(emu, model, code, client_secret=None, code_verifier=verifier)
    assert good.status == 200


def test_is_test_device_may_arrive_as_a_string(emu, model):
    code = link_code(emu, model, serial="SN-STR", scope_data=json.dumps({"dash:replenish": {
        "device_model": "coffee-maker", "serial": "SN-STR", "is_test_device": "false"}}))
    tokens = exchange(emu, model, code).json()
    device = Device(emu, dict(model, refresh_token=tokens["refresh_token"]))
    device.login()
    assert device.replenish("beans").json()["detailCode"] == "STANDARD_ORDER_PLACED"


@pytest.mark.parametrize("change, error", [
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"scope": "profile"}, "invalid_scope"),
    ({"scope_data": "not json"}, "invalid_request"),
    ({"scope_data": scope_data("coffee-maker", "bad serial!")}, "invalid_request"),
    ({"scope_data": scope_data("coffee-maker", "x" * 65)}, "invalid_request"),
    ({"scope_data": scope_data("coffee-maker", "SN", test="yes")}, "invalid_request"),
    ({"scope_data": scope_data("no-such-model", "SN")}, "invalid_scope"),
    ({"state": None}, "invalid_request"),
    ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
])
def test_consent_request_errors_go_back_to_the_redirect_uri(emu, model, change, error):
    reply = Host(emu.lwa_url, emu.ca_pem).call("GET", consent_query(model, **change))
    where, params = redirect_params(reply)
    assert where == REDIRECT
    assert params["error"] == error and params["error_description"]


@pytest.mark.parametrize("change, text", [
    ({"client_id": "amzn1.application-oa2-client.unknown"}, b"Unknown client_id"),
    ({"redirect_uri": "https://evil.example/steal"}, b"is not registered"),
])
def test_untrusted_client_or_redirect_uri_is_an_error_page_not_a_redirect(emu, model, change,
                                                                          text):
    reply = Host(emu.lwa_url, emu.ca_pem).call("GET", consent_query(model, **change))
    assert reply.status == 400 and "location" not in reply.headers
    assert text in reply.body


def test_loopback_redirect_may_use_any_port(emu):
    model = emu.control.create_model("loop", ["s"], redirect_uris=["http://127.0.0.1/cb"])
    reply = Host(emu.lwa_url, emu.ca_pem).call("GET", consent_query(
        model, redirect_uri="http://127.0.0.1:53124/cb"))
    assert reply.status == 200


def test_a_consent_page_is_answered_once(emu, model):
    lwa = Host(emu.lwa_url, emu.ca_pem)
    page = lwa.call("GET", consent_query(model))
    assert answer(lwa, page, "allow").status == 302
    again = answer(lwa, page, "allow")
    assert again.status == 400 and b"expired or was already answered" in again.body


def test_deregistration_then_refresh_is_invalid_grant(emu):
    device = new_device(emu)
    gone = device.drs("DELETE", "/registration", "DrsDeregisterInput", "DrsDeregisterResult",
                      in_version="2.0")
    assert gone.status == 200
    reply = device.refresh()
    assert reply.status == 400 and reply.json()["error"] == "invalid_grant"


def test_customer_deregistering_from_their_account_is_final_until_relinked(emu, model):
    code = link_code(emu, model, serial="SN-7")
    tokens = exchange(emu, model, code).json()
    emu.control.deregister_device("coffee-maker", "SN-7")
    device = Device(emu, dict(model, refresh_token=tokens["refresh_token"]))
    assert device.refresh().json()["error"] == "invalid_grant"
    emu.control.advance_clock(DAY)
    assert device.refresh().json()["error"] == "invalid_grant"
    relinked = exchange(emu, model, link_code(emu, model, serial="SN-7")).json()
    assert device.refresh(relinked["refresh_token"]).status == 200
