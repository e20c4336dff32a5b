"""Links a device to a customer's Amazon account (Login with Amazon, the
authorization-code grant with PKCE) and hands the device its refresh token.

The customer opens the printed consent URL, signs in and allows; the browser
comes back to a loopback address this tool listens on; the tool trades the
code for tokens and writes `link.json` for the device, which takes the token
into its store at the next boot and deletes the file. Against the emulator,
`--allow` plays the customer and submits the consent form itself.

    python -m tools.link --lwa-url URL --client-id ID --model M --serial S \
        [--test-device] [--cafile CA.pem] [--allow] --out FLASH_DIR
"""

import argparse
import base64
import hashlib
import json
import re
import secrets
import ssl
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

SCOPE = "dash:replenish"
LINK_FILE = "link.json"


class LinkError(Exception):
    pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None  # the redirect carries the code: read it, don't follow it


def _opener(cafile):
    context = ssl.create_default_context(cafile=cafile)
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                       _NoRedirect())


def consent_url(lwa_url, client_id, model, serial, test_device, redirect_uri, state, verifier):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    scope_data = {SCOPE: {"device_model": model, "serial": serial,
                          "is_test_device": test_device}}
    query = urllib.parse.urlencode({
        "client_id": client_id, "scope": SCOPE, "scope_data": json.dumps(scope_data),
        "response_type": "code", "redirect_uri": redirect_uri, "state": state,
        "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256"})
    return lwa_url + "/ap/oa?" + query


def _location(opener, request):
    try:
        opener.open(request)
    except urllib.error.HTTPError as err:
        if err.code in (302, 303) and err.headers.get("Location"):
            return err.headers["Location"]
        raise LinkError("the consent page answered %d: %s" % (err.code, err.read()[:300])) from None
    raise LinkError("the consent page did not send the browser back")


def allow_as_customer(opener, url):
    """What the customer's browser does on the emulator's page: Allow, every product ticked."""
    page = opener.open(url).read().decode()
    ticket = re.search(r"name='ticket' value='([^']+)'", page)
    if not ticket:
        raise LinkError("no consent form on %s" % url.split("?")[0])
    products = re.findall(r"name='subscribe' value='([^']+)'", page)
    customer = re.search(r"<option value='([^']*)'", page)
    form = [("ticket", ticket.group(1)), ("decision", "allow"),
            ("customer_id", customer.group(1) if customer else "")]
    form += [("subscribe", p) for p in products]
    action = url.split("/ap/oa?")[0] + "/ap/oa/consent"
    data = urllib.parse.urlencode(form).encode()
    return _location(opener, urllib.request.Request(action, data=data))


def wait_for_redirect(port):
    """The loopback redirect_uri: the customer's browser brings the code here."""
    got = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            got["url"] = self.path
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"The device is linked. You can close this page.")

        def log_message(self, *args):
            pass  # the query holds the authorization code

    with HTTPServer(("127.0.0.1", port), Handler) as server:
        while "url" not in got:
            server.handle_request()
    return got["url"]


def exchange(opener, lwa_url, client_id, client_secret, code, redirect_uri, verifier):
    form = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": client_id, "client_secret": client_secret, "code_verifier": verifier})
    request = urllib.request.Request(
        lwa_url + "/auth/o2/token", data=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})
    try:
        return json.loads(opener.open(request).read())["refresh_token"]
    except urllib.error.HTTPError as err:
        raise LinkError("Login with Amazon refused the code: %s"
                        % err.read()[:300].decode()) from None


def link(lwa_url, client_id, client_secret, model, serial, test_device=True, cafile=None,
         allow=False, port=8765, show=print):
    """The device's new refresh token (never printed)."""
    opener = _opener(cafile)
    redirect_uri = "http://127.0.0.1:%d/linked" % port
    state, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    url = consent_url(lwa_url, client_id, model, serial, test_device, redirect_uri, state,
                      verifier)
    if allow:
        back = allow_as_customer(opener, url)
    else:
        show("Open this page, sign in to Amazon and allow the device:\n" + url)
        back = wait_for_redirect(port)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))
    if query.get("state") != state:
        raise LinkError("the answer does not belong to this request (state differs)")
    if "error" in query:
        raise LinkError("not linked: %s (%s)" % (query["error"],
                                                 query.get("error_description", "")))
    return exchange(opener, lwa_url, client_id, client_secret, query["code"], redirect_uri,
                    verifier)


def write_link_file(flash_dir, refresh_token):
    path = Path(flash_dir) / LINK_FILE
    path.write_text(json.dumps({"refresh_token": refresh_token}))
    path.chmod(0o600)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lwa-url", default="https://www.amazon.com")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret-file", required=True,
                        help="a file holding the LWA client secret (kept off the command line)")
    parser.add_argument("--model", required=True)
    parser.add_argument("--serial", required=True)
    parser.add_argument("--test-device", action="store_true")
    parser.add_argument("--cafile", help="CA to verify the LWA server with (the emulator's)")
    parser.add_argument("--allow", action="store_true", help="emulator only: act as the customer")
    parser.add_argument("--port", type=int, default=8765, help="loopback port for the redirect")
    parser.add_argument("--out", required=True, help="the device's flash folder for link.json")
    args = parser.parse_args(argv)
    secret = Path(args.client_secret_file).read_text().strip()
    try:
        token = link(args.lwa_url, args.client_id, secret, args.model, args.serial,
                     args.test_device, args.cafile, args.allow, args.port)
    except (LinkError, OSError) as err:
        print("link: %s" % err, file=sys.stderr)
        return 1
    print("linked: wrote %s (copy it to the device)" % write_link_file(args.out, token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
