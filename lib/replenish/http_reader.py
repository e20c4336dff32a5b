# Reads HTTP/1.1 responses from a stream into ONE buffer, allocated once: the
# status line, headers, and a body by Content-Length, chunks or until the
# server closes, all in place; the body is a view of the buffer, parsed as
# JSON without a copy, and valid until the next request.
#
# Why one buffer, allocated once and early: MicroPython's heap never moves an
# object, so a large block needs a hole that size. A fresh body bytearray per
# response (up to the cap) needs a hole that size on every call, and whether one
# is left depends on every small allocation before it: the module names, the
# length of the module search path (the clone's path), the order of imports.
# That made the heap a wake needs jump by kilobytes between runs that differ
# only in those details (issue 13). Allocated while the heap is still whole,
# the buffer costs the same on every call and fragments nothing.
import json
import sys

from replenish import heap
from replenish.http_errors import (
    ConnectionLost,
    OutOfMemory,
    ProtocolError,
    Timeout,
    TooLarge,
    io_error,
)

# MicroPython's json parses any buffer where it lies; CPython's wants bytes.
_parseable = bytes if sys.implementation.name != "micropython" else memoryview
# The smallest buffer worth having: a token or status answer is under 2 KB.
MIN_BUFFER = 2048
LARGE_BODY = 2048  # an answer this long is parsed in the hole heap.py kept for it


