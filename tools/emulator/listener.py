"""One emulated host on 127.0.0.1: a TCP or TLS listener, a thread per
connection, connections kept alive between requests (HTTP/1.1 default), and
counters, so a test can see how many TCP/TLS connections a client opened per
host. Responses go out as their Delivery says (delay, drip, truncate, reset).
"""

import json
import socket
import ssl
import struct
import sys
import threading

from tools.emulator.wire import DRIP, NORMAL, RESET, TRUNCATE, HttpError, Response, read_request


class Listener:
    """One emulated host: a TCP (or TLS) listener on 127.0.0.1 and its counters."""

    def __init__(self, name, handler, port=0, tls_context=None, host="127.0.0.1",
                 idle_timeout=30.0, max_body=65536):
        self.name = name
        self.handler = handler
        self.tls_context = tls_context
        self.idle_timeout = idle_timeout
        self.max_body = max_body
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._open = set()
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
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self._thread.start()
        return self

    def stats(self):
        with self._lock:
            return dict(self._stats)

    def reset_stats(self):
        with self._lock:
            self._stats = {"accepted": 0, "tls_handshakes": 0, "tls_failures": 0,
                           "requests": 0}

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
            try:
                raw, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            conn_id = self._count("accepted")
            threading.Thread(target=self._serve, args=(raw, conn_id), daemon=True).start()

    def _serve(self, raw, conn_id):
        with self._lock:
            self._open.add(raw)
        sock, reader = raw, None
        try:
            raw.settimeout(self.idle_timeout)
            # no Nagle: a response must not wait 40 ms for the client's delayed ACK
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls_context:
                try:
                    sock = self.tls_context.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError):
                    self._count("tls_failures")
                    return
                self._count("tls_handshakes")
            reader = sock.makefile("rb")
            while not self._stop.is_set() and self._serve_one(sock, reader, conn_id):
                pass
        except (OSError, ssl.SSLError):
            pass  # the client went away or timed out: nothing to answer
        finally:
            if reader:
                reader.close()
            sock.close()
            with self._lock:
                self._open.discard(raw)

    def _serve_one(self, sock, reader, conn_id):
        try:
            req = read_request(reader, self.max_body,
                               lambda: sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n"))
        except HttpError as e:
            resp = Response(e.status, json.dumps({"message": e.message}),
                            content_type="application/json")
            sock.sendall(resp.encode_head(False) + resp.body)
            return False
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
        return self._write(sock, req, resp)

    def _write(self, sock, req, resp):
        d = resp.delivery
        if d.delay and self._stop.wait(d.delay):
            return False
        if d.kind == RESET:
            # SO_LINGER 0: close() sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        keep = req.wants_keepalive() and not resp.close and d.kind == NORMAL
        data = resp.encode_head(keep) + resp.body
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
