# The soak's board: tools/sim's SimBoard, as harsh as an ESP32 (the RTC at
# 2000 after power-on, FakeNtp, the watchdog, deep sleep ending the boot),
# plus the faults a year brings that the simulated board cannot make alone:
#
#   SoakFlash      a power cut at any flash step of a wake (mid-write of any
#                  record): from that step on the chip has no power at all,
#                  and PowerLost (a BaseException, as a real cut can't be
#                  caught) ends the boot; flash writes are counted per day.
#   NetworkPath    the firmware's own SocketConnector (real TLS on loopback
#                  to the emulator) with DNS failures, a DNS lookup that
#                  hangs (the watchdog's case), TLS handshakes refused (a
#                  server whose certificate no trusted CA signed) or stalled
#                  (a server that never answers), binary garbage for an
#                  answer; and network time compressed: a second of real
#                  waiting is SCALE seconds of the board's time, every
#                  timeout the firmware asks for is divided by SCALE, so a
#                  stalled server costs what it costs on the chip, quickly.
#   SoakBoard      the board with these, its Wi-Fi telling the emulator the
#                  time before each session (tools/run.py's ClockLink).
import socket
import ssl
import tempfile
import threading
import time

from tools.sim.board import DatedTls, SimBoard
from tools.sim.flash import FakeFlash
from tools.sim.wifi import FakeWLAN

SCALE = 100  # board seconds per real second of network waiting
# What a network step costs the board unless its real time, scaled, is more
# than twice that: fixed figures keep a seed's run reproducible whatever
# the host's load; a stalled or dripping server still costs what it costs.
COST_S = {"resolve": 0.05, "connect": 0.1, "wrap": 1.5, "io": 0.2}
DNS_HANG_S = 150  # longer than the firmware's 120 s watchdog
BINARY_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" \
                b"Content-Length: 64\r\n\r\n"


class PowerLost(BaseException):
    """The board lost power in the middle of a wake."""


class SoakFlash(FakeFlash):
    """FakeFlash that stays dead after a cut until the runner restores power."""

    def __init__(self):
        FakeFlash.__init__(self)
        self.dead = False
        self.cut_after = None  # write steps into this wake at which the power goes
        self.wake_steps = 0
        self.cut_where = None  # "write data/slots.tmp": where the last cut hit

    def new_wake(self, cut_after=None):
        self.wake_steps = 0
        self.cut_after = cut_after
        self.dead = False

    def step(self, what, name):
        if self.dead:
            raise PowerLost("no power")
        if what != "read":
            self.wake_steps += 1
            if self.cut_after is not None and self.wake_steps >= self.cut_after:
                self.dead, self.cut_after = True, None
                self.cut_where = "%s %s" % (what, name)
                raise PowerLost("power lost at %s" % self.cut_where)
        FakeFlash.step(self, what, name)


class Traps:
    """Two loopback servers the network path can send a connection to: one
    presents a certificate of a CA the device does not trust, one accepts and
    never says a word."""

    def __init__(self):
        from tools.emulator import certs

        self._dir = tempfile.TemporaryDirectory(prefix="soak-traps-")
        self._ctx = certs.server_context(certs.ensure_certificates(self._dir.name))
        self._held = []
        self._socks = []
        self.untrusted = self._listen(self._handshake)
        self.silent = self._listen(self._hold)

    def _listen(self, serve):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        self._socks.append(sock)
        threading.Thread(target=self._accept, args=(sock, serve), daemon=True).start()
        return sock.getsockname()

    def _accept(self, sock, serve):
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            serve(conn)

    def _handshake(self, conn):
        conn.settimeout(5)
        try:
            self._ctx.wrap_socket(conn, server_side=True).close()
        except (OSError, ssl.SSLError):
            conn.close()  # the device refused our certificate: as it should

    def _hold(self, conn):
        self._held.append(conn)
        while len(self._held) > 8:
            self._held.pop(0).close()

    def close(self):
        for sock in self._socks + self._held:
            sock.close()
        self._dir.cleanup()


