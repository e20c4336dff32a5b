"""The device's service code against the emulator over real HTTPS, under
CPython and under the MicroPython unix port with an ESP32-sized heap: the
whole life of a link, TLS that refuses what it must, one connection per host."""

import json
import os
import socket
import subprocess
import threading
import time

import device_wake
import pytest
from conftest import DEVICE_HEAP, ROOT, micropython_command

from tools.emulator import Emulator

INTERPRETERS = ["cpython", "micropython"]


def no_deviations(emulator):
    """The firmware is a careful client: the strict emulator saw nothing to refuse."""
    found = emulator.control.deviations()
    assert found == [], "the firmware deviated:\n" + "\n".join(
        "%s: %s (%s -> %s)" % (d["rule"], d["detail"], d["request"], d["status"]) for d in found)


@pytest.fixture
def emu(tmp_path):
    with Emulator(state_dir=tmp_path / "emulator", strict=True) as emulator:
        yield emulator
        no_deviations(emulator)


@pytest.fixture
def impatient_emu(tmp_path):
    with Emulator(state_dir=tmp_path / "emulator", idle_timeout=0.3, strict=True) as emulator:
        yield emulator
        no_deviations(emulator)


def config(emu, run="sequence"):
    device = emu.control.create_device(slots=["slot1"])
    return {"run": run, "now": emu.control.clock()["now"], "ca_files": [emu.ca_der],
            "client_id": device["client_id"], "client_secret": device["client_secret"],
            "refresh_token": device["refresh_token"], "lwa_url": emu.lwa_url,
            "drs_url": emu.drs_url, "slot": "slot1"}