def allocate(largest, make=bytearray):
    """A bytearray of `largest` bytes, or of the most the heap can hold when it
    cannot (halving, down to MIN_BUFFER)."""
    size = largest
    while True:
        try:
            return make(size)
        except MemoryError:
            if size <= MIN_BUFFER:
                raise
            size = max(MIN_BUFFER, size // 2)


class Response:
    def __init__(self, status, headers, view, host):
        self.status = status
        self.headers = headers  # lower-case names
        self.host = host
        self._view = view  # into the reader's buffer: released by the next request

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def _body(self):
        if self._view is None:
            raise RuntimeError("a response's body is gone once the next request starts")
        return self._view

    @property
    def body(self):
        """The body as bytes (a copy)."""
        return bytes(self._body())

    def json(self):
        """The body as JSON; ValueError if it is not JSON."""
        body = self._body()
        if len(body) > LARGE_BODY:
            heap.free("parse")  # the hole kept since boot for one large answer (heap.py)
        try:
            return json.loads(_parseable(body))
        except MemoryError as err:
            raise OutOfMemory("parse", self.host, str(err))

    def release(self):
        self._view = None

    def __repr__(self):  # the body may hold tokens
        return "<Response %d, %d bytes>" % (self.status, len(self._view or b""))


class ResponseReader:
    def __init__(self, check_deadline, max_response):
        self.check_deadline = check_deadline  # (step, host): raises Timeout when time is up
        self.max_response = max_response
        try:
            # One byte over the cap: a read that fills it proves the response too large.
            self._buf = heap.take(max_response + 1) or allocate(max_response + 1)
        except MemoryError as err:
            raise OutOfMemory("buffer", "-", str(err))
        self._mv = memoryview(self._buf)
        # What this device can hold: the cap, or less when the heap was short.
        self.room = min(max_response, len(self._buf) - 1)
        self._start = self._end = 0
        self._last = None

    def read(self, conn, host, method):
        """(Response, keep): keep says whether the connection can carry another."""
        if self._last is not None:
            self._last.release()  # its body is about to be overwritten
            self._last = None
        self._start = self._end = 0
        resp, keep = self._receive(conn, host, method)
        self._last = resp
        # Bytes beyond the response are no answer to anything we sent:
        # the server sent more than it announced, so the stream is unusable.
        return resp, keep and self._end == self._start

    def _need(self, host, end):
        """The response needs the buffer up to `end`: refuse it if it can't have it."""
        if end > self.max_response:
            raise TooLarge("read", host, "response larger than %d bytes" % self.max_response)
        if end > self.room:
            raise OutOfMemory("read", host, "response larger than the %d bytes the heap "
                              "could set aside" % self.room)

    def _fill(self, conn, host, first=False):
        """Read more after what is buffered; the number of bytes, 0 at end of stream.
        It may fill the byte past the room: the caller then knows the response
        is too large (TooLarge rather than OutOfMemory once the head announces
        a size beyond the cap)."""
        self._need(host, self._end)
        n = self._read(conn, host, self._mv[self._end:self.room + 1], first)
        self._end += n
        return n

    def _read(self, conn, host, target, first):
        try:
            n = conn.readinto(target)
        except OSError as err:
            raise io_error("read", host, err, first)
        if n is None:
            raise Timeout("read", host, "no data")
        self.check_deadline("read", host)
        return n

    def _line(self, conn, host, first=False):
        while True:
            i = self._buf.find(b"\n", self._start, self._end)
            if i >= 0:
                line = bytes(self._mv[self._start:i])
                self._start = i + 1
                return line[:-1] if line.endswith(b"\r") else line
            first = first and self._end == 0
            if not self._fill(conn, host, first):
                raise ConnectionLost("read", host, "connection closed by the server",
                                     before_response=first)

    def _receive(self, conn, host, method):
        while True:
            status, version = self._status_line(conn, host)
            headers = self._headers(conn, host)
            if not 100 <= status < 200:
                break  # an interim 1xx answer is followed by the real one
        keep = version == b"HTTP/1.1"
        connection = headers.get("connection", "").lower()
        if connection == "close":
            keep = False
        elif connection == "keep-alive":
            keep = True
        at = self._start
        if method == "HEAD" or status in (204, 304):
            end = at
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            end = self._chunked(conn, host)
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise ProtocolError("read", host, "bad Content-Length")
            if length < 0:
                raise ProtocolError("read", host, "bad Content-Length")
            end = self._exact(conn, host, length)
        else:
            end = self._until_closed(conn, host)
            keep = False
        return Response(status, headers, self._mv[at:end], host), keep

    def _status_line(self, conn, host):
        line = self._line(conn, host, first=self._start == 0)
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError("read", host, "not an HTTP/1.x status line")
        return int(parts[1]), parts[0]

    def _headers(self, conn, host):
        headers = {}
        while True:
            line = self._line(conn, host)
            if not line:
                return headers
            colon = line.find(b":")
            if colon <= 0:
                raise ProtocolError("read", host, "malformed header line")
            try:
                headers[line[:colon].decode().strip().lower()] = line[colon + 1:].decode().strip()
            except UnicodeError:
                raise ProtocolError("read", host, "header is not text")

    def _exact(self, conn, host, length):
        """The next `length` bytes, in the buffer from _start; returns their end."""
        end = self._start + length
        self._need(host, end)
        while self._end < end:
            if not self._fill(conn, host):
                raise ConnectionLost("read", host, "body ended after %d of %d bytes"
                                     % (length - (end - self._end), length))
        self._start = end
        return end

    def _chunked(self, conn, host):
        """Chunk data moved down over the size lines, so the body is one run."""
        body_end = self._start
        while True:
            line = self._line(conn, host)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise ProtocolError("read", host, "bad chunk size")
            if size < 0:
                raise ProtocolError("read", host, "bad chunk size")
            if size == 0:
                while self._line(conn, host):
                    pass  # trailers: read and ignored
                return body_end
            n = self._end - self._start  # what was read past the size line
            self._mv[body_end:body_end + n] = self._mv[self._start:self._end]
            self._start, self._end = body_end, body_end + n
            body_end = self._exact(conn, host, size)
            if self._line(conn, host):
                raise ProtocolError("read", host, "chunk longer than announced")

    def _until_closed(self, conn, host):
        while self._fill(conn, host):
            pass
        self._need(host, self._end)
        self._start = self._end
        return self._end
