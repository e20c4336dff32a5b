# The HTTP client against a fake network that misbehaves the ways real ones do.
from checks import expect

from replenish.http import Http
from replenish.http_errors import (
    ConnectionLost,
    HttpError,
    OutOfMemory,
    ProtocolError,
    Timeout,
    TlsError,
    TooLarge,
)
from replenish.http_reader import MIN_BUFFER, allocate
from tools.sim.clock import VirtualClock
from tools.sim.net import FakeNet, FakeReply

# The fake servers here build each reply whole in the same heap as the client
# (up to 6 KB of chunk framing, copied per read): their memory, not the
# device's, needs more than 110k once the client holds its response buffer.
DEVICE_HEAP = "128k"
URL = "https://api.example.com/path"
BODY = b'{"hello": "world", "pad": "' + b"x" * 300 + b'"}'


def setup(reply=None, handler=None, **net_options):
    clock = VirtualClock()
    net = FakeNet(clock, **net_options)
    net.serve("api.example.com", 443, handler or (lambda req: reply or FakeReply(200, BODY)))
    return clock, net, Http(clock, net, request_timeout_s=30, max_response=4096)


def test_request_on_the_wire_and_body_back_through_one_byte_reads():
    clock, net, http = setup(read_size=1)
    resp = http.request("POST", URL, {"Content-Type": "application/json"}, b'{"a": 1}')
    assert resp.status == 200 and bytes(resp.body) == BODY
    assert resp.json()["hello"] == "world"
    req = net.requests[0]
    assert (req.method, req.path, req.version) == ("POST", "/path", "HTTP/1.1")
    assert req.headers["host"] == "api.example.com"
    assert req.headers["content-length"] == "8" and req.body == b'{"a": 1}'
    assert req.headers["content-type"] == "application/json"


def test_non_default_port_is_in_the_host_header():
    clock = VirtualClock()
    net = FakeNet(clock)
    net.serve("localhost", 8443, lambda req: FakeReply(204))
    resp = Http(clock, net).request("GET", "https://localhost:8443/x")
    assert resp.status == 204 and net.requests[0].headers["host"] == "localhost:8443"


def test_one_connection_per_host_reused_for_every_call():
    clock, net, http = setup()
    net.serve("other.example.com", 443, lambda req: FakeReply(200, b"ok"))
    for _ in range(3):
        assert http.request("GET", URL).status == 200
        assert http.request("GET", "https://other.example.com/").body == b"ok"
    assert (net.connections, net.handshakes) == (2, 2)
    assert (http.connections, http.handshakes, http.requests) == (2, 2, 6)
    http.close()
    http.request("GET", URL)
    assert http.connections == 3  # a new wake, a new connection


def test_connection_closed_by_server_while_idle_is_reopened_once():
    for resets in (False, True):  # the write fails, or the read finds the end
        clock, net, http = setup(FakeReply(200, b"first", drop_after=True))
        net.dead_write_resets = resets
        assert http.request("GET", URL).body == b"first"
        assert http.request("GET", URL).body == b"first"
        assert http.connections == 2
        assert len(net.requests) == 2  # the server handled each request once


def test_failure_on_a_fresh_connection_is_not_retried():
    clock, net, http = setup(FakeReply(200, BODY, reset_after=0))
    err = expect(ConnectionLost, http.request, "POST", URL, None, b"x")
    assert err.step == "read" and len(net.requests) == 1


def test_reset_after_part_of_the_answer_is_not_resent():
    calls = []

    def handler(req):
        calls.append(req)
        return FakeReply(200, BODY, reset_after=40 if len(calls) == 2 else None)

    clock, net, http = setup(handler=handler)
    http.request("GET", URL)
    err = expect(ConnectionLost, http.request, "POST", URL, None, b"order")
    assert err.step == "read" and len(calls) == 2  # the order was not sent twice
    assert http.request("GET", URL).status == 200  # and the next call reconnects
    assert http.connections == 2


def test_chunked_body_through_short_reads():
    clock, net, http = setup(FakeReply(200, BODY, chunked=7), read_size=3)
    assert bytes(http.request("GET", URL).body) == BODY
    assert bytes(http.request("GET", URL).body) == BODY
    assert http.connections == 1