def wake(cfg, interpreter, tmp_path):
    if interpreter == "cpython":
        return device_wake.RUNS[cfg["run"]](cfg)
    path = tmp_path / "wake.json"
    path.write_text(json.dumps(cfg))
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(["lib", ".", ".frozen"]))
    try:
        proc = subprocess.run(
            [micropython_command(), "-X", "heapsize=" + DEVICE_HEAP,
             str(ROOT / "tests" / "host" / "device_wake.py"), str(path)],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    finally:
        path.unlink()  # it holds the device's secrets
    for line in proc.stdout.splitlines():
        if line.startswith(device_wake.MARK):
            return json.loads(line[len(device_wake.MARK):])
    raise AssertionError("no result from MicroPython (exit %d):\n%s%s"
                         % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_link_to_unlink_over_one_wake(emu, tmp_path, interpreter):
    cfg = config(emu)
    emu.reset_connection_stats()
    result = wake(cfg, interpreter, tmp_path)
    steps = dict((name, value) for name, value in result["steps"])
    assert steps["refresh"] is True
    assert steps["subscription_info"]["slot1"]["subscribed"] is True
    assert steps["subscription_info"]["slot1"]["products"][0]["asin"]
    assert steps["slot_status"] is True and steps["device_status"] is True
    assert steps["replenish"] == "TEST_ORDER_PLACED"  # create_device makes a test device
    assert steps["replenish_again"] == "ORDER_INPROGRESS"
    assert steps["order_info"] == [["slot1", True]]
    assert steps["cancel_test_order"] == {"slot1": "NO_ORDER_IN_PROGRESS"}
    assert steps["deregister"] is True
    assert steps["after_deregister"] == "unlinked" and steps["linked"] is False
    assert any("link it again" in line for line in result["logs"])
    # One TLS connection per host for the whole wake, seen from both ends.
    stats = emu.connection_stats()
    assert stats["lwa"]["tls_handshakes"] == 1 and stats["drs"]["tls_handshakes"] == 1
    assert stats["lwa"]["requests"] == 1  # the refresh only: deregistered is known without asking
    assert stats["drs"]["requests"] == 8
    assert result["counts"] == [2, 2, 9]
    text = json.dumps(result)
    for secret in (cfg["refresh_token"], cfg["client_secret"], "Atza|"):
        assert secret not in text


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_a_server_without_the_trusted_ca_is_refused(emu, tmp_path, interpreter):
    cfg = config(emu, run="refused")
    cfg["ca_files"] = [str(ROOT / "certs" / "amazon-root-ca-1.der")]  # real, but not this CA
    result = wake(cfg, interpreter, tmp_path)
    assert (result["error"], result["step"]) == ("TlsError", "handshake")
    assert emu.connection_stats()["lwa"]["requests"] == 0


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_a_certificate_for_another_name_is_refused(emu, tmp_path, interpreter):
    cfg = config(emu, run="refused")
    cfg["lwa_url"] = cfg["lwa_url"].replace("localhost", "127.0.0.1")  # the cert names localhost
    result = wake(cfg, interpreter, tmp_path)
    assert (result["error"], result["step"]) == ("TlsError", "handshake")
    assert emu.connection_stats()["lwa"]["requests"] == 0


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_the_right_ca_and_name_are_accepted(emu, tmp_path, interpreter):
    # The control for the two refusals above: same call, trusted CA, right name.
    result = wake(config(emu, run="refused"), interpreter, tmp_path)
    assert result["error"] is None
    # The run's probe (device_wake.refused: GET /) reached the host: a 404, the
    # harness's own request, not the firmware's. Anything else would be one.
    probe, = emu.control.deviations()
    assert (probe["request"], probe["status"]) == ("GET / HTTP/1.1", 404)
    emu.control.clear_deviations()


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_connection_the_server_closed_while_idle_is_reopened(impatient_emu, tmp_path,
                                                            interpreter):
    cfg = config(impatient_emu, run="idle")
    cfg["idle_s"] = 1.0
    impatient_emu.reset_connection_stats()
    result = wake(cfg, interpreter, tmp_path)
    assert result["refreshed"] is True
    assert result["counts"] == [2, 2, 3]  # the first try found the connection closed
    stats = impatient_emu.connection_stats()["lwa"]
    assert stats["tls_handshakes"] == 2 and stats["requests"] == 2


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_each_injected_fault_ends_in_an_error_the_device_can_act_on(emu, tmp_path, interpreter):
    # One fault per call, in the order the emulator's queue hands them out.
    for kind, retry_after in (("reset", None), ("429", 120), ("truncate", None),
                              ("malformed_json", None), ("oversized", None), ("503", None)):
        emu.control.inject_fault("subscription_info", kind, retry_after=retry_after)
    cfg = config(emu, run="faults")
    cfg["calls"] = 7
    result = wake(cfg, interpreter, tmp_path)
    assert result["seen"] == [
        ["ConnectionLost", "read"],  # no answer: nothing to parse, not resent
        ["RetryLater", 120],  # Retry-After obeyed
        ["ConnectionLost", "read"],  # the body ended before its Content-Length
        ["BadResponse", None],
        ["TooLarge", "read"],  # 256 KB refused at the 8 KB cap
        ["RetryLater", 300],  # no Retry-After: the device's default
        ["ok"],  # and the device is still fine afterwards
    ]
    assert emu.control.pending_faults() == []
    assert len(emu.control.requests(endpoint="subscription_info")) == 7  # none sent twice


class StallingServer:
    """Accepts TCP and reads the ClientHello, then never finishes the
    handshake: silent, or trickling a ServerHello record a byte at a time
    (each byte inside a socket timeout, never the whole)."""

    def __init__(self, trickle):
        self.trickle = trickle
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        conn, _ = self.listener.accept()
        with conn:
            conn.recv(4096)  # the ClientHello
            record = b"\x16\x03\x03\x40\x00" + b"\x02" * 0x4000
            for byte in record:
                if self.stop.wait(0.3):
                    return
                if self.trickle:
                    conn.sendall(bytes([byte]))

    def close(self):
        self.stop.set()
        self.listener.close()


@pytest.mark.parametrize("interpreter", INTERPRETERS)
@pytest.mark.parametrize("trickle", [False, True], ids=["silent", "trickling"])
def test_a_server_that_stalls_the_handshake_costs_the_deadline_and_no_more(
        tmp_path, interpreter, trickle):
    server = StallingServer(trickle)
    url = "https://localhost:%d" % server.port
    cfg = {"run": "stall", "now": int(time.time()), "io_timeout_s": 2,
           "ca_files": [str(ROOT / "certs" / "amazon-root-ca-1.der")], "client_id": "id",
           "client_secret": "secret", "lwa_url": url, "drs_url": url}
    try:
        result = wake(cfg, interpreter, tmp_path)
    finally:
        server.close()
    assert result["error"] == ["Timeout", "handshake"]
    assert 1900 <= result["waited_ms"] <= 3500  # the 2 s deadline, for the whole handshake
