# The project's own small HTTP/1.1 client over verified TLS.
#
#   http = Http(clock, connector, connect_timeout_s=10, io_timeout_s=10,
#               request_timeout_s=30, max_response=8192)
#   resp = http.request(method, url, headers=None, body=b"")  # -> Response
#   resp.status, resp.header(name, default=None), resp.body, resp.json()
#   (the body lives in the client's one buffer until the next request)
#   http.close()                     # at the end of a wake
#   http.connections, http.handshakes, http.requests   # for the energy budget
#
# One kept-alive connection per host and port, reused for every call of a
# wake; when the server has closed it meanwhile, it is reopened once,
# transparently. Redirects are returned, never followed. A response larger
# than max_response (headers included) is refused, so a hostile server cannot
# exhaust the heap. Every failure is an HttpError whose .step says where:
# dns, connect, handshake, write, read, parse. Running out of heap anywhere
# is OutOfMemory, never a bare MemoryError and never mistaken for an outage.
#
# Errors: replenish.http_errors; the response parser: replenish.http_reader.
# The sockets come from a connector (connector.py on the device, the fakes of
# tools/sim/net.py in tests): resolve(host, port), connect(addr, timeout_s),
# wrap(sock, host, timeout_s) -> stream with readinto(buf), write(buf), close()
# and .handshaking: True while its handshake is still to finish, which then
# happens within the first write (MicroPython's ssl has no handshake call).
import gc

from replenish.http_errors import (
    ConnectionLost,
    HttpError,
    OutOfMemory,
    Timeout,
    handshake_error,
    io_error,
    is_timeout,
)
from replenish.http_reader import ResponseReader

# The largest answer the service documents is LWA's token grant: an access
# token of up to 2048 bytes and a ~460-character refresh token in under 3 KB
# of JSON (drs-api.md); subscription info for eight slots with their products
# is under 2 KB. Every byte of the cap is held for the whole wake, and parsing
# an answer at the cap takes about twice its size again (heap.py): 4 KB.
MAX_RESPONSE = 4096  # (heap.BUFFER is this + 1)
UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
HEX = b"0123456789ABCDEF"


def quote(text):
    """Percent-encode everything but RFC 3986's unreserved characters: for a
    path segment or a form-encoded value."""
    out = bytearray()
    for byte in text.encode():
        if byte in UNRESERVED:
            out.append(byte)
        else:
            out.append(37)  # "%"
            out.append(HEX[byte >> 4])
            out.append(HEX[byte & 15])
    return out.decode()


def split_url(url):
    """'https://host[:port]/path' -> (host, port, path). Plain http is refused."""
    if not url.startswith("https://"):
        raise ValueError("only https:// URLs are allowed")
    rest = url[8:]
    cut = rest.find("/")
    hostport, path = (rest, "/") if cut < 0 else (rest[:cut], rest[cut:])
    host, port = hostport, 443
    colon = hostport.rfind(":")
    if colon >= 0:
        host, port = hostport[:colon], int(hostport[colon + 1:])
    if not host:
        raise ValueError("URL without a host")
    return host, port, path


class Http:
    def __init__(self, clock, connector, connect_timeout_s=10, io_timeout_s=10,
                 request_timeout_s=30, max_response=MAX_RESPONSE):
        self.clock = clock
        self.connector = connector
        self.connect_timeout_s = connect_timeout_s
        self.io_timeout_s = io_timeout_s
        self.request_timeout_s = request_timeout_s
        # Built with the client, while the heap is still whole: see http_reader.
        self._reader = ResponseReader(self._check_deadline, max_response)
        self._step = None  # where a request is: for the step of an OutOfMemory
        self._conns = {}
        self.connections = 0
        self.handshakes = 0
        self.requests = 0

    def __repr__(self):
        return "<Http %d open, %d requests>" % (len(self._conns), self.requests)

    def close(self):
        for key in list(self._conns):
            self._drop(key)

    def _drop(self, key):
        conn = self._conns.pop(key, None)
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass  # closing a dead socket: nothing left to do

    # -- connecting ------------------------------------------------------

    def _check_deadline(self, step, host):
        spent = self.clock.ticks_diff(self.clock.ticks_ms(), self._began)
        if spent > self.request_timeout_s * 1000:
            raise Timeout(step, host, "no answer within %d s" % self.request_timeout_s)

    def _open(self, host, port):
        self._step = "dns"
        try:
            addr = self.connector.resolve(host, port)
        except OSError as err:
            raise (Timeout if is_timeout(err) else HttpError)("dns", host, str(err))
        # getaddrinfo takes no timeout on either interpreter (lwIP bounds it on
        # the ESP32): the request's deadline is checked as soon as it returns.
        self._check_deadline("dns", host)
        self._step = "connect"
        try:
            sock = self.connector.connect(addr, self.connect_timeout_s)
        except OSError as err:
            raise (Timeout if is_timeout(err) else HttpError)("connect", host, str(err))
        self.connections += 1
        self._check_deadline("connect", host)
        self._step = "handshake"
        try:
            conn = self.connector.wrap(sock, host, self.io_timeout_s)
        except Exception as err:  # ssl raises OSError, ValueError or SSLError by port
            try:
                sock.close()
            except OSError:
                pass  # the handshake error is the one worth reporting
            raise handshake_error(host, err)
        self.handshakes += 1
        self._conns[(host, port)] = conn
        return conn

    # -- one exchange ----------------------------------------------------

    def request(self, method, url, headers=None, body=b""):
        host, port, path = split_url(url)
        if isinstance(body, str):
            body = body.encode()
        lines = ["%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n" % (
            method, path, host if port == 443 else "%s:%d" % (host, port), len(body))]
        for name in headers or ():
            value = headers[name]
            if "\n" in value or "\r" in value:  # a header must not smuggle in another
                raise ValueError("line break in header %s" % name)
            lines.append("%s: %s\r\n" % (name, value))
        lines.append("\r\n")
        head = "".join(lines).encode()
        lines = None
        self._began = self.clock.ticks_ms()
        key = (host, port)
        reused = key in self._conns
        try:
            return self._exchange(key, head, body, method)
        except ConnectionLost as err:
            # A kept-alive connection the server closed while we slept:
            # nothing was answered, so the request was not handled. Once.
            if not (reused and err.before_response):
                raise
        return self._exchange(key, head, body, method)

    def _exchange(self, key, head, body, method):
        host = key[0]
        try:
            conn = self._conns.get(key) or self._open(host, key[1])
            self.requests += 1
            # One write, so one TLS record and one TCP segment: a body sent
            # apart waits on Nagle's algorithm for the server's delayed ACK.
            self._write(conn, host, head + body if body else head)
            self._step = "read"
            resp, keep = self._reader.read(conn, host, method)
        except HttpError:
            self._drop(key)
            raise
        except MemoryError as err:
            self._drop(key)  # whatever state the stream was left in
            gc.collect()  # room for the caller to log and save its readings
            raise OutOfMemory(self._step, host, str(err))
        if not keep:
            self._drop(key)
        return resp

    def _write(self, conn, host, data):
        mv = memoryview(data)
        sent = 0
        while sent < len(data):
            self._step = "handshake" if conn.handshaking else "write"
            try:
                n = conn.write(mv[sent:])
            except Exception as err:  # the handshake's failures are ssl's kinds
                if conn.handshaking:
                    raise handshake_error(host, err)
                self._step = "write"
                if not isinstance(err, OSError):
                    raise
                raise io_error("write", host, err, True)
            if not n:
                raise Timeout(self._step, host, "socket not writable")
            sent += n
            self._check_deadline(self._step, host)
