"""HTTP/1.1 messages, parsed and written by hand so that faults can reach the
byte level: a response carries a Delivery that says whether it goes out
whole, late, a byte at a time, cut short, or not at all (see listener.py).
"""

import http

MAX_LINE = 8192
MAX_HEADERS = 100
NORMAL, RESET, DRIP, TRUNCATE = "normal", "reset", "drip", "truncate"


class HttpError(Exception):
    """A request the server cannot parse; answered, then the connection is closed."""

    def __init__(self, status, message):
        Exception.__init__(self, message)
        self.status = status
        self.message = message


class Request:
    def __init__(self, method, target, version, headers, body):
        self.method = method
        self.target = target
        self.path, _, self.query = target.partition("?")
        self.version = version
        self.headers = headers  # lower-case name -> value (repeats joined by ", ")
        self.body = body
        self.listener = None
        self.conn_id = None

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


def _readline(reader, what):
    line = reader.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise HttpError(431 if what == "header" else 414, "%s line too long" % what)
    return line


def _read_chunked(reader, max_body):
    body = b""
    while True:
        size_line = _readline(reader, "chunk").split(b";")[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise HttpError(400, "malformed chunk size") from None
        if len(body) + size > max_body:
            raise HttpError(413, "request body larger than %d bytes" % max_body)
        if size == 0:
            while _readline(reader, "trailer") not in (b"\r\n", b"\n", b""):
                pass
            return body
        body += reader.read(size)
        reader.readline(3)


def read_request(reader, max_body, send_continue):
    """The next request on a connection, or None when the client closed it."""
    line = _readline(reader, "request")
    while line in (b"\r\n", b"\n"):  # RFC 9112: ignore empty lines before a request
        line = _readline(reader, "request")
    if not line:
        return None
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3 or not parts[1].startswith("/"):
        raise HttpError(400, "malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise HttpError(505, "only HTTP/1.1 and HTTP/1.0 are served")
    headers, lengths = {}, []
    for _ in range(MAX_HEADERS + 1):
        raw = _readline(reader, "header")
        if raw in (b"\r\n", b"\n"):
            break
        if not raw:
            return None
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep or not name or name != name.strip():
            raise HttpError(400, "malformed header line")
        name, value = name.lower(), value.strip()
        if name == "content-length":
            lengths.append(value)
        headers[name] = headers[name] + ", " + value if name in headers else value
    else:
        raise HttpError(431, "more than %d header lines" % MAX_HEADERS)
    if version == "HTTP/1.1" and "host" not in headers:
        raise HttpError(400, "missing Host header (required by HTTP/1.1)")
    if "transfer-encoding" in headers:
        if lengths:
            raise HttpError(400, "both Content-Length and Transfer-Encoding")
        if headers["transfer-encoding"].lower() != "chunked":
            raise HttpError(501, "only chunked transfer-encoding is understood")
        body = _read_chunked(reader, max_body)
    elif lengths:
        if len(set(lengths)) != 1 or not lengths[0].isdigit():
            raise HttpError(400, "invalid Content-Length")
        size = int(lengths[0])
        if size > max_body:
            raise HttpError(413, "request body larger than %d bytes" % max_body)
        if size and headers.get("expect", "").lower() == "100-continue":
            send_continue()
        body = reader.read(size)
        if len(body) < size:
            return None
    else:
        body = b""  # a request without a length has no body (RFC 9112 6.3)
    return Request(method, target, version, headers, body)
