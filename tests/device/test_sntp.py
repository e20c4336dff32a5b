# Setting the clock by SNTP: the time a good server gives, and every way a
# server (or someone pretending to be one) can be wrong, answered by an
# SntpError that says what happened, in bounded time.
from replenish.clock import days_from_civil
from replenish.sntp import SntpError, query
from tools.sim.clock import VirtualClock
from tools.sim.udp import FakeUdp, server_reply

NOW = 1767225600 + 40 * 86400 + 3723  # 2026-02-10T01:02:03Z
HOST = "pool.ntp.org"


def server(unix_s, **reply):
    """A server whose clock reads unix_s at every request."""
    return lambda request: [server_reply(request, unix_s * 1000, **reply)]


def ask(answer, trip_ms=40, **kw):
    clock = VirtualClock(start=946684800)  # the ESP32's RTC after power-on: 2000-01-01
    net = FakeUdp(clock, answer, trip_ms)
    return net, clock, query(net, HOST, clock, **kw)


def error_of(answer, trip_ms=40, **kw):
    clock = VirtualClock(start=946684800)
    net = FakeUdp(clock, answer, trip_ms)
    try:
        query(net, HOST, clock, **kw)
    except SntpError as err:
        assert net.open_sockets == 0, "the socket was left open"
        return net, clock, err
    raise AssertionError("no SntpError")


def test_good_reply_gives_the_servers_time():
    net, clock, t = ask(server(NOW))
    assert t == NOW
    assert len(net.requests) == 1 and net.open_sockets == 0
    request = net.requests[0]
    assert len(request) == 48 and request[0] == 0x23  # version 4, client mode
    assert request[40:48] != bytes(8)  # a transmit timestamp the reply must echo


def test_each_request_carries_a_new_nonce():
    seen = []
    for _ in range(3):
        net, clock, t = ask(server(NOW))
        seen.append(net.requests[0][40:48])
    assert len(set(seen)) == 3


def test_half_the_round_trip_is_added():
    # 1.6 s there and back: the reply is 0.8 s old when it arrives
    net, clock, t = ask(server(NOW), trip_ms=1600)
    assert t == NOW + 1


def test_time_spent_inside_the_server_is_not_travel():
    # 1.6 s round trip of which the server held the request 1.2 s: 0.2 s of travel back
    net, clock, t = ask(server(NOW, receive_ms=NOW * 1000 - 1200), trip_ms=1600)
    assert t == NOW


def test_short_packet_is_refused():
    net, clock, err = error_of(server(NOW, length=40))
    assert "short reply (40 bytes" in str(err)
    assert err.kiss is None


def test_kiss_of_death_rate_says_ask_less_often():
    net, clock, err = error_of(server(NOW, kiss="RATE"))
    assert err.kiss == "RATE" and not err.stop_asking
    assert "ask less often" in str(err) and "RATE" in str(err)
    assert len(net.requests) == 1  # asking again at once is what RATE forbids


def test_kiss_of_death_deny_says_stop_asking():
    net, clock, err = error_of(server(NOW, kiss="DENY"))
    assert err.kiss == "DENY" and err.stop_asking
    assert "stop asking this server" in str(err)
    assert len(net.requests) == 1


def test_unsynchronised_server_is_not_believed():
    net, clock, err = error_of(server(NOW, leap=3))
    assert "not synchronised" in str(err)
    net, clock, err = error_of(server(NOW, stratum=16))
    assert "not synchronised" in str(err)


def test_reply_that_is_not_from_a_server_is_refused():
    net, clock, err = error_of(server(NOW, mode=3))
    assert "not a server reply (mode 3)" in str(err)
    net, clock, err = error_of(server(NOW, version=1))
    assert "unknown NTP version 1" in str(err)


def test_reply_without_a_time_is_refused():
    def zero_transmit(request):
        return [server_reply(request, NOW * 1000)[:40] + bytes(8)]

    net, clock, err = error_of(zero_transmit)
    assert "carries no time" in str(err)


def test_reply_to_someone_else_is_ignored_until_the_timeout():
    net, clock, err = error_of(server(NOW, originate=b"spoofed!"), timeout_ms=2000)
    assert "no answer after 2 attempts" in str(err)
    assert "replies to other requests ignored: 2" in str(err)
    assert clock.ticks_ms() - 946684800000 == 4000


def test_genuine_reply_after_a_spoofed_one_is_taken():
    def spoofer_first(request):
        return [server_reply(request, 946684800000, originate=b"spoofed!"),
                server_reply(request, NOW * 1000)]

    net, clock, t = ask(spoofer_first)
    assert t == NOW


def test_wildly_wrong_times_are_refused():
    for year in (2000, 2100):
        wrong = days_from_civil(year, 6, 1) * 86400
        net, clock, err = error_of(server(wrong))
        assert "implausible time %d-06-01T00:00:00Z" % year in str(err)
        assert "expected 2026-01-01T00:00:00Z to 2056-01-01T00:00:00Z" in str(err)


def test_floor_is_the_callers_to_choose():
    earlier = days_from_civil(2017, 4, 1) * 86400
    net, clock, t = ask(server(earlier), floor=days_from_civil(2015, 1, 1) * 86400)
    assert t == earlier


def test_no_answer_gives_up_after_the_attempts_without_hanging():
    start = 946684800000
    net, clock, err = error_of(lambda request: [], timeout_ms=1500, attempts=3)
    assert len(net.requests) == 3
    assert "no answer after 3 attempts of 1500 ms" in str(err)
    assert clock.ticks_ms() - start == 4500  # each attempt waited its timeout, no longer


def test_one_lost_answer_is_retried():
    answers = [[], None]

    def lossy(request):
        answers.pop(0)
        return [] if answers else [server_reply(request, NOW * 1000)]

    net, clock, t = ask(lossy)
    assert t == NOW and len(net.requests) == 2


def test_unknown_host_names_the_host():
    clock = VirtualClock()
    net = FakeUdp(clock, server(NOW), resolves=False)
    try:
        query(net, HOST, clock)
    except SntpError as err:
        assert "SNTP pool.ntp.org: cannot resolve the name" in str(err)
        assert net.open_sockets == 0 and not net.requests
        return
    raise AssertionError("no SntpError")


def test_works_past_the_2036_rollover():
    t2040 = days_from_civil(2040, 3, 1) * 86400 + 45296
    net, clock, t = ask(server(t2040))
    assert t == t2040
    # either side of 2036-02-07T06:28:16Z, NTP second 0 of era 1
    edge = days_from_civil(2036, 2, 7) * 86400 + 23296
    for t_edge in (edge - 1, edge + 1):
        net, clock, t = ask(server(t_edge))
        assert t == t_edge


def test_sntp_error_is_an_os_error():
    net, clock, err = error_of(lambda request: [], timeout_ms=10)
    assert isinstance(err, OSError)
