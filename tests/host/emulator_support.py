"""Shared by the emulator's tests: start an emulator on a virtual clock and
talk to it the way a device does, with the standard library only.

Emulators start STRICT (every deviation answered 400, see
tools/emulator/deviations.py); a test of lenient behaviour passes
strict=False. Deviations are only recorded, never failed here: many tests
send bad requests on purpose and assert what was recorded."""

import http.client
import json
import socket
import ssl
from urllib.parse import parse_qs, urlencode, urlsplit

from tools.emulator import Emulator

START = 1767225600  # 2026-01-01T00:00:00Z, the simulated board's epoch too
HOUR, DAY = 3600, 86400
PREFIX = "com.amazon.dash.replenishment."
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
# (x-amzn-type-version, x-amzn-accept-type) type names per endpoint
SLOT_TYPES = ("DrsSlotStatusInput", "DrsSlotStatusResult")
DEVICE_TYPES = ("DrsDeviceStatusInput", "DrsDeviceStatusResult")
SUB_TYPES = ("DrsSubscriptionInfoInput", "DrsSubscriptionInfoResult")
CANCEL_TYPES = ("DrsCancelTestOrdersInput", "DrsCancelTestOrdersResult")
REPLENISH_TYPES = ("DrsReplenishInput", "DrsReplenishResult")
SLOT_STATUS = {"expectedReplenishmentDate": "2026-01-20T10:00:00Z",
               "remainingQuantityInUnit": 3.5, "originalQuantityInUnit": 10,
               "totalQuantityOnHand": 0, "lastUseDate": "2026-01-01T08:00:00Z"}


def start_emulator(state_dir, **kw):
    kw.setdefault("start", START)
    kw.setdefault("strict", True)
    return Emulator(state_dir=state_dir, **kw).start()


def send_raw(emu, data, listener="drs", timeout=5):
    """Send bytes as they are; return all the server answered before it closed."""
    raw = socket.create_connection(("127.0.0.1", emu.listeners[listener].port), timeout=timeout)
    sock = raw
    if emu.ca_pem:
        sock = ssl.create_default_context(cafile=emu.ca_pem).wrap_socket(
            raw, server_hostname="localhost")
    try:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer
    finally:
        sock.close()


def raw_drs(device, method, path, types, body=b"", headers=(), version="HTTP/1.1"):
    """One DRS request written by hand (the test chooses every header), closed after."""
    lines = ["%s %s %s" % (method, path, version), "Host: localhost", "Connection: close",
             "Authorization: Bearer " + device.access_token]
    lines += ["%s: %s" % kv for kv in version_headers(*types).items()]
    lines += ["%s: %s" % kv for kv in headers]
    return send_raw(device.emu, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def status_of_raw(answer):
    return int(answer.split(b" ", 2)[1]) if answer else None


class Reply:
    def __init__(self, resp):
        self.status = resp.status
        self.headers = {k.lower(): v for k, v in resp.getheaders()}
        self.body = resp.read()

    def json(self):
        return json.loads(self.body)


class Host:
    """One kept-alive connection to one emulated host."""

    def __init__(self, url, cafile, timeout=5):
        u = urlsplit(url)
        if u.scheme == "https":
            ctx = ssl.create_default_context(cafile=cafile)
            self.conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx,
                                                    timeout=timeout)
        else:
            self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)

    def call(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body, headers or {})
        return Reply(self.conn.getresponse())

    def close(self):
        self.conn.close()


def version_headers(in_type, out_type, in_version="1.0", out_version="1.0"):
    return {"x-amzn-type-version": PREFIX + in_type + "@" + in_version,
            "x-amzn-accept-type": PREFIX + out_type + "@" + out_version}


class Device:
    """A device's view: its credentials, one LWA and one DRS connection."""

    def __init__(self, emu, creds):
        self.emu, self.creds = emu, creds
        self.lwa = Host(emu.lwa_url, emu.ca_pem)
        self.drs_host = Host(emu.drs_url, emu.ca_pem)
        self.access_token = None

    def refresh(self, refresh_token=None):
        return self.lwa.call("POST", "/auth/o2/token", urlencode({
            "grant_type": "refresh_token",
            "refresh_token": refresh_token or self.creds["refresh_token"],
            "client_id": self.creds["client_id"],
            "client_secret": self.creds["client_secret"]}), FORM)

    def login(self):
        reply = self.refresh()
        assert reply.status == 200, reply.body
        self.access_token = reply.json()["access_token"]
        return self.access_token

    def drs(self, method, path, in_type, out_type, body=None, headers=None, **versions):
        h = version_headers(in_type, out_type, **versions)
        h["Authorization"] = "Bearer " + self.access_token
        h.update(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        return self.drs_host.call(method, path, body, h)

    def replenish(self, slot="slot1"):
        return self.drs("POST", "/replenish/" + slot, "DrsReplenishInput",
                        "DrsReplenishResult", headers={"Content-Length": "0"})

    def order_info(self, instance_id):
        return self.drs("GET", "/getOrderInfo/" + instance_id, "DrsOrderInfoInput",
                        "DrsOrderInfoResult")

    def close(self):
        self.lwa.close()
        self.drs_host.close()


def refresh_once(emu, creds, refresh_token):
    """One refresh grant with the token a link wrote, as the device would send it."""
    device = Device(emu, dict(creds, refresh_token=refresh_token))
    try:
        return device.refresh()
    finally:
        device.close()


def new_device(emu, **kw):
    device = Device(emu, emu.control.create_device(**kw))
    device.login()
    return device


def redirect_params(reply):
    assert reply.status == 302, reply.body
    location = reply.headers["location"]
    return location.split("?")[0], {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def running_emulator(tmp_path):
    """Body of each test module's `emu` fixture: `emu = pytest.fixture(running_emulator)`."""
    emulator = start_emulator(tmp_path)
    yield emulator
    emulator.stop()
