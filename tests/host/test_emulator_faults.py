"""Each injected fault as a real socket client sees it, and which faults let
the service act before the answer was damaged."""

import http.client
import json
import socket
import ssl
from urllib.parse import urlencode

import pytest
from emulator_support import (
    FORM,
    Host,
    new_device,
    running_emulator,
    version_headers,
)

from tools.emulator import ControlError

emu = pytest.fixture(running_emulator, name="emu")


@pytest.fixture
def device(emu):
    d = new_device(emu, test_device=False)
    yield d
    d.close()


def detail(device):
    return device.replenish().json()["detailCode"]


def test_reset_drops_the_connection_and_places_nothing(emu, device):
    emu.control.inject_fault("replenish", "reset")
    with pytest.raises(ConnectionResetError):
        device.replenish()
    device.drs_host.close()
    assert detail(device) == "STANDARD_ORDER_PLACED"
    assert emu.control.requests(endpoint="replenish")[0]["fault"] == "reset"


@pytest.mark.parametrize("kind, retry_after, errortype", [
    ("500", None, "InternalFailure"),
    ("503", 7, "ServiceUnavailableException"),
    ("429", 30, "ThrottlingException"),
])
def test_error_status_faults_answer_before_the_service_acts(emu, device, kind, retry_after,
                                                             errortype):
    emu.control.inject_fault("replenish", kind, retry_after=retry_after if kind == "503" else None)
    reply = device.replenish()
    assert reply.status == int(kind) and "message" in reply.json()
    assert reply.headers["x-amzn-errortype"].startswith(errortype)
    assert reply.headers.get("retry-after") == (None if retry_after is None else str(retry_after))
    assert detail(device) == "STANDARD_ORDER_PLACED"  # nothing was ordered by the failed call


def test_malformed_json_is_a_200_the_client_cannot_parse(emu, device):
    emu.control.inject_fault("replenish", "malformed_json")
    reply = device.replenish()
    assert reply.status == 200
    with pytest.raises(ValueError):
        json.loads(reply.body)
    assert detail(device) == "ORDER_INPROGRESS"  # the order was placed all the same


def test_oversized_body_is_valid_json_of_the_requested_size(emu, device):
    emu.control.inject_fault("subscription_info", "oversized", size=100000)
    reply = device.drs("GET", "/subscriptionInfo", "DrsSubscriptionInfoInput",
                       "DrsSubscriptionInfoResult")
    assert len(reply.body) >= 100000
    assert reply.json()["slotsSubscriptionStatus"] == {"slot1": True}


def test_truncated_body_ends_before_its_content_length(emu, device):
    emu.control.inject_fault("replenish", "truncate")
    with pytest.raises(http.client.IncompleteRead):
        device.replenish()
    device.drs_host.close()
    assert detail(device) == "ORDER_INPROGRESS"


def raw_drs_request(emu, device, timeout):
    raw = socket.create_connection(("127.0.0.1", emu.listeners["drs"].port), timeout=timeout)
    tls = ssl.create_default_context(cafile=emu.ca_pem).wrap_socket(
        raw, server_hostname="localhost")
    head = ["POST /replenish/slot1 HTTP/1.1", "Host: localhost", "Content-Length: 0",
            "Authorization: Bearer " + device.access_token]
    head += ["%s: %s" % kv for kv in version_headers("DrsReplenishInput",
                                                     "DrsReplenishResult").items()]
    tls.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    return tls


def test_slow_drip_sends_one_byte_then_stalls(emu, device):
    emu.control.inject_fault("replenish", "drip", interval=0.5)
    tls = raw_drs_request(emu, device, timeout=0.2)
    assert tls.recv(100) == b"H"  # the first byte of "HTTP/1.1 200 OK"
    with pytest.raises(socket.timeout):
        tls.recv(100)
    tls.close()


def test_delay_holds_the_whole_answer(emu, device):
    emu.control.inject_fault("replenish", "delay", seconds=0.5)
    tls = raw_drs_request(emu, device, timeout=0.2)
    with pytest.raises(socket.timeout):
        tls.recv(100)
    tls.settimeout(5)
    assert tls.recv(100).startswith(b"HTTP/1.1 200")
    tls.close()


def test_a_fault_lasts_for_the_next_n_calls_then_clears(emu, device):
    emu.control.inject_fault("replenish", "500", count=2)
    assert [device.replenish().status for _ in range(3)] == [500, 500, 200]
    assert emu.control.pending_faults() == []


def test_any_endpoint_fault_hits_lwa_too_with_its_error_shape(emu, device):
    emu.control.inject_fault("any", "500")
    reply = device.refresh()
    assert reply.status == 500 and reply.json()["error"] == "server_error"
    assert device.refresh().status == 200


def test_faults_on_one_endpoint_leave_the_others_alone(emu, device):
    emu.control.inject_fault("token", "503")
    assert device.replenish().status == 200
    assert emu.control.pending_faults()[0]["endpoint"] == "token"
    emu.control.clear_faults()
    assert device.refresh().status == 200


def test_consent_page_can_fail_too(emu):
    creds = emu.control.create_model("m", ["s"])
    emu.control.inject_fault("consent", "503")
    query = urlencode({"client_id": creds["client_id"]})
    assert Host(emu.lwa_url, emu.ca_pem).call("GET", "/ap/oa?" + query).status == 503


@pytest.mark.parametrize("args, words", [
    (("replenishment", "500"), "unknown endpoint"),
    (("replenish", "404"), "unknown fault kind"),
])
def test_bad_fault_requests_are_refused(emu, args, words):
    with pytest.raises(ControlError, match=words):
        emu.control.inject_fault(*args)


def test_token_truncation_is_seen_by_the_client(emu, device):
    emu.control.inject_fault("token", "truncate")
    host = Host(emu.lwa_url, emu.ca_pem)
    with pytest.raises(http.client.IncompleteRead):
        host.call("POST", "/auth/o2/token", urlencode({"grant_type": "refresh_token"}), FORM)
