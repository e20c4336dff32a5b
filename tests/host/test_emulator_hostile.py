"""Hostile clients: whatever they send, the emulator answers 4xx (never 500,
never silence), keeps its limits on size, time and connections, and goes on
serving everybody else."""

import json
import socket
import time

import pytest
from emulator_support import (
    JSON,
    SLOT_STATUS,
    SLOT_TYPES,
    Host,
    new_device,
    send_raw,
    start_emulator,
    status_of_raw,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.emulator import listener as listener_module


@pytest.fixture
def emu(tmp_path):
    emulator = start_emulator(tmp_path, tls=False, request_timeout=0.6)
    yield emulator
    emulator.stop()


def connect(emu, name="drs"):
    return socket.create_connection(("127.0.0.1", emu.listeners[name].port), timeout=3)


def answer_of(sock):
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_negative_chunk_size_is_refused_at_once(emu):
    sock = connect(emu)
    sock.sendall(b"POST /deviceStatus HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n-1\r\n" + b"x" * 100000)
    started = time.monotonic()
    answer = answer_of(sock)  # the server must not read on until the client closes
    assert status_of_raw(answer) == 400 and time.monotonic() - started < 0.5
    assert emu.control.deviations()[0]["rule"] == "chunk_size"


@pytest.mark.parametrize("size_line", [b"+10", b"0x10", b"1" * 9, b" "])
def test_other_bad_chunk_sizes_are_refused(emu, size_line):
    answer = send_raw(emu, b"POST /deviceStatus HTTP/1.1\r\nHost: a\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n" + size_line + b"\r\nab")
    assert status_of_raw(answer) == 400


def test_a_slow_client_cannot_hold_a_connection(emu):
    sock = connect(emu)
    started = time.monotonic()
    sock.sendall(b"GET /subscriptionInfo HTTP/1.1\r\n")
    with pytest.raises(OSError):  # the server answers 408, closes, and the next send fails
        for _ in range(40):  # one header byte every 0.1 s, each well within any idle timeout
            sock.sendall(b"X")
            time.sleep(0.1)
    assert time.monotonic() - started < 2.5
    assert emu.control.deviations()[0]["rule"] == "slow_request"
    assert emu.control.deviations()[0]["status"] == 408


def test_a_stalled_tls_handshake_is_given_up(tmp_path):
    with start_emulator(tmp_path, request_timeout=0.5) as emu:  # TLS
        sock = connect(emu)
        started = time.monotonic()
        assert sock.recv(100) == b""  # no ClientHello ever came: closed, not held
        assert time.monotonic() - started < 2
        assert emu.control.connections()["drs"]["tls_failures"] == 1


def test_a_connection_lives_only_so_long(tmp_path):
    with start_emulator(tmp_path, tls=False, connection_lifetime=0.5) as emu:
        sock = connect(emu)
        ask = b"GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n"
        sock.sendall(ask)
        assert b"Connection: keep-alive" in sock.recv(65536)
        started = time.monotonic()
        assert sock.recv(100) == b""  # its lifetime over, the server closed it
        assert time.monotonic() - started < 1


def test_connections_are_capped_and_the_cap_frees_up(tmp_path):
    with start_emulator(tmp_path, tls=False, max_connections=2) as emu:
        held = [connect(emu), connect(emu)]
        time.sleep(0.2)  # both accepted and served by their threads
        extra = connect(emu)
        assert extra.recv(100) == b""  # closed at once, not left hanging
        assert emu.control.connections()["drs"]["refused"] == 1
        held[0].close()
        time.sleep(0.2)
        device = new_device(emu)
        assert device.replenish().status == 200
        held[1].close()


def test_a_thread_that_cannot_start_costs_one_connection_not_the_host(emu, monkeypatch):
    real = listener_module.start_thread
    failures = []

    def no_thread_the_first_time(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("can't start new thread")
        return real(*args, **kwargs)
    monkeypatch.setattr(listener_module, "start_thread", no_thread_the_first_time)
    first = connect(emu)
    assert first.recv(100) == b""  # closed, unserved
    device = new_device(emu)  # the next connections are served as ever
    assert device.replenish().status == 200
    assert emu.control.connections()["drs"]["thread_failures"] == 1


@pytest.mark.parametrize("value", ["²", "1²", "-1", "+5", "0x10", "1_0", "99999999999999999"])
def test_content_length_is_ascii_digits_only(emu, value):
    answer = send_raw(emu, ("POST /deviceStatus HTTP/1.1\r\nHost: a\r\nContent-Length: %s\r\n\r\n"
                            % value).encode("utf-8"))
    assert status_of_raw(answer) in (400, 413)
    assert emu.control.deviations()[0]["rule"] in ("content_length", "body_too_large")
    assert new_device(emu).replenish().status == 200  # and the host still serves


def test_head_gets_the_head_only(emu):
    sock = connect(emu)
    sock.sendall(b"HEAD /subscriptionInfo HTTP/1.1\r\nHost: a\r\n\r\n"
                 b"GET /nothing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    answer = answer_of(sock)
    head, rest = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 405") and b"Content-Length: " in head
    assert rest.startswith(b"HTTP/1.1 404")  # no body in between


def test_oversized_heads_are_refused(emu):
    many = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"v" * 100) for i in range(200))
    assert status_of_raw(send_raw(emu, b"GET / HTTP/1.1\r\nHost: a\r\n" + many + b"\r\n")) == 431
    long_line = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    assert status_of_raw(send_raw(emu, long_line)) == 414


@pytest.mark.parametrize("body, words", [
    (json.dumps(dict(SLOT_STATUS, remainingQuantityInUnit=10 ** 400)), "out of range"),
    (json.dumps(SLOT_STATUS)[:-1] + ', "x": ' + "[" * 30000 + "]" * 30000 + "}", "nested"),
    (json.dumps(dict(SLOT_STATUS, remainingQuantityInUnit=1)).replace("1,", "1e999,", 1),
     "out of range"),
    (json.dumps(SLOT_STATUS).replace("3.5", "NaN"), "not a JSON number"),
    (b"\xff\xfe{}", "not UTF-8"),
])
def test_hostile_json_is_a_400(emu, body, words):
    device = new_device(emu)
    reply = device.drs("POST", "/slotStatus/slot1", *SLOT_TYPES, body=body, headers=JSON)
    assert reply.status == 400 and words in reply.json()["message"]


@pytest.mark.parametrize("op, body", [
    ("advance_clock", '{"seconds": NaN}'),
    ("advance_clock", '{"seconds": 1e999}'),
    ("advance_clock", '{"seconds": %s}' % ("9" * 500)),
    ("advance_clock", '{"seconds": "soon"}'),
    ("set_clock", '{"now": 1e300}'),
    ("create_device", '{"slots": ' + "[" * 5000 + "]" * 5000 + "}"),
    ("inject_fault", '{"endpoint": "replenish", "kind": "500", "count": 1e300}'),
])
def test_hostile_control_arguments_are_a_400(emu, op, body):
    reply = Host(emu.control_url, None).call("POST", "/control/" + op, body, JSON)
    assert reply.status == 400 and reply.json()["error"]
    assert emu.control.clock()["iso"] == "2026-01-01T00:00:00Z"  # the clock is unharmed


@pytest.fixture(scope="module")
def fuzz_emu(tmp_path_factory):
    emulator = start_emulator(tmp_path_factory.mktemp("fuzz"), tls=False)
    yield emulator
    emulator.stop()


@settings(max_examples=80, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_get_an_answer_below_500_or_a_close(fuzz_emu, data):
    sock = connect(fuzz_emu)
    try:
        sock.sendall(b"POST /deviceStatus HTTP/1.1\r\nHost: a\r\n" + data + b"\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)  # no more is coming: the server must not wait for it
        answer = answer_of(sock)
    finally:
        sock.close()
    assert answer == b"" or status_of_raw(answer) < 500, answer[:200]
    assert all(d["status"] != 500 for d in fuzz_emu.control.deviations())
