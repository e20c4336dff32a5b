"""HTTPS with the emulator's own CA, HTTP/1.1 on the wire, connection counts
per host, and state that survives a restart."""

import http.client
import json
import socket
import ssl
import time
from pathlib import Path

import pytest
from cryptography import x509
from emulator_support import (
    DAY,
    Device,
    Host,
    new_device,
    running_emulator,
    send_raw,
    start_emulator,
)

from tools.emulator.listener import Listener
from tools.emulator.store import SAVE_DELAY

emu = pytest.fixture(running_emulator, name="emu")


def handshake(port, ctx, host="localhost"):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            return tls.getpeercert()


def test_generated_ca_verifies_the_server(emu):
    ctx = ssl.create_default_context(cafile=emu.ca_pem)
    cert = handshake(emu.listeners["drs"].port, ctx)
    assert cert["subjectAltName"] == (("DNS", "localhost"),)


def test_clients_without_the_ca_refuse_the_server(emu):
    ctx = ssl.create_default_context()  # the system's roots only
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(emu.listeners["drs"].port, ctx)
    assert emu.control.connections()["drs"]["tls_failures"] == 1


def test_connecting_by_ip_is_a_host_name_mismatch(emu):
    ctx = ssl.create_default_context(cafile=emu.ca_pem)
    with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch|hostname"):
        handshake(emu.listeners["lwa"].port, ctx, host="127.0.0.1")


def test_ca_comes_as_pem_and_der_of_the_same_certificate(emu):
    pem = x509.load_pem_x509_certificate(Path(emu.ca_pem).read_bytes())
    der = x509.load_der_x509_certificate(Path(emu.ca_der).read_bytes())
    assert pem == der
    assert pem.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_plain_http_is_an_option(tmp_path):
    with start_emulator(tmp_path, tls=False) as emu:
        assert emu.drs_url.startswith("http://") and emu.ca_der is None
        device = new_device(emu)
        assert device.replenish().status == 200
        assert not (tmp_path / "ca.pem").exists()


def test_restart_keeps_ca_devices_tokens_orders_and_clock(tmp_path):
    with start_emulator(tmp_path) as emu:
        ca = Path(emu.ca_der).read_bytes()
        device = new_device(emu)
        instance = device.replenish().json()["eventInstanceId"]
        emu.control.advance_clock(2 * DAY)
        creds = device.creds
    with start_emulator(tmp_path, start=0) as emu:
        assert Path(emu.ca_der).read_bytes() == ca
        assert emu.control.clock()["iso"] == "2026-01-03T00:00:00Z"
        device = Device(emu, creds)
        device.login()
        assert device.replenish().json() == {"eventInstanceId": instance,
                                             "detailCode": "ORDER_INPROGRESS"}


def test_state_file_holds_no_usable_token(tmp_path):
    with start_emulator(tmp_path) as emu:
        device = new_device(emu)
    text = (tmp_path / "state.json").read_text()
    assert device.creds["refresh_token"] not in text
    assert device.access_token not in text


def test_state_file_holds_no_client_secret_yet_restarts_keep_it(tmp_path):
    with start_emulator(tmp_path) as emu:
        creds = emu.control.create_device(model="m")
    assert creds["client_secret"] not in (tmp_path / "state.json").read_text()
    with start_emulator(tmp_path) as emu:
        assert emu.control.create_device(model="m")["client_secret"] == creds["client_secret"]
        Device(emu, creds).login()


def test_state_is_written_only_when_it_changed(tmp_path):
    def written():
        emu.state.save()  # what the background writer would do within SAVE_DELAY
        return (tmp_path / "state.json").stat().st_ino  # each write is a new file

    with start_emulator(tmp_path) as emu:
        device = new_device(emu)
        before = written()
        for _ in range(5):  # reads change nothing
            device.drs("GET", "/subscriptionInfo", "DrsSubscriptionInfoInput",
                       "DrsSubscriptionInfoResult")
            emu.control.requests()
        assert written() == before
        device.replenish()
        assert written() != before