class NetworkPath:
    """The connector the firmware gets (inside DatedTls): real sockets and
    the firmware's verifying TLS, with the network faults switched on by the
    soak's plan (`faults`: the set of active kinds)."""

    def __init__(self, inner, board):
        self.inner = inner
        self.board = board
        self.world = board.world

    def _spend(self, began, step):
        scaled = (time.monotonic() - began) * SCALE
        self.world.advance(COST_S[step] if scaled < 2 * COST_S[step] else scaled)

    def resolve(self, host, port):
        board = self.board
        board.used_network = True
        if "dns_hang" in board.faults:
            board.faults.discard("dns_hang")
            board.hits["watchdog"] += 1
            self.world.advance(DNS_HANG_S)  # the watchdog resets the board in here
        if "dns" in board.faults:
            board.hits["dns"] += 1
            self.world.advance(COST_S["resolve"])
            raise OSError(-202, "getaddrinfo failed")
        began = time.monotonic()
        addr = self.inner.resolve(host, port)
        self._spend(began, "resolve")
        return addr

    def connect(self, addr, timeout_s):
        board = self.board
        board.tell_emulator_the_time()
        for kind, trap in (("tls_untrusted", board.traps.untrusted),
                           ("tls_stall", board.traps.silent)):
            if kind in board.faults:
                board.hits[kind] += 1
                addr = addr[:4] + (trap,)
        began = time.monotonic()
        try:
            sock = self.inner.connect(addr, timeout_s / SCALE)
        finally:
            self._spend(began, "connect")
        # The firmware writes a request in pieces; Nagle's wait for the
        # server's delayed ACK would cost each exchange 40 ms of real time.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def wrap(self, sock, host, timeout_s):
        began = time.monotonic()
        try:
            stream = self.inner.wrap(sock, host, timeout_s / SCALE)
        finally:
            self._spend(began, "wrap")
        return TimedStream(stream, self)


class TimedStream:
    """The TLS stream, each read and write costing board time; with the
    `binary` fault, the next answer is replaced by binary bytes."""

    def __init__(self, stream, path):
        self.stream = stream
        self.path = path
        self.handshaking = getattr(stream, "handshaking", False)
        self._garbage = None

    def readinto(self, buf):
        board = self.path.board
        if self._garbage is None and "binary" in board.faults:
            board.faults.discard("binary")
            board.hits["binary"] += 1
            self._garbage = BINARY_ANSWER + bytes(board.rand.getrandbits(8) for _ in range(64))
        if self._garbage:
            n = min(len(buf), len(self._garbage))
            buf[:n] = self._garbage[:n]
            self._garbage = self._garbage[n:]
            return n
        began = time.monotonic()
        try:
            return self.stream.readinto(buf)
        finally:
            self.path._spend(began, "io")

    def write(self, buf):
        began = time.monotonic()
        try:
            n = self.stream.write(buf)
        finally:
            self.path._spend(began, "io")
        self.handshaking = getattr(self.stream, "handshaking", False)
        return n

    def close(self):
        self.stream.close()


class EmulatorWLAN(FakeWLAN):
    """Wi-Fi that tells the emulator the world's time once joined."""

    def __init__(self, board, ssid, password):
        FakeWLAN.__init__(self, ssid, password, clock=board.world)
        self.board = board

    def connect(self, ssid=None, password=None, bssid=None):
        FakeWLAN.connect(self, ssid, password, bssid)
        if self.isconnected():
            self.board.tell_emulator_the_time()


class SoakBoard(SimBoard):
    name = "soak"

    def __init__(self, world, emulator, traps, rand, ssid, password):
        self.emulator = emulator  # tools.soak.emulator.EmulatorProcess
        self.traps = traps
        self.rand = rand  # the seed's random.Random: binary answers, and nothing else here
        self.faults = set()  # active network faults: dns, dns_hang, tls_*, binary
        self.hits = {"dns": 0, "watchdog": 0, "tls_untrusted": 0, "tls_stall": 0, "binary": 0}
        self.used_network = False
        self._told = None
        SimBoard.__init__(self, clock=world, fs=SoakFlash())
        self.wifi = EmulatorWLAN(self, ssid, password)

    def connector(self, ca_files):
        from replenish.connector import SocketConnector

        return DatedTls(NetworkPath(SocketConnector(self.fs, ca_files), self), self.clock)

    def tell_emulator_the_time(self):
        now = self.world.now()
        if now != self._told:
            self.emulator.set_clock(now)
            self._told = now

    def forget_dead_watchdogs(self):
        """A boot's FakeWatchdog stays among the clock's watchers after the
        reset that ended it (a no-op there, but one more call per tick): a
        year of boots in one process would slow every tick to a crawl."""
        self.world.watchers[:] = [w for w in self.world.watchers
                                  if getattr(w, "__self__", None) is self.dog
                                  or not hasattr(getattr(w, "__self__", None), "fed_at")]
