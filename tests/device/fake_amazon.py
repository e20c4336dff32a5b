# LWA and DRS as far as the device tests of lwa and drs need them, served on
# tools/sim/net.FakeNet: tokens that expire, refresh-token rotation, and
# scripted answers. The full emulator (tools/emulator) is for host tests.
import json

from tools.sim.net import FakeReply

LWA_HOST = "api.amazon.com"
DRS_HOST = "dash-replenishment-service-na.amazon.com"
CLIENT_ID = "amzn1.application-oa2-client.test"
CLIENT_SECRET = "client-secret-value"
REFRESH = "Atzr|IwEBrefresh-one"


def form_decode(body):
    out = {}
    for pair in body.decode().split("&"):
        name, value = pair.split("=", 1)
        chars = []
        i = 0
        while i < len(value):
            if value[i] == "%":
                chars.append(chr(int(value[i + 1:i + 3], 16)))
                i += 3
            else:
                chars.append(value[i])
                i += 1
        out[name] = "".join(chars)
    return out


def json_reply(status, data, headers=None):
    head = {"Content-Type": "application/json"}
    for name in headers or {}:
        head[name] = headers[name]
    return FakeReply(status, json.dumps(data), head)


def invalid_token():
    return json_reply(400, {"message": "Invalid token"},
                      {"X-Amzn-Errortype": "InvalidTokenException:http://internal.amazon.com/"})


class FakeAmazon:
    def __init__(self, net, clock):
        self.clock = clock
        self.refresh_tokens = [REFRESH]
        self.access = {}  # access token -> expiry (unix seconds)
        self.rotate = False
        self.issued = 0
        self.lwa_script = []  # FakeReply answers to the next token calls
        self.drs_script = []  # FakeReply answers to the next service calls
        self.drs_routes = {}  # (method, path) -> FakeReply
        net.serve(LWA_HOST, 443, self.lwa)
        net.serve(DRS_HOST, 443, self.drs)

    def lwa(self, req):
        if self.lwa_script:
            return self.lwa_script.pop(0)
        form = form_decode(req.body)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return json_reply(401, {"error": "invalid_client"})
        if form.get("grant_type") != "refresh_token":
            return json_reply(400, {"error": "unsupported_grant_type"})
        if form.get("refresh_token") not in self.refresh_tokens:
            return json_reply(400, {"error": "invalid_grant"})
        self.issued += 1
        access = "Atza|IwEBaccess-%d" % self.issued
        self.access[access] = self.clock.now() + 3600
        refresh = form["refresh_token"]
        if self.rotate:
            refresh = "Atzr|IwEBrefresh-rotated-%d" % self.issued
            self.refresh_tokens = [refresh]
        return json_reply(200, {"access_token": access, "refresh_token": refresh,
                                "token_type": "bearer", "expires_in": 3600})

    def revoke(self):
        self.refresh_tokens = []
        self.access = {}

    def drs(self, req):
        auth = req.headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if self.access.get(token, 0) <= self.clock.now():
            return invalid_token()
        if self.drs_script:
            return self.drs_script.pop(0)
        return self.drs_routes.get((req.method, req.path)) or FakeReply(200)
