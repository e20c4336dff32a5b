"""Links a device to a customer's Amazon account (Login with Amazon, the
authorization-code grant with PKCE) and hands the device its refresh token.

The customer opens the printed consent page in a browser, signs in and
allows; the browser comes back to a loopback address this tool listens on
(RFC 8252); the tool trades the code for tokens at the token endpoint and
writes `link.json` into the device's folder. The device takes the token into
its store at its next boot and deletes the file. Against the emulator,
`--allow` plays the customer and submits the consent form itself.

    python -m tools.link --region eu --client-id ID --client-secret-file F \
        --model M --serial S [--test-device] --out DEVICE_FOLDER
"""

import argparse
import base64
import hashlib
import html
import json
import re
import secrets
import ssl
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

LIB = str(Path(__file__).resolve().parent.parent / "lib")
if LIB not in sys.path:
    sys.path.insert(0, LIB)  # `python -m tools.link` from a fresh clone, no PYTHONPATH
from replenish.config import ID_CHARS  # noqa: E402  (the device's own rule for ids)

SCOPE = "dash:replenish"
LINK_FILE = "link.json"
REDIRECT_PATH = "/linked"
WAIT_S = 600  # an authorization code lives minutes; nobody waits longer than this
# Login with Amazon's consent page and token endpoint per region. Sources:
# developer.amazon.com/docs/login-with-amazon/authorization-code-grant.html
# (consent page www.amazon.com/ap/oa) and
# developer.amazon.com/docs/amazon-data-portability/lwa-access-token.html
# (token endpoints api.amazon.com, api.amazon.co.uk, api.amazon.co.jp); the EU
# and FE consent pages are the same path on www.amazon.co.uk and
# www.amazon.co.jp, as Amazon's Advertising API onboarding pages list them.
REGIONS = {
    "na": ("https://www.amazon.com/ap/oa", "https://api.amazon.com/auth/o2/token"),
    "eu": ("https://www.amazon.co.uk/ap/oa", "https://api.amazon.co.uk/auth/o2/token"),
    "fe": ("https://www.amazon.co.jp/ap/oa", "https://api.amazon.co.jp/auth/o2/token"),
}


class LinkError(Exception):
    """Why linking stopped, in one line a maker can act on."""


def endpoints(region="na", lwa_url=None, consent_url=None, token_url=None):
    """(consent page, token endpoint): the region's, or one base URL serving
    both (the emulator), each replaceable on its own."""
    if lwa_url:
        consent, token = lwa_url.rstrip("/") + "/ap/oa", lwa_url.rstrip("/") + "/auth/o2/token"
    else:
        consent, token = REGIONS[region]
    return consent_url or consent, token_url or token


def check_ident(what, value):
    if not 1 <= len(value) <= 64 or any(c not in ID_CHARS for c in value):
        raise LinkError("%s %r must be 1 to 64 characters of A-Z a-z 0-9 - + _"
                        % (what, value))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None  # the redirect carries the code: read it, don't follow it


def _opener(cafile):
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as err:
        raise LinkError("cannot load the CA file %s: %s" % (cafile, _reason(err))) from None
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                       _NoRedirect())


def _reason(err):
    return getattr(err, "strerror", None) or getattr(err, "reason", None) or str(err)


def _host(url):
    parts = urllib.parse.urlsplit(url)
    return "%s://%s" % (parts.scheme, parts.netloc)


def _page_text(body):
    """What an HTML error page says, without its markup."""
    text = re.sub(r"<[^>]+>", " ", body.decode("utf-8", "replace"))
    return " ".join(html.unescape(text).split())[:200]


def _open(opener, request):
    """The response, or a LinkError naming the host and what went wrong."""
    url = request if isinstance(request, str) else request.full_url
    try:
        return opener.open(request, timeout=30)
    except urllib.error.HTTPError:
        raise
    except urllib.error.URLError as err:
        raise LinkError("cannot reach %s: %s" % (_host(url), _reason(err))) from None
    except OSError as err:
        raise LinkError("cannot reach %s: %s" % (_host(url), _reason(err))) from None


def build_consent_url(consent, client_id, model, serial, test_device, redirect_uri, state,
                      verifier):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    scope_data = {SCOPE: {"device_model": model, "serial": serial,
                          "is_test_device": test_device}}
    query = urllib.parse.urlencode({
        "client_id": client_id, "scope": SCOPE, "scope_data": json.dumps(scope_data),
        "response_type": "code", "redirect_uri": redirect_uri, "state": state,
        "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256"})
    return consent + "?" + query