def test_body_until_close_is_read_and_the_connection_not_reused():
    clock, net, http = setup(FakeReply(200, BODY, no_length=True))
    assert bytes(http.request("GET", URL).body) == BODY
    http.request("GET", URL)
    assert http.connections == 2


def test_content_length_shorter_than_the_body_drops_the_connection():
    calls = []

    def handler(req):
        calls.append(req)
        return FakeReply(200, b"0123456789", length=4) if len(calls) == 1 else FakeReply(200, b"ok")

    clock, net, http = setup(handler=handler)
    assert bytes(http.request("GET", URL).body) == b"0123"
    assert http.request("GET", URL).body == b"ok"  # not the stray "456789"
    assert http.connections == 2


def test_content_length_longer_than_the_body():
    clock, net, http = setup(FakeReply(200, b"0123456789", length=50, drop_after=True))
    err = expect(ConnectionLost, http.request, "GET", URL)
    assert "10 of 50" in str(err)
    clock, net, http = setup(FakeReply(200, b"0123456789", length=50))
    err = expect(Timeout, http.request, "GET", URL)
    assert err.step == "read"


def test_responses_beyond_the_cap_are_refused():
    big = {"X-Big%d" % i: "y" * 200 for i in range(5)}
    cases = (  # (announced) Content-Length, chunks, endless, until close, headers count too
        {}, {"chunked": 100}, {"endless": True}, {"no_length": True}, {"headers": big},
    )
    for options in cases:
        size = 3200 if "headers" in options else 0 if "endless" in options else 5000
        clock, net, http = setup(FakeReply(200, b"x" * size, **options))
        err = expect(TooLarge, http.request, "GET", URL)
        assert err.step == "read" and "4096" in str(err)


def test_slow_drip_hits_the_request_deadline():
    clock, net, http = setup(FakeReply(200, BODY), read_size=1, drip_ms=1000)
    start = clock.now()
    err = expect(Timeout, http.request, "GET", URL)
    assert err.step == "read"
    assert 30 <= clock.now() - start <= 32


def test_stalled_read_times_out():
    clock, net, http = setup(FakeReply(200, BODY, stall_after=30))
    err = expect(Timeout, http.request, "GET", URL)
    assert err.step == "read"


def test_each_connecting_step_names_itself():
    for step, kind, error_type in (
        ("dns", "timeout", Timeout),
        ("dns", "eio", HttpError),
        ("connect", "timeout", Timeout),
        ("connect", "refused", HttpError),
        ("handshake", "cert", TlsError),
        ("handshake", "timeout", Timeout),
    ):
        clock, net, http = setup()
        net.fail(step, kind)
        err = expect(error_type, http.request, "GET", URL)
        assert err.step == step, (step, kind, err.step)
        assert http.request("GET", URL).status == 200  # the next attempt starts afresh


def test_a_failing_write_names_its_step_and_sends_nothing():
    for kind, error_type in (("timeout", Timeout), ("reset", ConnectionLost)):
        clock, net, http = setup()
        net.fail("write", kind, seconds=10)
        err = expect(error_type, http.request, "POST", URL, None, b"order")
        assert err.step == "write", (kind, err.step)
        assert net.requests == [] and http.connections == 1  # a fresh connection: not resent
        assert http.request("GET", URL).status == 200  # the next attempt starts afresh
        assert http.connections == 2


def test_unknown_host_and_slow_dns():
    clock, net, http = setup()
    assert expect(HttpError, http.request, "GET", "https://nowhere.example/").step == "dns"
    net.fail("dns", "slow", seconds=45)
    assert expect(Timeout, http.request, "GET", URL).step == "dns"


def test_redirects_are_returned_not_followed():
    clock, net, http = setup(FakeReply(302, headers={"Location": "https://evil.example/"}))
    resp = http.request("GET", URL)
    assert resp.status == 302 and resp.header("location") == "https://evil.example/"
    assert len(net.requests) == 1


def test_interim_answer_is_skipped():
    clock, net, http = setup(handler=lambda req: Interim())
    resp = http.request("GET", URL)
    assert resp.status == 200 and resp.body == b"done"


class Interim(FakeReply):
    def __init__(self):
        FakeReply.__init__(self, 200, b"done")

    def raw(self):
        return b"HTTP/1.1 100 Continue\r\n\r\n" + FakeReply.raw(self)