def test_a_burst_of_changes_is_written_soon_in_one_go(tmp_path):
    with start_emulator(tmp_path) as emu:
        device = new_device(emu)
        emu.state.save()
        text = (tmp_path / "state.json").read_text()
        for second in range(3):
            device.drs("POST", "/deviceStatus", "DrsDeviceStatusInput", "DrsDeviceStatusResult",
                       body={"mostRecentlyActiveDate": "2026-01-01T00:00:0%dZ" % second})
        time.sleep(SAVE_DELAY * 3)
        after = (tmp_path / "state.json").read_text()
        assert after != text and "2026-01-01T00:00:02Z" in after


def test_one_kept_alive_connection_per_host_for_a_whole_wake(emu):
    device = Device(emu, emu.control.create_device(slots=["a", "b"]))
    device.login()
    for slot in ("a", "b"):
        device.replenish(slot)
    device.drs("GET", "/subscriptionInfo", "DrsSubscriptionInfoInput",
               "DrsSubscriptionInfoResult")
    counts = emu.control.connections()
    assert counts["lwa"]["requests"] == 1 and counts["drs"]["requests"] == 3
    for host in ("lwa", "drs"):
        assert counts[host]["accepted"] == counts[host]["tls_handshakes"] == 1
    emu.control.clear_requests()
    Device(emu, device.creds).login()  # a second device, its own connection
    assert emu.control.connections()["lwa"]["tls_handshakes"] == 1


def test_http_1_0_and_connection_close_end_the_connection(emu):
    raw = socket.create_connection(("127.0.0.1", emu.listeners["drs"].port), timeout=5)
    tls = ssl.create_default_context(cafile=emu.ca_pem).wrap_socket(
        raw, server_hostname="localhost")
    tls.sendall(b"GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data = b""
    while chunk := tls.recv(4096):
        data += chunk
    assert data.startswith(b"HTTP/1.1 404") and b"Connection: close" in data
    tls.close()


@pytest.mark.parametrize("data, status", [
    (b"GET /subscriptionInfo HTTP/1.1\r\n\r\n", b"400"),            # no Host
    (b"GARBAGE\r\n\r\n", b"400"),
    (b"GET /x HTTP/2.0\r\nHost: a\r\n\r\n", b"505"),
    (b"POST /deviceStatus HTTP/1.1\r\nHost: a\r\nContent-Length: 999999\r\n\r\n", b"413"),
    (b"POST /deviceStatus HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
     b"Content-Length: 2\r\n\r\nab", b"400"),
])
def test_malformed_http_is_answered_and_closed(emu, data, status):
    assert send_raw(emu, data).split(b" ")[1] == status


def test_concurrent_clients_are_served(emu):
    devices = [new_device(emu, model="m", serial="SN-%d" % i) for i in range(5)]
    hosts = [Host(emu.drs_url, emu.ca_pem) for _ in devices]
    for h in hosts:  # five connections open at once
        h.conn.connect()
    for d, h in zip(devices, hosts):
        d.drs_host = h
        assert d.replenish().status == 200
    assert emu.control.connections()["drs"]["accepted"] >= 5


def test_http_client_sees_a_clean_response_on_keepalive(emu):
    device = new_device(emu)
    for _ in range(3):
        assert device.replenish().status == 200
    assert isinstance(device.drs_host.conn, http.client.HTTPSConnection)
    assert emu.control.connections()["drs"]["accepted"] == 1


def test_a_handler_that_breaks_answers_500_and_closes(capsys):
    def broken(req):
        raise KeyError("slot")
    listener = Listener("broken", broken).start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=5)
        conn.request("GET", "/anything")
        reply = conn.getresponse()
        assert reply.status == 500 and reply.getheader("Connection") == "close"
        assert json.loads(reply.read()) == {"message": "Internal error"}
    finally:
        listener.stop()
    assert "GET /anything failed: KeyError" in capsys.readouterr().err