def _location(opener, request):
    try:
        _open(opener, request)
    except urllib.error.HTTPError as err:
        if err.code in (302, 303) and err.headers.get("Location"):
            return err.headers["Location"]
        raise LinkError("the consent page answered %d: %s"
                        % (err.code, _page_text(err.read()))) from None
    raise LinkError("the consent page did not send the browser back")


def allow_as_customer(opener, url, decision="allow"):
    """What the customer's browser does on the emulator's page: the decision,
    every product ticked."""
    try:
        page = _open(opener, url).read().decode()
    except urllib.error.HTTPError as err:
        if err.code in (302, 303) and err.headers.get("Location"):
            return err.headers["Location"]  # sent straight back: the request was refused
        raise LinkError("the consent page refused the request (%d): %s"
                        % (err.code, _page_text(err.read()))) from None
    ticket = re.search(r"name='ticket' value='([^']+)'", page)
    if not ticket:
        raise LinkError("no consent form on %s" % url.split("?")[0])
    products = re.findall(r"name='subscribe' value='([^']+)'", page)
    customer = re.search(r"<option value='([^']*)'", page)
    form = [("ticket", ticket.group(1)), ("decision", decision),
            ("customer_id", customer.group(1) if customer else "")]
    form += [("subscribe", p) for p in products]
    action = urllib.parse.urljoin(url, "/ap/oa/consent")
    data = urllib.parse.urlencode(form).encode()
    return _location(opener, urllib.request.Request(action, data=data))


class LoopbackListener:
    """The redirect_uri on 127.0.0.1 (RFC 8252 7.3): the customer's browser
    brings the authorization code here. Port 0 picks a free port."""

    def __init__(self, port=0):
        got = self.got = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                if parts.path != REDIRECT_PATH or not ("code" in query or "error" in query):
                    self.send_error(404)  # a favicon, a stray tab: not the answer
                    return
                got.setdefault("query", query)
                body = ("Not linked: %s. See the terminal." % query["error"]
                        if "error" in query else
                        "The answer reached the link tool; it finishes in the terminal. "
                        "You can close this page.")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass  # the query holds the authorization code

        try:
            self.server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as err:
            raise LinkError("cannot listen on 127.0.0.1:%d for the browser: %s"
                            % (port, _reason(err))) from None
        self.redirect_uri = "http://127.0.0.1:%d%s" % (self.server.server_port, REDIRECT_PATH)

    def wait(self, timeout=WAIT_S):
        """The redirect's query parameters, once the browser brings them."""
        done = threading.Event()
        timer = threading.Timer(timeout, done.set)
        timer.start()
        self.server.timeout = 0.5
        try:
            while "query" not in self.got and not done.is_set():
                self.server.handle_request()
        finally:
            timer.cancel()
            self.server.server_close()
        if "query" not in self.got:
            raise LinkError("no answer from the browser within %d s: run the tool again"
                            % timeout)
        return self.got["query"]


def _token_error(err):
    try:
        body = json.loads(err.read())
        error, description = body.get("error", ""), body.get("error_description", "")
    except ValueError:
        error, description = "", ""
    if error == "invalid_client":
        return ("Login with Amazon does not accept this client id and secret (invalid_client):"
                " check --client-id and the secret file")
    return "Login with Amazon refused the code (%d %s): %s" % (err.code, error, description)


def exchange(opener, token_url, client_id, client_secret, code, redirect_uri, verifier):
    form = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": client_id, "client_secret": client_secret, "code_verifier": verifier})
    request = urllib.request.Request(
        token_url, data=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})
    try:
        reply = _open(opener, request).read()
    except urllib.error.HTTPError as err:
        raise LinkError(_token_error(err)) from None
    try:
        return json.loads(reply)["refresh_token"]
    except (ValueError, KeyError, TypeError):
        raise LinkError("the token endpoint %s answered without a refresh token"
                        % token_url) from None


def _say(text):
    print(text, flush=True)  # the customer needs the page now, even through a pipe


def _answer(query, state):
    if query.get("state") != state:
        raise LinkError("the answer does not belong to this request (state differs)")
    if query.get("error") == "access_denied":
        raise LinkError("not linked: the customer denied the request (access_denied)")
    if "error" in query:
        raise LinkError("not linked: %s (%s)" % (query["error"],
                                                 query.get("error_description", "")))
    if not query.get("code"):
        raise LinkError("the answer carries no authorization code")
    return query["code"]


