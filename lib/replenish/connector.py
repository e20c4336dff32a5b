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
import time

from replenish import heap

HANDSHAKE_TIMED_OUT = "handshake timed out"


class _Stream:
    """CPython: the handshake is driven here, non-blocking, against one
    deadline: a blocking socket's timeout bounds each wait, not the whole
    handshake, so a server that trickles it could hold a wake for ever.
    After it, reads are short, with the socket's timeout."""

    handshaking = False

    def __init__(self, ctx, sock, host, timeout_s):
        import select

        sock.setblocking(False)
        tls = ctx.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
        self.tls = tls
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    waits = ([tls], [])
                except ssl.SSLWantWriteError:
                    waits = ([], [tls])
                left = deadline - time.monotonic()
                if left <= 0 or not any(select.select(waits[0], waits[1], [], left)[:2]):
                    raise OSError(errno.ETIMEDOUT, HANDSHAKE_TIMED_OUT)
        except BaseException:
            tls.close()  # wrap_socket took the socket over: closing it is ours
            raise
        tls.settimeout(timeout_s)
        self.readinto = tls.recv_into
        self.write = tls.send

    def close(self):
        self.tls.close()


class _PolledStream:
    """MicroPython: wrap_socket's own handshake retries a socket timeout for
    ever (seen: a stalled server held a wake past 240 s), and a blocking
    readinto waits until the buffer is full (its "no short reads" rule). So
    the socket is non-blocking from the start and poll() does the waiting.
    Its ssl has no handshake call: the handshake runs inside the first write
    (write answers None until it is done), within one deadline; after it,
    each wait has the timeout."""

    def __init__(self, ctx, sock, host, timeout_s):
        import select

        sock.setblocking(False)
        self.tls = ctx.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
        self.handshaking = True
        self.timeout_ms = int(timeout_s * 1000)
        self.handshake_end = time.ticks_add(time.ticks_ms(), self.timeout_ms)
        self.poll = select.poll()
        self.poll.register(self.tls, select.POLLIN)
        self.POLLIN, self.POLLOUT = select.POLLIN, select.POLLOUT

    def _wait(self, event):
        wait_ms = self.timeout_ms
        if self.handshaking:  # the handshake's deadline is for all of it
            wait_ms = time.ticks_diff(self.handshake_end, time.ticks_ms())
            if wait_ms <= 0:
                raise OSError(errno.ETIMEDOUT, HANDSHAKE_TIMED_OUT)
        # While the handshake waits for the server, ssl's poll waits for
        # that, whichever event is asked.
        self.poll.modify(self.tls, event)
        if not self.poll.poll(wait_ms):
            raise OSError(errno.ETIMEDOUT, HANDSHAKE_TIMED_OUT if self.handshaking
                          else "timed out")

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
                self.handshaking = False
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
        # Built now, with the connector, not at the first handshake: the
        # context is one 3 KB object, and by the first handshake the heap can
        # be in holes smaller than that (seen: 24 KB free, none over 1.5 KB,
        # at 110k from .mpy). Whoever builds a connector means to network; a
        # wake with nothing to send should not build one.
        self.context()

    def context(self):
        if self._context is None:
            heap.free("tls")  # the hole kept for it since boot (heap.py)
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
        """The TLS stream; its handshake ends within timeout_s, and so does each
        wait after it."""
        ctx = self.context()  # first: reading the CA files leaves garbage behind
        gc.collect()  # the TLS session's buffers are large: give them a clean heap
        return STREAM(ctx, sock, host, timeout_s)


STREAM = _PolledStream if sys.implementation.name == "micropython" else _Stream
