"""The emulator as a witness: what Amazon would refuse or a careful client
would not send is recorded with the rule it broke, the request line and the
answer; strict mode (the default) answers each 400, lenient mode serves it
as before. Refusals the emulator always made, parser rejections and 500s
are recorded too."""

import json

import pytest
from emulator_support import (
    CANCEL_TYPES,
    DEVICE_TYPES,
    JSON,
    REPLENISH_TYPES,
    SLOT_STATUS,
    SLOT_TYPES,
    SUB_TYPES,
    new_device,
    raw_drs,
    send_raw,
    start_emulator,
    status_of_raw,
)

ACTIVE = b'{"mostRecentlyActiveDate": "2026-01-01T00:00:00Z"}'
CT = ("Content-Type", "application/json")


def length(body):
    return ("Content-Length", str(len(body)))


def slot_body(**change):
    return json.dumps(dict(SLOT_STATUS, **change)).encode()


# rule -> (method, path, types, body, headers, version, expected request line)
CASES = {
    "http_1_0": ("POST", "/deviceStatus", DEVICE_TYPES, ACTIVE, [CT, length(ACTIVE)], "HTTP/1.0",
                 "POST /deviceStatus HTTP/1.0"),
    "chunked_body": ("POST", "/deviceStatus", DEVICE_TYPES,
                     b"%x\r\n%s\r\n0\r\n\r\n" % (len(ACTIVE), ACTIVE),
                     [CT, ("Transfer-Encoding", "chunked")], "HTTP/1.1",
                     "POST /deviceStatus HTTP/1.1"),
    "missing_content_length": ("POST", "/replenish/slot1", REPLENISH_TYPES, b"", [], "HTTP/1.1",
                               "POST /replenish/slot1 HTTP/1.1"),
    "missing_content_type": ("POST", "/deviceStatus", DEVICE_TYPES, ACTIVE, [length(ACTIVE)],
                             "HTTP/1.1", "POST /deviceStatus HTTP/1.1"),
    "body_not_allowed": ("GET", "/subscriptionInfo", SUB_TYPES, b"{}", [CT, length(b"{}")],
                         "HTTP/1.1", "GET /subscriptionInfo HTTP/1.1"),
    "date_not_utc": ("POST", "/slotStatus/slot1", SLOT_TYPES, slot_body(lastUseDate="2026-01-01"),
                     [CT, length(slot_body(lastUseDate="2026-01-01"))], "HTTP/1.1",
                     "POST /slotStatus/slot1 HTTP/1.1"),
    "duplicate_json_key": ("POST", "/deviceStatus", DEVICE_TYPES, ACTIVE[:-1] + b", " + ACTIVE[1:],
                           [CT, length(ACTIVE[:-1] + b", " + ACTIVE[1:])], "HTTP/1.1",
                           "POST /deviceStatus HTTP/1.1"),
    "remaining_exceeds_original": (
        "POST", "/slotStatus/slot1", SLOT_TYPES, slot_body(remainingQuantityInUnit=11),
        [CT, length(slot_body(remainingQuantityInUnit=11))], "HTTP/1.1",
        "POST /slotStatus/slot1 HTTP/1.1"),
}


def send_case(device, rule):
    method, path, types, body, headers, version, _ = CASES[rule]
    return raw_drs(device, method, path, types, body, headers, version)


@pytest.fixture(params=[True, False], ids=["strict", "lenient"])
def emu(request, tmp_path):
    emulator = start_emulator(tmp_path, strict=request.param)
    yield emulator
    emulator.stop()


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_deviation_is_recorded_and_refused_only_in_strict_mode(emu, rule):
    device = new_device(emu, test_device=False)
    strict = emu.control.state()["strict"]
    answer = send_case(device, rule)
    assert status_of_raw(answer) == (400 if strict else 200), answer
    if strict:
        body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
        assert "rule %s" % rule in body["message"]
    entry, = emu.control.deviations()
    assert entry["rule"] == rule and entry["request"] == CASES[rule][6]
    assert entry["status"] == (400 if strict else 200) and entry["strict"] is strict
    assert entry["broke"] and entry["detail"] and entry["host"] == "drs"
    assert (entry["reason"] is not None) is strict  # what the 400 said


def test_a_strict_refusal_changes_nothing(emu):
    device = new_device(emu, test_device=False)
    send_case(device, "missing_content_length")  # a replenish
    orders = emu.control.orders()
    strict = emu.control.state()["strict"]
    assert len(orders) == (0 if strict else 1)


def test_a_careful_client_causes_no_deviation(emu):
    device = new_device(emu, test_device=False)
    assert device.replenish().status == 200
    assert device.drs("POST", "/slotStatus/slot1", *SLOT_TYPES, body=SLOT_STATUS).status == 200
    assert device.drs("POST", "/deviceStatus", *DEVICE_TYPES, body=json.loads(ACTIVE)).status == 200
    assert device.drs("GET", "/subscriptionInfo", *SUB_TYPES).status == 200
    assert emu.control.deviations() == []


