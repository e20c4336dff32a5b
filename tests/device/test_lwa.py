# Login with Amazon: the refresh grant, tokens kept in flash across deep
# sleep, rotation, revocation, configuration errors and backoff.
from checks import expect
from fake_amazon import CLIENT_ID, CLIENT_SECRET, LWA_HOST, REFRESH, FakeAmazon, form_decode
from fake_amazon import json_reply as reply

from replenish.http import Http
from replenish.lwa import REVOKED, ConfigError, Lwa, LwaError, TryLater, Unlinked
from replenish.store import Store, StoreError
from tools.sim.clock import VirtualClock
from tools.sim.flash import FakeFlash, PowerCut
from tools.sim.net import FakeNet, FakeReply

# A power cut at every step of a refresh builds a device (fake LWA, flash and
# an HTTP client with its response buffer) per step in one heap: more than a
# wake's own need plus the default margin; the firmware's need is not this.
DEVICE_HEAP = "192k"

URL = "https://" + LWA_HOST


class Device:
    """One wake of a device: its own RAM, the flash and the clock it keeps."""

    def __init__(self, flash=None, clock=None, net=None, amazon=None, secret=CLIENT_SECRET,
                 rand=None, http=None):
        self.clock = clock or VirtualClock()
        self.flash = flash or FakeFlash()
        self.net = net or FakeNet(self.clock)
        self.amazon = amazon or FakeAmazon(self.net, self.clock)
        self.logs = []
        self.store = Store(self.flash, log=self.logs.append)
        # The HTTP client's response buffer is allocated once, as at boot on the
        # board, and small (a token answer is under 1 KB): a test builds many
        # devices, and large buffers for each would fragment the 110 KB heap.
        self.http = http or Http(self.clock, self.net, max_response=2048)
        self.lwa = Lwa(self.http, self.store, self.clock, CLIENT_ID, secret, url=URL,
                       log=self.logs.append, rand=rand or (lambda: 0.5))

    def wake(self, **kw):
        """The same device after a deep sleep: RAM lost (its connections too),
        flash and clock kept."""
        self.http.close()
        return Device(self.flash, self.clock, self.net, self.amazon, http=self.http, **kw)

    def token_calls(self):
        return len([r for r in self.net.requests if r.path == "/auth/o2/token"])


def linked(**kw):
    device = Device(**kw)
    device.lwa.link(REFRESH)
    return device


def linked_again(bench):
    """A new linked device (its own flash and Amazon) on the bench's clock,
    network and HTTP client: tests that try every step build dozens."""
    bench.http.close()
    return linked(clock=bench.clock, net=bench.net, http=bench.http)


