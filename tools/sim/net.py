# A fake network for replenish.http: the connector calls (resolve, connect,
# wrap) backed by scripted servers, and sockets that misbehave on demand —
# short reads, slow drips, resets, wrong Content-Length, endless bodies,
# silent idle closes, timeouts on every step. Time passes on the board's
# virtual clock.
# Runs under CPython and the MicroPython unix port.
#
#   net = FakeNet(clock, read_size=None, drip_ms=0, lazy_handshake=False)
#   net.serve("api.amazon.com", 443, handler)   # handler(FakeRequest) -> FakeReply
#   net.fail("handshake", "cert")               # the next handshake fails
# lazy_handshake: as MicroPython's ssl, the handshake finishes within the
# stream's first write (and fails there), not in wrap().
#   Http(clock, net)
import errno

ECONNREFUSED = 111
CERT_VERIFY_FAILED = -9984  # mbedTLS's code, as MicroPython raises it
SSL_ALLOC_FAILED = -0x7F00  # mbedTLS could not get its buffers (the ESP32's IDF heap)


class FakeRequest:
    def __init__(self, head, body):
        lines = head.decode().split("\r\n")
        self.method, self.path, self.version = lines[0].split(" ")
        self.headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            self.headers[name.strip().lower()] = value.strip()
        self.body = body

    def json(self):
        import json

        return json.loads(self.body)


class FakeReply:
    """What the server sends, and how it misbehaves while sending it.

    length: the Content-Length announced (default: the true one; None with
    no_length omits it: the body then ends when the server closes).
    chunked: send the body in chunks of this many bytes.
    close: "Connection: close" and close after the reply.
    drop_after: close silently after the reply, as an idle server does.
    endless: after the head, body bytes that never end.
    reset_after: the connection resets after this many bytes of the reply.
    stall_after: after this many bytes nothing more arrives (reads time out).
    """

    def __init__(self, status=200, body=b"", headers=None, length=-1, no_length=False,
                 chunked=0, close=False, drop_after=False, endless=False,
                 reset_after=None, stall_after=None):
        if isinstance(body, str):
            body = body.encode()
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.length = len(body) if length == -1 else length
        self.no_length = no_length
        self.chunked = chunked
        self.close = close
        self.drop_after = drop_after
        self.endless = endless
        self.reset_after = reset_after
        self.stall_after = stall_after

    def raw(self):
        head = ["HTTP/1.1 %d X\r\n" % self.status]
        for name in self.headers:
            head.append("%s: %s\r\n" % (name, self.headers[name]))
        if self.close:
            head.append("Connection: close\r\n")
        if self.chunked:
            head.append("Transfer-Encoding: chunked\r\n")
            body = bytearray()  # one growing buffer: a list of hundreds of pieces fragments
            for i in range(0, len(self.body), self.chunked):  # MicroPython's heap
                piece = self.body[i:i + self.chunked]
                body += b"%x\r\n" % len(piece)
                body += piece
                body += b"\r\n"
            body += b"0\r\n\r\n"
        else:
            if not self.no_length and not self.endless:
                head.append("Content-Length: %d\r\n" % self.length)
            body = self.body
        return "".join(head).encode() + b"\r\n" + body


class FakeTcp:
    """A connected TCP socket, before TLS."""

    def __init__(self, addr):
        self.addr = addr
        self.closed = False

    def close(self):
        self.closed = True


