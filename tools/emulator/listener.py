"""One emulated host on 127.0.0.1: a TCP or TLS listener, a thread per
connection, connections kept alive between requests (HTTP/1.1 default), and
counters, so a test can see how many TCP/TLS connections a client opened per
host. Responses go out as their Delivery says (delay, drip, truncate, reset).

Every resource a client can hold is bounded: the number of connections
(more are closed at once), the idle time between requests, the time one
request may take to arrive (a slow client cannot hold a thread), a
connection's whole lifetime, and the request's size (wire.py). A thread that
cannot be started costs that one connection, never the listener.
"""

import io
import json
import socket
import ssl
import struct
import sys
import threading
import time

from tools.emulator.wire import DRIP, NORMAL, RESET, TRUNCATE, HttpError, Response, read_request

WRITE_TIMEOUT = 10.0  # a client that stops reading cannot hold a thread longer
LINGER, LINGER_READS = 1.0, 64  # after a refusal: at most 1 s and 4 MB read and dropped


def start_thread(target, *args, name=None):
    thread = threading.Thread(target=target, args=args, daemon=True, name=name)
    thread.start()  # RuntimeError when the system has no thread left to give
    return thread


def _linger(sock):
    """Read, for a moment, what the client is still sending: closing a socket
    with unread bytes sends a reset, which can destroy the answer in flight."""
    try:
        sock.shutdown(socket.SHUT_WR)
        ends = time.monotonic() + LINGER
        for _ in range(LINGER_READS):
            left = ends - time.monotonic()
            if left <= 0:
                return
            sock.settimeout(left)
            if not sock.recv(65536):
                return
    except OSError:
        pass  # the client is gone: nothing left to protect


class _DeadlineIO(io.RawIOBase):
    """A socket's reads against an absolute deadline, not a per-read timeout: a
    client that sends one byte just before each timeout would otherwise hold
    the connection for ever."""

    def __init__(self, sock):
        io.RawIOBase.__init__(self)
        self.sock = sock
        self.deadline = 0.0

    def readable(self):
        return True

    def readinto(self, buf):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline passed")
        self.sock.settimeout(left)
        return self.sock.recv_into(buf)


