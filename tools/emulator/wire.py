"""HTTP/1.1 messages, parsed and written by hand so that faults can reach the
byte level: a response carries a Delivery that says whether it goes out
whole, late, a byte at a time, cut short, or not at all (see listener.py).

Parsing is bounded everywhere (line length, header count and bytes, body
size, chunk sizes) and refuses anything it cannot read with an HttpError
naming the rule; what it can read but a careful client would not send is
noted on the request (see deviations.py) for the service to judge.
"""

import http
import re

MAX_LINE = 8192
MAX_HEADERS = 100
MAX_HEAD = 16384  # request line and all header lines together
NORMAL, RESET, DRIP, TRUNCATE = "normal", "reset", "drip", "truncate"
TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token: methods, header names
DIGITS = re.compile(rb"^[0-9]{1,15}$")  # str.isdigit() would take "²"
HEX = re.compile(rb"^[0-9A-Fa-f]{1,8}$")  # "-1" is no chunk size
BODYLESS = ("GET", "HEAD", "DELETE")
NEEDS_LENGTH = ("POST", "PUT", "PATCH")


class HttpError(Exception):
    """A request the server cannot parse; answered, then the connection is closed.
    `rule` names what was broken (deviations.RULES); `line` is the request line
    when it was read."""

    def __init__(self, status, message, rule, line=None):
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.rule = rule
        self.line = line


class Request:
    def __init__(self, method, target, version, headers, body, deviations=()):
        self.method = method
        self.target = target
        self.path, _, self.query = target.partition("?")
        self.version = version
        self.headers = headers  # lower-case name -> value (repeats joined by ", ")
        self.body = body
        self.listener = None
        self.conn_id = None
        self.deviations = list(deviations)  # (rule, detail): noted, the service judges
        self.strict = False

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def wants_keepalive(self):
        tokens = [t.strip().lower() for t in self.header("connection", "").split(",")]
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens


class Delivery:
    """How the bytes of a response go out: whole, after a delay, a byte at a
    time, cut in half, or not at all (a TCP reset)."""

    def __init__(self, kind=NORMAL, delay=0.0, interval=0.05):
        self.kind = kind
        self.delay = delay
        self.interval = interval


class Response:
    def __init__(self, status, body=b"", headers=(), content_type=None):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = list(headers)
        if content_type:
            self.headers.append(("Content-Type", content_type))
        self.delivery = Delivery()
        self.close = False

    def encode_head(self, keepalive):
        lines = ["HTTP/1.1 %d %s" % (self.status, http.HTTPStatus(self.status).phrase)]
        lines += ["%s: %s" % kv for kv in self.headers]
        lines.append("Content-Length: %d" % len(self.body))
        lines.append("Connection: %s" % ("keep-alive" if keepalive else "close"))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Head:
    """Reads the lines of one request head against the size limits."""

    def __init__(self, reader):
        self.reader = reader
        self.used = 0
        self.line = None

    def readline(self, what):
        line = self.reader.readline(MAX_LINE + 1)
        self.used += len(line)
        if len(line) > MAX_LINE or self.used > MAX_HEAD:
            raise HttpError(414 if what == "request" else 431, "%s line too long, or the "
                            "head over %d bytes" % (what, MAX_HEAD), "header_too_large",
                            self.line)
        if line and not line.endswith(b"\n"):
            return b""  # the client closed in the middle of a line
        return line


def _read_chunked(reader, max_body, line):
    body = b""
    while True:
        size_line = reader.readline(MAX_LINE + 1).split(b";")[0].strip()
        if not HEX.match(size_line):
            raise HttpError(400, "malformed chunk size", "chunk_size", line)
        size = int(size_line, 16)
        if len(body) + size > max_body:
            raise HttpError(413, "request body larger than %d bytes" % max_body,
                            "body_too_large", line)
        if size == 0:
            for _ in range(MAX_HEADERS):
                if reader.readline(MAX_LINE + 1) in (b"\r\n", b"\n", b""):
                    return body
            raise HttpError(431, "too many trailer lines", "header_too_large", line)
        data = reader.read(size)
        if len(data) < size:
            return None
        body += data
        if reader.readline(3) not in (b"\r\n", b"\n"):
            raise HttpError(400, "chunk data longer than its size", "chunk_size", line)


def _headers(head, line):
    headers, lengths = {}, []
    for _ in range(MAX_HEADERS + 1):
        raw = head.readline("header")
        if raw in (b"\r\n", b"\n"):
            return headers, lengths
        if not raw:
            return None, None
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep or not TOKEN.match(name):
            raise HttpError(400, "malformed header line", "malformed_request", line)
        name, value = name.lower(), value.strip()
        if name == "content-length":
            lengths.append(value)
        headers[name] = headers[name] + ", " + value if name in headers else value
    raise HttpError(431, "more than %d header lines" % MAX_HEADERS, "header_too_large", line)


def _body(reader, method, headers, lengths, max_body, send_continue, line, noted):
    if "transfer-encoding" in headers:
        if lengths:
            raise HttpError(400, "both Content-Length and Transfer-Encoding",
                            "transfer_encoding", line)
        if headers["transfer-encoding"].lower() != "chunked":
            raise HttpError(501, "only chunked transfer-encoding is understood",
                            "transfer_encoding", line)
        noted.append(("chunked_body", "the body came chunked"))
        return _read_chunked(reader, max_body, line)
    if not lengths:
        if method in NEEDS_LENGTH:
            noted.append(("missing_content_length", "%s without Content-Length" % method))
        return b""  # a request without a length has no body (RFC 9112 6.3)
    if len(set(lengths)) != 1 or not DIGITS.match(lengths[0].encode("latin-1")):
        raise HttpError(400, "invalid Content-Length", "content_length", line)
    size = int(lengths[0])
    if size > max_body:
        raise HttpError(413, "request body larger than %d bytes" % max_body,
                        "body_too_large", line)
    if size and headers.get("expect", "").lower() == "100-continue":
        send_continue()
    body = reader.read(size)
    return body if len(body) == size else None


def read_request(reader, max_body, send_continue):
    """The next request on a connection, or None when the client closed it."""
    head = _Head(reader)
    line = head.readline("request")
    while line in (b"\r\n", b"\n"):  # RFC 9112: ignore empty lines before a request
        line = head.readline("request")
    if not line:
        return None
    text = line.decode("latin-1").rstrip("\r\n")
    head.line = text
    parts = text.split(" ")
    if len(parts) != 3 or not TOKEN.match(parts[0]) or not parts[1].startswith("/"):
        raise HttpError(400, "malformed request line", "malformed_request", text[:200])
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise HttpError(505, "only HTTP/1.1 is served", "unsupported_version", text)
    noted = []
    if version == "HTTP/1.0":
        noted.append(("http_1_0", "an HTTP/1.0 request"))
    headers, lengths = _headers(head, text)
    if headers is None:
        return None
    if version == "HTTP/1.1" and "host" not in headers:
        raise HttpError(400, "missing Host header (required by HTTP/1.1)", "missing_host", text)
    body = _body(reader, method, headers, lengths, max_body, send_continue, text, noted)
    if body is None:
        return None
    if method in BODYLESS and (body or "transfer-encoding" in headers):
        noted.append(("body_not_allowed", "%s with a body of %d bytes" % (method, len(body))))
    if body and "content-type" not in headers:
        noted.append(("missing_content_type", "a body of %d bytes without Content-Type"
                      % len(body)))
    return Request(method, target, version, headers, body, noted)