class FakeSocket:
    def __init__(self, net, host, port, timeout_s, tls_host, handshaking):
        self.net = net
        self.host = host
        self.tls_host = tls_host  # the name the client expects on the certificate
        self.handshaking = handshaking
        self.handler = net.hosts[(host, port)]
        self.timeout_s = timeout_s
        self.inbox = b""
        self.out = b""  # what the server sent and the client has not read, from self.at
        self.at = 0
        self.sent = 0  # bytes of the current reply handed out
        self.reply = None
        self.dead = False  # the server closed its end
        self.closed = False

    def write(self, data):
        if self.closed:
            raise OSError(errno.EBADF, "closed")
        if self.handshaking:
            self.net._handshake(self.tls_host, self.host)
            self.handshaking = False
        self.net._fault("write")
        if self.dead and self.net.dead_write_resets:
            raise OSError(errno.ECONNRESET, "reset")
        self.inbox += bytes(data)
        end = self.inbox.find(b"\r\n\r\n")
        if end >= 0:
            head = self.inbox[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if len(self.inbox) >= end + 4 + length:
                request = FakeRequest(head, self.inbox[end + 4:end + 4 + length])
                self.inbox = self.inbox[end + 4 + length:]
                if not self.dead:  # a closed server never sees it
                    self.net.requests.append(request)
                    self.reply = self.handler(request)
                    self.out = self.out[self.at:] + self.reply.raw()
                    self.at = 0
                    self.sent = 0
        return len(data)

    def _timeout(self):
        self.net.clock.advance(self.timeout_s)
        raise OSError(errno.ETIMEDOUT, "timed out")

    def readinto(self, buf):
        if self.closed:
            raise OSError(errno.EBADF, "closed")
        reply = self.reply
        if reply is not None and reply.reset_after is not None and self.sent >= reply.reset_after:
            self.dead = True
            raise OSError(errno.ECONNRESET, "reset")
        if reply is not None and reply.stall_after is not None and self.sent >= reply.stall_after:
            self._timeout()
        if self.at == len(self.out):
            if reply is not None and reply.endless:
                self.out, self.at = b"x" * 256, 0
            elif self.dead or (reply is not None and (reply.close or reply.no_length)):
                self.dead = True
                return 0
            else:
                self._timeout()  # the server waits for a request that is not coming
        n = min(len(buf), len(self.out) - self.at)
        if reply is not None and reply.reset_after is not None:
            n = min(n, reply.reset_after - self.sent)
        if reply is not None and reply.stall_after is not None:
            n = min(n, reply.stall_after - self.sent)
        if self.net.read_size:
            n = min(n, self.net.read_size)
        # An offset, not a slice: one-byte reads of a 6 KB reply would copy it
        # 6000 times in the device's heap under MicroPython.
        buf[:n] = memoryview(self.out)[self.at:self.at + n]
        self.at += n
        self.sent += n
        if self.net.drip_ms:
            self.net.clock.sleep_ms(self.net.drip_ms)
        if self.at == len(self.out) and reply is not None and reply.drop_after:
            self.dead = True
        return n

    def close(self):
        self.closed = True


class FakeNet:
    def __init__(self, clock, read_size=None, drip_ms=0, lazy_handshake=False):
        self.clock = clock
        self.lazy_handshake = lazy_handshake
        self.read_size = read_size  # hand out at most this many bytes per read
        self.drip_ms = drip_ms  # time each read takes
        self.dead_write_resets = False  # a write to a closed connection: reset, or EOF later
        self.hosts = {}
        self.faults = []
        self.requests = []
        self.connections = 0
        self.handshakes = 0

    def serve(self, host, port, handler):
        self.hosts[(host, port)] = handler

    def fail(self, step, kind="timeout", seconds=0):
        """The next dns/connect/handshake/write step fails: timeout (after
        `seconds`), refused, cert, reset, memory (MicroPython's heap is full),
        alloc (mbedTLS can't get its buffers), or slow (takes `seconds`, then
        works)."""
        self.faults.append((step, kind, seconds))

    def _fault(self, step):
        for fault in self.faults:
            if fault[0] == step:
                self.faults.remove(fault)
                kind = fault[1]
                if kind == "slow":
                    self.clock.advance(fault[2])
                elif kind == "timeout":
                    self.clock.advance(fault[2])
                    raise OSError(errno.ETIMEDOUT, "timed out")
                elif kind == "refused":
                    raise OSError(ECONNREFUSED, "connection refused")
                elif kind == "cert":
                    raise OSError(CERT_VERIFY_FAILED, "certificate verify failed")
                elif kind == "reset":
                    raise OSError(errno.ECONNRESET, "reset")
                elif kind == "memory":
                    raise MemoryError("memory allocation failed, allocating 16384 bytes")
                elif kind == "alloc":
                    raise OSError(SSL_ALLOC_FAILED, "MBEDTLS_ERR_SSL_ALLOC_FAILED")
                else:
                    raise OSError(errno.EIO, kind)
                return

    def resolve(self, host, port):
        self._fault("dns")
        if (host, port) not in self.hosts:
            raise OSError(-2, "unknown host %s" % host)
        return (host, port)

    def connect(self, addr, timeout_s):
        self._fault("connect")
        self.connections += 1
        return FakeTcp(addr)

    def wrap(self, tcp, host, timeout_s):
        if not self.lazy_handshake:
            self._handshake(host, tcp.addr[0])
        return FakeSocket(self, tcp.addr[0], tcp.addr[1], timeout_s, host, self.lazy_handshake)

    def _handshake(self, host, served):
        self._fault("handshake")
        if host != served:
            raise OSError(CERT_VERIFY_FAILED, "certificate is not for %s" % host)
        self.handshakes += 1