class Listener:
    """One emulated host: a TCP (or TLS) listener on 127.0.0.1 and its counters.
    `on_bad_request(listener, conn_id, line, status, rule, message)`, if given,
    hears of every request refused by the parser and every 500."""

    def __init__(self, name, handler, port=0, tls_context=None, host="127.0.0.1",
                 idle_timeout=30.0, max_body=65536, max_connections=256,
                 request_timeout=10.0, connection_lifetime=600.0, on_bad_request=None):
        self.name = name
        self.handler = handler
        self.tls_context = tls_context
        self.idle_timeout = idle_timeout
        self.max_body = max_body
        self.max_connections = max_connections
        self.request_timeout = request_timeout
        self.connection_lifetime = connection_lifetime
        self.on_bad_request = on_bad_request
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._open = {}  # raw socket -> monotonic time by which it is shut down
        self._stats = {}
        self.reset_stats()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name="emulator-" + name)

    @property
    def url(self):
        # "localhost": the only name in the server certificate
        return "%s://localhost:%d" % ("https" if self.tls_context else "http", self.port)

    def start(self):
        self._sock.listen(128)
        self._sock.settimeout(0.1)
        self._thread.start()
        return self

    def stats(self):
        with self._lock:
            return dict(self._stats, open=len(self._open))

    def reset_stats(self):
        with self._lock:
            self._stats = {"accepted": 0, "tls_handshakes": 0, "tls_failures": 0,
                           "requests": 0, "refused": 0, "thread_failures": 0}

    def _count(self, key):
        with self._lock:
            self._stats[key] += 1
            return self._stats[key]

    def stop(self):
        self._stop.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept() at once
        except OSError:
            pass
        self._thread.join(2)
        self._sock.close()
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept_loop(self):
        while not self._stop.is_set():
            self._reap()
            try:
                raw, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            conn_id = self._count("accepted")
            with self._lock:
                full = len(self._open) >= self.max_connections
                if not full:  # the TLS handshake gets one request's time
                    self._open[raw] = time.monotonic() + self.request_timeout
            if full:
                self._count("refused")
                raw.close()
                continue
            try:
                start_thread(self._serve, raw, conn_id, name="emulator-%s-conn" % self.name)
            except RuntimeError:  # no thread to be had: lose this connection, not the host
                self._count("thread_failures")
                with self._lock:
                    self._open.pop(raw, None)
                raw.close()
                self._stop.wait(0.05)

    def _reap(self):
        """Shut down connections past their hard deadline (a handshake sent a byte
        at a time; a connection past its lifetime that never went idle)."""
        now = time.monotonic()
        with self._lock:
            late = [raw for raw, deadline in self._open.items() if deadline < now]
        for raw in late:
            try:
                raw.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _serve(self, raw, conn_id):
        sock, reader = raw, None
        try:
            # no Nagle: a response must not wait 40 ms for the client's delayed ACK
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.settimeout(min(self.idle_timeout, self.request_timeout))
            if self.tls_context:
                try:
                    sock = self.tls_context.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError):
                    self._count("tls_failures")
                    return
                self._count("tls_handshakes")
            stream = _DeadlineIO(sock)
            reader = io.BufferedReader(stream)
            ends = time.monotonic() + self.connection_lifetime
            with self._lock:  # room for the last request and its answer
                self._open[raw] = ends + self.request_timeout + WRITE_TIMEOUT
            while not self._stop.is_set() and self._serve_one(sock, stream, reader, conn_id,
                                                              ends):
                pass
        except (OSError, ssl.SSLError):
            pass  # the client went away or timed out: nothing to answer
        finally:
            if reader:
                reader.close()
            sock.close()
            with self._lock:
                self._open.pop(raw, None)

    def _serve_one(self, sock, stream, reader, conn_id, ends):
        stream.deadline = min(time.monotonic() + self.idle_timeout, ends)
        if not reader.peek(1):
            return False  # the client closed between requests
        stream.deadline = min(time.monotonic() + self.request_timeout, ends)
        try:
            req = read_request(reader, self.max_body,
                               lambda: sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n"))
        except socket.timeout:
            return self._refuse(sock, conn_id, HttpError(
                408, "the request did not arrive within %g s" % self.request_timeout,
                "slow_request"))
        except HttpError as e:
            return self._refuse(sock, conn_id, e)
        if req is None:
            return False
        self._count("requests")
        req.listener, req.conn_id = self.name, conn_id
        try:
            resp = self.handler(req)
        except Exception as e:  # an emulator bug: answer like a failing server, say what broke
            sys.stderr.write("emulator: %s %s failed: %s\n" % (req.method, req.path,
                                                                type(e).__name__))
            resp = Response(500, json.dumps({"message": "Internal error"}),
                            content_type="application/json")
            resp.close = True
            self._report(conn_id, "%s %s %s" % (req.method, req.path, req.version), 500,
                         "internal_error", "%s failed: %s" % (req.path, type(e).__name__))
        keep = self._write(sock, req, resp)
        return keep and time.monotonic() < ends

    def _refuse(self, sock, conn_id, err):
        resp = Response(err.status, json.dumps({"message": err.message}),
                        content_type="application/json")
        self._report(conn_id, err.line, err.status, err.rule, err.message)
        sock.settimeout(1.0)  # best effort: the client may not be reading either
        sock.sendall(resp.encode_head(False) + resp.body)
        _linger(sock)
        return False

    def _report(self, conn_id, line, status, rule, message):
        if self.on_bad_request:
            self.on_bad_request(self.name, conn_id, line, status, rule, message)

    def _write(self, sock, req, resp):
        d = resp.delivery
        if d.delay and self._stop.wait(d.delay):
            return False
        if d.kind == RESET:
            # SO_LINGER 0: close() sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        sock.settimeout(WRITE_TIMEOUT)
        keep = req.wants_keepalive() and not resp.close and d.kind == NORMAL
        # HEAD: the head a GET would get, never a body (RFC 9110 9.3.2)
        data = resp.encode_head(keep) + (b"" if req.method == "HEAD" else resp.body)
        if d.kind == TRUNCATE:
            sock.sendall(data[:len(data) - max(1, len(resp.body) // 2)])
        elif d.kind == DRIP:
            for i in range(len(data)):
                sock.sendall(data[i:i + 1])
                if self._stop.wait(d.interval):
                    return False
        else:
            sock.sendall(data)
        return keep