def test_refresh_grant_on_the_wire():
    device = linked()
    token = device.lwa.access_token()
    assert token.startswith("Atza|")
    req = device.net.requests[0]
    assert (req.method, req.path) == ("POST", "/auth/o2/token")
    assert req.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert form_decode(req.body) == {"grant_type": "refresh_token", "refresh_token": REFRESH,
                                     "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert b"Atzr%7C" in req.body  # the '|' is encoded


def test_access_token_reused_within_the_hour_also_after_deep_sleep():
    device = linked()
    token = device.lwa.access_token()
    device.clock.advance(1200)
    later = device.wake()
    assert later.lwa.access_token() == token
    later.clock.advance(3600 - 300 - 1200 - 1)
    assert later.wake().lwa.access_token() == token
    assert device.token_calls() == 1
    later.clock.advance(2)  # inside the margin: refreshed before it runs out
    assert later.wake().lwa.access_token() != token
    assert device.token_calls() == 2


def test_rotated_refresh_token_is_persisted_and_used_next_time():
    device = linked()
    device.amazon.rotate = True
    device.lwa.access_token()
    rotated = device.amazon.refresh_tokens[0]
    assert rotated != REFRESH
    later = device.wake()
    assert later.store.load("lwa_refresh") == {"token": rotated}
    later.lwa.refresh()
    assert form_decode(device.net.requests[-1].body)["refresh_token"] == rotated


def test_rotated_refresh_token_is_in_flash_before_an_access_token_is_handed_out():
    # A power cut, then a flash error, at each step of a refresh in turn: the
    # flash holds the old refresh token or the rotated one, never neither,
    # and an access token is handed out only once the rotated one is stored.
    bench = Device()
    for inject in ("cut_at", "fail_at"):
        n = 0
        while True:
            n += 1
            device = linked_again(bench)
            device.amazon.rotate = True
            getattr(device.flash, inject)(n)
            try:
                handed_out = device.lwa.access_token()
            except (PowerCut, StoreError, LwaError):
                handed_out = None
            reached = device.flash.cut_step is None and device.flash.fail_step is None
            device.flash.cut_step = device.flash.fail_step = None  # the next boot runs clean
            after = device.wake().store
            rotated = device.amazon.refresh_tokens[0]
            held = after.load("lwa_refresh")
            assert held in ({"token": REFRESH}, {"token": rotated}), (inject, n, held)
            if handed_out or after.load("lwa_access"):
                assert held == {"token": rotated}, (inject, n)
            if not reached:
                assert handed_out, (inject, n)  # every step was tried: the refresh completed
                break
        assert n > 6, (inject, n)


def test_unchanged_refresh_token_is_not_rewritten():
    device = linked()
    device.lwa.access_token()
    wear = device.flash.writes
    device.lwa.refresh()
    assert device.flash.writes == wear + 1  # only the new access token


def tokens_in_flash(flash):
    """Files that still hold a token (LWA tokens all start IwEB after the prefix)."""
    return sorted(name for name in flash.files if b"IwEB" in flash.files[name])


def test_revoked_authorization_unlinks_the_device_for_good():
    device = linked()
    device.lwa.access_token()
    device.amazon.revoke()
    device.lwa.invalidate()
    err = expect(Unlinked, device.lwa.access_token)
    assert "revoked" in str(err) and "link it again" in str(err)
    assert len([line for line in device.logs if "link it again" in line]) == 1
    calls = device.token_calls()
    later = device.wake()
    assert not later.lwa.linked()
    assert "revoked" in later.lwa.why_unlinked()  # what the console says, after a reboot
    expect(Unlinked, later.lwa.access_token)
    expect(Unlinked, later.lwa.refresh)
    assert device.token_calls() == calls  # no more calls to Amazon
    device.amazon.refresh_tokens = ["Atzr|IwEBrelinked"]
    later.lwa.link("Atzr|IwEBrelinked")
    assert later.lwa.why_unlinked() is None
    assert later.wake().lwa.access_token().startswith("Atza|")


def test_invalid_grant_erases_every_copy_of_the_tokens_at_once():
    device = linked()
    device.lwa.access_token()
    assert tokens_in_flash(device.flash) == ["data/lwa_access.rec", "data/lwa_refresh.mir",
                                             "data/lwa_refresh.rec"]
    device.amazon.revoke()
    device.lwa.invalidate()
    expect(Unlinked, device.lwa.access_token)
    assert tokens_in_flash(device.flash) == []
    requests = len(device.net.requests)
    expect(Unlinked, device.lwa.access_token)  # the same wake, and every later one
    expect(Unlinked, device.wake().lwa.access_token)
    assert len(device.net.requests) == requests


def test_a_power_cut_while_forgetting_never_leaves_a_usable_revoked_token():
    # At each step of forgetting: either nothing was erased yet (the token is
    # whole, the next wake finds out again), or the device is unlinked for good
    # and a cached access token is not used either.
    bench = Device()
    n = 0
    while True:
        n += 1
        device = linked_again(bench)
        device.lwa.access_token()
        device.flash.cut_at(n)
        try:
            device.lwa.forget(REVOKED)
        except PowerCut:
            pass
        done = device.flash.cut_step is not None  # every step ran: the cut never came
        device.flash.cut_step = None
        after = device.wake()
        requests = len(device.net.requests)
        if after.lwa.linked():
            assert not done and after.store.load("lwa_refresh") == {"token": REFRESH}, n
        else:
            expect(Unlinked, after.lwa.access_token)
            assert len(device.net.requests) == requests, n
        if done:
            break
    assert n > 4 and tokens_in_flash(device.flash) == []


def test_a_worn_copy_of_the_refresh_token_is_replaced_from_its_mirror():
    device = linked()
    device.amazon.rotate = True
    device.lwa.access_token()
    rotated = device.amazon.refresh_tokens[0]
    record = device.flash.files["data/lwa_refresh.rec"]
    device.flash.files["data/lwa_refresh.rec"] = record[:20] + b"X" + record[21:]
    device.clock.advance(3600)
    later = device.wake()
    assert later.lwa.access_token().startswith("Atza|")
    assert form_decode(device.net.requests[-1].body)["refresh_token"] == rotated
    assert later.logs == ["store: data/lwa_refresh.rec is corrupt (checksum mismatch); "
                          "using its mirror"]
    assert later.wake().store.load("lwa_refresh") == {"token": device.amazon.refresh_tokens[0]}


def test_both_copies_worn_says_so_and_sends_nothing():
    device = linked()
    for ext in ("rec", "mir"):
        device.flash.files["data/lwa_refresh." + ext] = b"worn"
    later = device.wake()
    err = expect(Unlinked, later.lwa.access_token)
    assert "not linked" in str(err) and "link it again" in str(err)
    assert later.logs == ["store: data/lwa_refresh.rec is corrupt (checksum mismatch) and "
                          "data/lwa_refresh.mir is corrupt (checksum mismatch): no good copy "
                          "is left"]
    assert device.net.requests == []


def test_configuration_errors_are_not_retried_as_outages():
    device = linked(secret="wrong")
    err = expect(ConfigError, device.lwa.access_token)
    assert "invalid_client" in str(err) and "settings" in str(err)
    assert device.lwa.linked()
    for code in ("unauthorized_client", "unsupported_grant_type"):
        device = linked()
        device.amazon.lwa_script.append(reply(400, {"error": code}))
        assert code in str(expect(ConfigError, device.lwa.access_token))
        assert device.lwa.access_token().startswith("Atza|")  # no backoff for these


def test_outages_back_off_exponentially_and_persist_the_schedule():
    device = linked()
    amazon = device.amazon
    delays = []
    for _ in range(4):
        amazon.lwa_script.append(reply(503, {"error": "server_error"}))
        err = expect(TryLater, device.lwa.access_token)
        delays.append(err.retry_at - device.clock.now())
        calls = device.token_calls()
        device.clock.advance(delays[-1] - 1)
        early = device.wake()  # still too early, also after a deep sleep
        expect(TryLater, early.lwa.access_token)
        assert device.token_calls() == calls
        device.clock.advance(1)
    assert delays == [45, 90, 180, 360]  # 60 s doubling, jitter fixed at half
    assert device.wake().lwa.access_token().startswith("Atza|")
    amazon.lwa_script.append(FakeReply(500))
    device.lwa.invalidate()
    err = expect(TryLater, device.lwa.access_token)
    assert err.retry_at - device.clock.now() == 45  # success reset the schedule


def test_lwa_asking_for_a_longer_wait_is_obeyed_also_after_deep_sleep():
    device = linked()
    device.amazon.lwa_script.append(reply(503, {"error": "server_error"}, {"Retry-After": "1800"}))
    assert expect(TryLater, device.lwa.access_token).retry_at - device.clock.now() == 1800
    device.clock.advance(1799)
    expect(TryLater, device.wake().lwa.access_token)
    assert device.token_calls() == 1
    device.clock.advance(1)
    assert device.wake().lwa.access_token().startswith("Atza|")
    device.amazon.lwa_script.append(reply(429, {}, {"Retry-After": "5"}))
    device.lwa.invalidate()
    err = expect(TryLater, device.lwa.access_token)
    assert err.retry_at - device.clock.now() == 45  # a shorter wait does not cut the backoff


def test_backoff_is_capped_and_jittered():
    device = linked(rand=lambda: 0.0)
    device.lwa.backoff_max_s = 600
    for _ in range(8):
        device.amazon.lwa_script.append(FakeReply(500))
        err = expect(TryLater, device.lwa.access_token)
        device.clock.set(err.retry_at)
    device.amazon.lwa_script.append(FakeReply(502))
    start = device.clock.now()
    assert expect(TryLater, device.lwa.access_token).retry_at - start == 300
    other = linked(rand=lambda: 0.99)
    other.amazon.lwa_script.append(FakeReply(500))
    assert expect(TryLater, other.lwa.access_token).retry_at - other.clock.now() == 59


def test_timeouts_and_garbage_are_transient():
    device = linked()
    device.net.fail("connect", "timeout", seconds=10)
    assert "connect" in str(expect(TryLater, device.lwa.access_token))
    device.clock.advance(3600)
    device.amazon.lwa_script.append(FakeReply(200, b"<html>maintenance</html>"))
    expect(TryLater, device.lwa.access_token)


def test_not_linked_means_no_call():
    device = Device()
    expect(Unlinked, device.lwa.access_token)
    assert device.net.requests == []


def test_no_token_or_secret_in_logs_errors_or_reprs():
    device = linked()
    device.amazon.rotate = True
    texts = [repr(device.lwa), repr(device.store)]
    device.lwa.access_token()
    device.amazon.lwa_script.append(FakeReply(500))
    device.lwa.invalidate()
    texts.append(str(expect(TryLater, device.lwa.access_token)))
    device.clock.advance(7200)
    device.amazon.lwa_script.append(reply(401, {"error": "invalid_client"}))
    texts.append(str(expect(ConfigError, device.lwa.access_token)))
    device.amazon.revoke()
    texts.append(str(expect(Unlinked, device.lwa.access_token)))
    texts.append(repr(device.lwa))
    text = " ".join(texts + device.logs)
    for secret in ("Atza", "Atzr", "IwEB", CLIENT_SECRET):
        assert secret not in text, secret
