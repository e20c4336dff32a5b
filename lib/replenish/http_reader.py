# Reads HTTP/1.1 responses from a stream into one reused buffer: the status
# line, headers, and a body by Content-Length, chunks or until the server
# closes; never more than max_response bytes in all (headers included).
import json

from replenish.http_errors import ConnectionLost, ProtocolError, Timeout, TooLarge, io_error


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        """The body as JSON; ValueError if it is not JSON."""
        return json.loads(self.body)

    def __repr__(self):
        return "<Response %d, %d bytes>" % (self.status, len(self.body))  # the body may hold tokens


class ResponseReader:
    def __init__(self, check_deadline, max_response, buffer_size):
        self.check_deadline = check_deadline  # (step, host): raises Timeout when time is up
        self.max_response = max_response
        self._buf = bytearray(buffer_size)  # empty between responses
        self._mv = memoryview(self._buf)
        self._start = self._end = 0
        self._size = 0

    def read(self, conn, host, method):
        """(Response, keep): keep says whether the connection can carry another."""
        self._start = self._end = 0
        try:
            resp, keep = self._receive(conn, host, method)
            # Bytes beyond the response are no answer to anything we sent:
            # the server sent more than it announced, so the stream is unusable.
            return resp, keep and self._end == self._start
        finally:
            self._start = self._end = 0

    def _fill(self, conn, host, first):
        """Read more into the buffer; the number of bytes, 0 at end of stream."""
        if self._start == self._end:
            self._start = self._end = 0
        elif self._start > 0:  # move the unread tail to the front
            n = self._end - self._start
            self._mv[:n] = self._mv[self._start:self._end]
            self._start, self._end = 0, n
        if self._end == len(self._buf):
            raise ProtocolError("read", host, "header line longer than the buffer")
        n = self._read(conn, host, self._mv[self._end:], first)
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
                self._count(host, len(line) + 1)
                return line[:-1] if line.endswith(b"\r") else line
            first = first and self._end == self._start
            if not self._fill(conn, host, first):
                raise ConnectionLost("read", host, "connection closed by the server",
                                     before_response=first)

    def _count(self, host, n):
        self._size += n
        if self._size > self.max_response:
            raise TooLarge("read", host, "response larger than %d bytes" % self.max_response)

    def _receive(self, conn, host, method):
        self._size = 0
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
        if method == "HEAD" or status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunked(conn, host)
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise ProtocolError("read", host, "bad Content-Length")
            if length < 0:
                raise ProtocolError("read", host, "bad Content-Length")
            self._count(host, length)
            body = bytearray(length)
            self._exact(conn, host, memoryview(body))
        else:
            body = self._until_closed(conn, host)
            keep = False
        return Response(status, headers, body), keep

    def _status_line(self, conn, host):
        line = self._line(conn, host, first=self._size == 0)
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

    def _exact(self, conn, host, target):
        """Fill target: first from the buffer, then straight from the socket."""
        got = min(len(target), self._end - self._start)
        target[:got] = self._mv[self._start:self._start + got]
        self._start += got
        while got < len(target):
            n = self._read(conn, host, target[got:], False)
            if not n:
                raise ConnectionLost("read", host, "body ended after %d of %d bytes"
                                     % (got, len(target)))
            got += n

    def _chunked(self, conn, host):
        body = bytearray()
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
                return body
            self._count(host, size)
            old = len(body)
            body.extend(bytes(size))
            self._exact(conn, host, memoryview(body)[old:])
            if self._line(conn, host):
                raise ProtocolError("read", host, "chunk longer than announced")

    def _until_closed(self, conn, host):
        body = bytearray(self._mv[self._start:self._end])
        self._count(host, len(body))
        self._start = self._end = 0
        while True:
            n = self._read(conn, host, self._mv, False)
            if not n:
                return body
            self._count(host, n)
            body.extend(self._mv[:n])