def test_garbage_is_a_protocol_error():
    for raw in (b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 abc\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nX: \xff\xfe\r\n\r\n"):
        clock, net, http = setup(Raw(raw))
        err = expect(ProtocolError, http.request, "GET", URL)
        assert err.step == "read"


class Raw(FakeReply):
    def __init__(self, data):
        FakeReply.__init__(self)
        self.data = data

    def raw(self):
        return self.data


def test_only_https_urls_and_no_header_injection():
    clock, net, http = setup()
    for url in ("http://api.example.com/", "ftp://x/", "https:///path"):
        expect(ValueError, http.request, "GET", url)
    expect(ValueError, http.request, "GET", URL, {"Authorization": "Bearer x\r\nX-Evil: 1"})
    assert net.requests == []


def test_no_secret_in_errors_or_reprs():
    clock, net, http = setup(FakeReply(200, b'{"access_token": "Atza|secret"}', reset_after=60))
    err = expect(ConnectionLost, http.request,
        "POST", URL, {"Authorization": "Bearer Atza|secret"}, b"refresh_token=Atzr|secret")
    clock, net, http = setup(FakeReply(200, b'{"access_token": "Atza|secret"}'))
    resp = http.request("GET", URL, {"Authorization": "Bearer Atza|secret"})
    for text in (str(err), repr(err), repr(resp), repr(http)):
        assert "secret" not in text and "Atz" not in text, text


def test_a_response_exactly_at_the_cap_is_read_and_one_byte_more_is_refused():
    body = b"y" * (4096 - len(FakeReply(200, b"y" * 4000).raw()) + 4000)
    assert len(FakeReply(200, body).raw()) == 4096
    clock, net, http = setup(FakeReply(200, body))
    assert http.request("GET", URL).body == body
    clock, net, http = setup(FakeReply(200, body + b"y"))
    assert expect(TooLarge, http.request, "GET", URL).step == "read"


def test_chunks_are_joined_in_place_through_one_byte_reads():
    body = b'{"pad": "' + b"z" * 1500 + b'"}'
    clock, net, http = setup(FakeReply(200, body, chunked=5), read_size=1)
    resp = http.request("GET", URL)
    assert resp.body == body and len(resp.json()["pad"]) == 1500


def test_a_body_is_gone_once_the_next_request_starts():
    clock, net, http = setup()
    first = http.request("GET", URL)
    assert first.json()["hello"] == "world"
    http.request("GET", URL)
    expect(RuntimeError, first.json)  # never the next response's bytes under its name
    expect(RuntimeError, lambda: first.body)


def test_the_buffer_is_as_large_as_the_heap_can_hold():
    def heap_of(free):
        def make(size):
            if size > free:
                raise MemoryError("memory allocation failed, allocating %d bytes" % size)
            return bytearray(size)
        return make

    assert len(allocate(16385, heap_of(100000))) == 16385
    assert len(allocate(16385, heap_of(9000))) == 8192
    assert len(allocate(16385, heap_of(MIN_BUFFER))) == MIN_BUFFER
    expect(MemoryError, allocate, 16385, heap_of(MIN_BUFFER - 1))


def test_running_out_of_memory_at_any_step_is_out_of_memory_and_named():
    for lazy in (False, True):  # handshake in wrap (CPython) or in the first write (MicroPython)
        for step, kind in (("dns", "memory"), ("connect", "memory"), ("handshake", "memory"),
                           ("handshake", "alloc"), ("write", "memory")):
            clock, net, http = setup(lazy_handshake=lazy)
            net.fail(step, kind)
            err = expect(OutOfMemory, http.request, "GET", URL)
            assert err.step == step, (lazy, step, kind, err.step)
            assert "out of memory" in str(err) and "not a network fault" in str(err)
            assert http.request("GET", URL).status == 200  # the next attempt starts afresh


def test_a_handshake_finished_by_the_first_write_fails_as_a_handshake():
    for kind, error_type in (("cert", TlsError), ("timeout", Timeout)):
        clock, net, http = setup(lazy_handshake=True)
        net.fail("handshake", kind, seconds=10)
        start = clock.now()
        err = expect(error_type, http.request, "POST", URL, None, b"order")
        assert err.step == "handshake", (kind, err.step)
        assert clock.now() - start <= 10  # the stream's own deadline, not more
        assert net.requests == [] and net.handshakes == 0  # nothing reached the server
        assert http.request("GET", URL).status == 200
        assert net.handshakes == 1