def test_delete_with_a_body_is_a_deviation(tmp_path):
    with start_emulator(tmp_path) as emu:
        device = new_device(emu, test_device=True)
        answer = raw_drs(device, "DELETE", "/testOrders", CANCEL_TYPES, b"{}", [CT, length(b"{}")])
        assert status_of_raw(answer) == 400
        assert [d["rule"] for d in emu.control.deviations()] == ["body_not_allowed"]


def test_strict_mode_can_be_switched_at_run_time(tmp_path):
    with start_emulator(tmp_path) as emu:
        device = new_device(emu, test_device=False)
        emu.control.set_strict(False)
        assert status_of_raw(send_case(device, "missing_content_type")) == 200
        emu.control.set_strict(True)
        assert status_of_raw(send_case(device, "missing_content_type")) == 400
        assert [d["strict"] for d in emu.control.deviations()] == [False, True]
        emu.control.clear_deviations()
        assert emu.control.deviations() == []


@pytest.mark.parametrize("data, status, rule", [
    (b"GARBAGE\r\n\r\n", 400, "malformed_request"),
    (b"GET /x HTTP/2.0\r\nHost: a\r\n\r\n", 505, "unsupported_version"),
    (b"GET /subscriptionInfo HTTP/1.1\r\n\r\n", 400, "missing_host"),
    (b"POST /deviceStatus HTTP/1.1\r\nHost: a\r\nContent-Length: 999999\r\n\r\n", 413,
     "body_too_large"),
])
def test_parser_rejections_are_recorded_with_their_reason(tmp_path, data, status, rule):
    with start_emulator(tmp_path) as emu:
        assert status_of_raw(send_raw(emu, data)) == status
        entry, = emu.control.deviations()
        assert (entry["rule"], entry["status"]) == (rule, status) and entry["reason"]
        logged, = emu.control.requests(host="drs")
        assert logged["status"] == status and logged["reason"] == entry["reason"]


def test_refusals_the_emulator_always_made_are_recorded(tmp_path):
    with start_emulator(tmp_path) as emu:
        device = new_device(emu, test_device=False)
        device.drs("POST", "/slotStatus/slot1", *SLOT_TYPES, body="{not json", headers=JSON)
        device.drs("POST", "/replenish/slot1", *REPLENISH_TYPES, in_version="9.9",
                   headers={"Content-Length": "0"})
        device.drs_host.call("GET", "/nothing")
        device.lwa.call("POST", "/auth/o2/token", "grant_type=refresh_token",
                        {"Content-Type": "application/x-www-form-urlencoded"})
        rules = [(d["rule"], d["status"]) for d in emu.control.deviations()]
        assert rules == [("invalid_body", 400), ("version_header", 400),
                         ("unknown_resource", 404), ("invalid_request", 400)]
        refused = emu.control.requests(endpoint="slot_status")[-1]
        assert refused["status"] == 400 and "is not valid JSON" in refused["reason"]


def test_a_state_error_is_no_deviation(tmp_path):
    # An expired token or an unsubscribed slot is the world's state, not the client's fault.
    with start_emulator(tmp_path) as emu:
        device = new_device(emu, model="m", serial="S1", test_device=False)
        emu.control.set_subscription("m", "S1", "slot1", False)
        assert device.replenish().status == 400
        device.access_token = "Atza|expired"
        assert device.replenish().status == 400
        assert emu.control.deviations() == []


def test_an_emulator_failure_is_a_500_and_recorded(tmp_path, monkeypatch, capsys):
    from tools.emulator import orders

    def broken(state, order):
        raise KeyError("status")
    monkeypatch.setattr(orders, "order_info", broken)
    with start_emulator(tmp_path) as emu:
        device = new_device(emu, test_device=False)
        instance = device.replenish().json()["eventInstanceId"]
        assert device.order_info(instance).status == 500
        entry, = emu.control.deviations()
        assert entry["rule"] == "internal_error" and entry["status"] == 500
        assert entry["request"].startswith("GET /getOrderInfo/")
        assert emu.control.requests(endpoint=None, host="drs")[-1]["status"] == 500
    assert "failed: KeyError" in capsys.readouterr().err


def test_recorded_request_lines_mask_secrets(tmp_path):
    with start_emulator(tmp_path) as emu:
        send_raw(emu, b"GET /ap/oa?refresh_token=Atzr|abcdefgh HTTP/1.0\r\n\r\n", "lwa")
        entry, = emu.control.deviations(rule="http_1_0")
        assert "Atzr|" not in json.dumps(entry) and "<masked sha256:" in entry["request"]


def test_the_logs_keep_only_the_newest_entries(tmp_path, monkeypatch):
    from tools.emulator import boundedlog
    monkeypatch.setattr(boundedlog, "LIMIT", 3)
    with start_emulator(tmp_path) as emu:
        for _ in range(5):
            send_raw(emu, b"GARBAGE\r\n\r\n")
        assert [d["seq"] for d in emu.control.deviations()] == [3, 4, 5]
        assert [r["seq"] for r in emu.control.requests(host="drs")] == [3, 4, 5]