def link(lwa_url, client_id, client_secret, model, serial, test_device=True, cafile=None,
         allow=False, port=8765, show=None, region="na", consent_url=None, token_url=None,
         decision="allow", wait_s=WAIT_S):
    """The device's new refresh token (never printed). `lwa_url` is one base
    URL serving both endpoints (the emulator); None takes the region's."""
    check_ident("model", model)
    check_ident("serial", serial)
    consent, token = endpoints(region, lwa_url, consent_url, token_url)
    opener = _opener(cafile)
    state, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    listener = None if allow else LoopbackListener(port)
    redirect_uri = listener.redirect_uri if listener else "http://127.0.0.1:%d%s" % (
        port, REDIRECT_PATH)
    url = build_consent_url(consent, client_id, model, serial, test_device, redirect_uri, state,
                      verifier)
    if allow:
        back = allow_as_customer(opener, url, decision)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))
    else:
        (show or _say)("Open this page, sign in to Amazon and allow the device:\n" + url)
        query = listener.wait(wait_s)
    code = _answer(query, state)
    return exchange(opener, token, client_id, client_secret, code, redirect_uri, verifier)


def write_link_file(folder, refresh_token):
    folder = Path(folder)
    if not folder.is_dir():
        raise LinkError("%s is not a folder: make the device's folder first" % folder)
    path = folder / LINK_FILE
    path.write_text(json.dumps({"refresh_token": refresh_token}))
    path.chmod(0o600)
    return path


def config_mismatch(folder, token):
    """A warning when the device's config.json would refresh its token at
    another Login with Amazon host than the one that issued it."""
    path = Path(folder) / "config.json"
    try:
        service = json.loads(path.read_text()).get("service", {})
    except (OSError, ValueError, AttributeError):
        return None
    device_lwa = service.get("lwa_url", "https://api.amazon.com")
    if isinstance(device_lwa, str) and _host(device_lwa) != _host(token):
        return ("warning: %s has service.lwa_url %s, but this token comes from %s: set "
                "\"lwa_url\": \"%s\" there" % (path, device_lwa, _host(token), _host(token)))
    return None


def read_client_secret(name):
    """The LWA client secret from a file: the device's secrets.json (its
    "client_secret"), or a file holding nothing but the secret."""
    try:
        text = Path(name).read_text().strip()
    except OSError as err:
        raise LinkError("cannot read the client secret file %s: %s"
                        % (name, _reason(err))) from None
    try:
        data = json.loads(text)
    except ValueError:
        data = text
    secret = data.get("client_secret") if isinstance(data, dict) else data
    if not isinstance(secret, str) or not secret:
        raise LinkError("%s holds no client secret (a \"client_secret\" in secrets.json, "
                        "or the secret alone)" % name)
    return secret


def parser():
    p = argparse.ArgumentParser(
        description=" ".join(__doc__.split("\n\n")[0].split()),
        epilog="The consent page and token endpoint default to the region's; "
               "regions: " + ", ".join("%s (%s, %s)" % ((r,) + REGIONS[r]) for r in REGIONS))
    p.add_argument("--region", choices=sorted(REGIONS), default="na",
                   help="the customer's Amazon region (default: %(default)s)")
    p.add_argument("--consent-url", help="consent page instead of the region's "
                   "(the emulator: https://localhost:PORT/ap/oa)")
    p.add_argument("--token-url", help="token endpoint instead of the region's "
                   "(the emulator: https://localhost:PORT/auth/o2/token)")
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret-file",
                   help="the LWA client secret, kept off the command line: a secrets.json "
                        "with \"client_secret\", or a file holding only the secret "
                        "(default: the device folder's secrets.json)")
    p.add_argument("--model", required=True, help="the DRS device model id")
    p.add_argument("--serial", required=True, help="this device's serial number")
    p.add_argument("--test-device", action="store_true",
                   help="register as a test device: orders are test orders, nobody pays")
    p.add_argument("--cafile", help="CA to verify the LWA servers with (the emulator's ca.pem)")
    p.add_argument("--allow", action="store_true", help="emulator only: act as the customer")
    p.add_argument("--port", type=int, default=8765,
                   help="loopback port for the browser's redirect; register "
                        "http://127.0.0.1:PORT/linked as an allowed return URL "
                        "(default: %(default)s; 0 picks a free one)")
    p.add_argument("--out", required=True, help="the device's folder, where link.json goes")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if not Path(args.out).is_dir():
            raise LinkError("%s is not a folder: make the device's folder first" % args.out)
        secret = read_client_secret(args.client_secret_file
                                    or str(Path(args.out) / "secrets.json"))
        token = link(None, args.client_id, secret, args.model, args.serial,
                     args.test_device, args.cafile, args.allow, args.port, region=args.region,
                     consent_url=args.consent_url, token_url=args.token_url)
        path = write_link_file(args.out, token)
    except LinkError as err:
        print("link: %s" % err, file=sys.stderr)
        return 2
    print("linked: wrote %s (deploy it with the device's files)" % path)
    warning = config_mismatch(args.out, endpoints(args.region, None, args.consent_url,
                                                  args.token_url)[1])
    if warning:
        print(warning, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
