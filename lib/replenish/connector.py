# Real sockets and verified TLS for replenish.http, the same code under
# CPython and MicroPython. Only the service's root CAs are trusted: DER files
# on flash, one load_verify_locations() call each (MicroPython's context
# accumulates them), CERT_REQUIRED, and the host name checked against the
# certificate through server_hostname.
#
#   SocketConnector(fs, ca_files)    # ca_files: paths on fs, e.g. "certs/amazon-root-ca-1.der"
import errno
import gc
import socket
import ssl
import sys


class _Stream:
    """CPython: its SSLSocket reads short, with the socket's timeout."""

    def __init__(self, tls, timeout_s):
        self.tls = tls
        self.readinto = tls.recv_into
        self.write = tls.send

    def close(self):
        self.tls.close()


class _PolledStream:
    """MicroPython: a blocking readinto/recv_into waits until the buffer is
    full (its "no short reads" rule), which would stall on every response
    shorter than the buffer. So after the handshake the socket turns
    non-blocking, takes what is there, and poll() waits with the timeout."""

    def __init__(self, tls, timeout_s):
        import select

        self.tls = tls
        self.timeout_ms = int(timeout_s * 1000)
        tls.setblocking(False)
        self.poll = select.poll()
        self.poll.register(tls, select.POLLIN)
        self.POLLIN, self.POLLOUT = select.POLLIN, select.POLLOUT

    def _wait(self, event):
        self.poll.modify(self.tls, event)
        if not self.poll.poll(self.timeout_ms):
            raise OSError(errno.ETIMEDOUT, "timed out")

    def readinto(self, buf):
        while True:
            n = self.tls.readinto(buf)
            if n is not None:
                return n
            self._wait(self.POLLIN)

    def write(self, buf):
        while True:
            n = self.tls.write(buf)
            if n:
                return n
            self._wait(self.POLLOUT)

    def close(self):
        self.tls.close()


class SocketConnector:
    def __init__(self, fs, ca_files):
        if not ca_files:
            raise ValueError("no CA certificates: TLS would trust nothing")
        self.fs = fs
        self.ca_files = ca_files
        self._context = None

    def context(self):
        # Built on the first connection only: a wake with nothing to send
        # never spends the heap the parsed certificates take.
        if self._context is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            # MicroPython's client context checks nothing unless told to.
            ctx.verify_mode = ssl.CERT_REQUIRED
            for name in self.ca_files:
                try:
                    with self.fs.open(name, "rb") as f:
                        der = f.read()
                except OSError as err:
                    raise OSError("cannot read CA file %s: %s" % (name, err))
                ctx.load_verify_locations(cadata=der)
            self._context = ctx
        return self._context

    def resolve(self, host, port):
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0]

    def connect(self, addr, timeout_s):
        sock = socket.socket(addr[0], socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout_s)
            sock.connect(addr[-1])
        except OSError:
            sock.close()
            raise
        return sock

    def wrap(self, sock, host, timeout_s):
        sock.settimeout(timeout_s)  # the handshake, reads and writes inherit it
        ctx = self.context()  # first: reading the CA files leaves garbage behind
        gc.collect()  # the TLS session's buffers are large: give them a clean heap
        return STREAM(ctx.wrap_socket(sock, server_hostname=host), timeout_s)


STREAM = _PolledStream if sys.implementation.name == "micropython" else _Stream
