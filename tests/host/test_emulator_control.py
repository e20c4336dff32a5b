"""The control API over HTTP, secrets kept out of records and logs, and the
command line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from emulator_support import Host, new_device, running_emulator

from tools.emulator import ControlError, Emulator, fingerprint

ROOT = Path(__file__).resolve().parents[2]


emu = pytest.fixture(running_emulator, name="emu")


def test_control_api_lists_its_operations_and_says_it_is_not_drs(emu):
    reply = Host(emu.control_url, emu.ca_pem).call("GET", "/control")
    assert reply.status == 200
    assert "not part of DRS" in reply.headers["x-emulator-control"]
    body = reply.json()
    assert "not part of DRS" in body["note"]
    assert any(op.startswith("create_device(") for op in body["result"]["POST"])
    assert any(op.startswith("requests(") for op in body["result"]["GET"])


def test_control_over_http_with_json_arguments(emu):
    host = Host(emu.control_url, emu.ca_pem)
    reply = host.call("POST", "/control/create_device", json.dumps(
        {"model": "kettle", "slots": [{"id": "descaler", "asin": "B00DESCALE", "unit": "count"}],
         "test_device": False}), {"Content-Type": "application/json"})
    created = reply.json()["result"]
    assert created["slots"] == ["descaler"] and created["device_model"] == "kettle"
    for key in ("client_id", "client_secret", "refresh_token", "serial", "lwa_url", "drs_url",
                "ca_der"):
        assert created[key]
    assert created["ca_der"] == emu.ca_der and created["drs_url"] == emu.drs_url
    clock = host.call("POST", "/control/advance_clock", json.dumps({"seconds": 60}))
    assert clock.json()["result"]["iso"] == "2026-01-01T00:01:00Z"


@pytest.mark.parametrize("method, path, body, status, words", [
    ("POST", "/control/advance_clock", '{"sekonds": 1}', 400, "unexpected keyword"),
    ("POST", "/control/advance_clock", "[1]", 400, "JSON object"),
    ("POST", "/control/set_customer_problem", '{"customer_id": "nobody"}', 400, "no customer"),
    ("GET", "/control/create_device", None, 404, "GET /control lists them"),
    ("POST", "/control/nothing", "{}", 404, "no operation"),
])
def test_control_errors_are_clear(emu, method, path, body, status, words):
    reply = Host(emu.control_url, emu.ca_pem).call(method, path, body)
    assert reply.status == status and words in reply.json()["error"]


def test_python_control_errors_raise(emu):
    with pytest.raises(ControlError, match="problem must be one of"):
        emu.control.create_device(payment_problem="bankrupt")
    with pytest.raises(ControlError, match="serial must be 1-64"):
        emu.control.create_device(serial="has space")
    emu.control.create_device(model="fridge", slots=["milk", "eggs"])
    with pytest.raises(ControlError, match="already exists with slots milk, eggs"):
        emu.control.create_device(model="fridge", slots=["milk"])
    assert emu.control.create_device(model="fridge")["slots"] == ["milk", "eggs"]
    with pytest.raises(ControlError, match="grant_types must be among"):
        emu.control.create_model("m", ["s"], grant_types=["password"])


def test_recorded_requests_mask_every_secret_but_keep_a_fingerprint(emu):
    device = new_device(emu)
    device.replenish()
    token_req, = emu.control.requests(endpoint="token")
    assert device.creds["refresh_token"] not in json.dumps(token_req)
    assert device.creds["client_secret"] not in json.dumps(token_req)
    assert fingerprint(device.creds["refresh_token"]) in token_req["body"]
    drs_req, = emu.control.requests(endpoint="replenish")
    assert drs_req["headers"]["authorization"] == "Bearer " + fingerprint(device.access_token)
    assert drs_req["host"] == "drs" and drs_req["status"] == 200


def test_state_dump_hides_client_secrets_and_counts_live_tokens(emu):
    device = new_device(emu)
    state = json.dumps(emu.control.state())
    assert device.creds["client_secret"] not in state
    assert device.access_token not in state
    dev = emu.control.state()["devices"]["drs-emulator-model/" + device.creds["serial"]]
    assert dev["valid_refresh_tokens"] == 1 and dev["valid_access_tokens"] == 1


def test_log_lines_name_requests_but_no_secret(tmp_path):
    lines = []
    with Emulator(state_dir=tmp_path, start=0, log=lines.append) as emu:
        device = new_device(emu)
        device.replenish()
    text = "\n".join(lines)
    assert "drs POST /replenish/slot1 -> 200" in text
    for secret in (device.creds["refresh_token"], device.creds["client_secret"],
                   device.access_token):
        assert secret not in text


def test_help_documents_every_option():
    out = subprocess.run([sys.executable, "-m", "tools.emulator", "--help"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    for option in ("--state-dir", "--plain-http", "--lwa-port", "--drs-port", "--control-port",
                   "--clock", "--start", "--idle-timeout", "--lenient", "--max-connections",
                   "--request-timeout", "--quiet"):
        assert option in out


def test_command_prints_one_json_line_then_serves(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.emulator", "--state-dir", str(tmp_path), "--lwa-port", "0",
         "--drs-port", "0", "--control-port", "0", "--clock", "virtual",
         "--start", "2026-02-01T00:00:00Z"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        info = json.loads(proc.stdout.readline())
        assert info["ca_der"] == str(tmp_path / "ca.der") and Path(info["ca_pem"]).exists()
        from tools.emulator import ControlClient
        control = ControlClient(info["control_url"], info["ca_pem"])
        assert control.clock()["iso"] == "2026-02-01T00:00:00Z"
        assert control.create_device()["drs_url"] == info["drs_url"]
    finally:
        proc.terminate()
        proc.wait(10)
    assert (tmp_path / "state.json").exists()


def test_an_unreadable_state_file_is_kept_and_named(tmp_path):
    (tmp_path / "state.json").write_text('{"format": 1, "clock": ')
    proc = subprocess.run([sys.executable, "-m", "tools.emulator", "--state-dir", str(tmp_path),
                           "--lwa-port", "0", "--drs-port", "0", "--control-port", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "state.json is not a state this emulator can read" in proc.stderr
    assert (tmp_path / "state.json").read_text() == '{"format": 1, "clock": '


def test_a_fleet_is_created_in_one_call(emu):
    fleet = emu.control.create_devices(3)
    assert len({d["serial"] for d in fleet}) == 3
    assert {d["device_model"] for d in fleet} == {"drs-emulator-fleet"}
    for count in (0, 10001, 2.5, True):
        with pytest.raises(ControlError, match="count must be a whole number"):
            emu.control.create_devices(count)
