# A fake network for replenish.sntp: resolve() and open() as sntp.UdpSockets
# offers them, backed by a scripted SNTP server. Time passes on the board's
# virtual clock: the round trip for each datagram received, the socket's whole
# timeout when nothing comes. Also an SNTP server's reply, built here once for
# this fake and for the emulator's responder (tools/emulator/sntp.py).
# Runs under CPython and the MicroPython unix port.
#
#   net = FakeUdp(clock, answer, trip_ms=40)   # answer(request) -> [datagram, ...]
#   server_reply(request, unix_ms, stratum=2, leap=0, kiss=None, ...) -> bytes
import errno
import struct

NTP_UNIX = 2208988800  # seconds from the NTP epoch (1900) to the Unix one (1970)


class FakeUdp:
    def __init__(self, clock, answer, trip_ms=40, resolves=True):
        self.clock = clock
        self.answer = answer
        self.trip_ms = trip_ms
        self.resolves = resolves
        self.requests = []
        self.open_sockets = 0

    def resolve(self, host, port):
        if not self.resolves:
            raise OSError(-202, "name not known")  # what the ESP32's getaddrinfo raises
        return (host, port)

    def open(self):
        self.open_sockets += 1
        return FakeUdpSocket(self)


class FakeUdpSocket:
    def __init__(self, net):
        self.net = net
        self.timeout_s = None
        self.inbox = []

    def settimeout(self, seconds):
        self.timeout_s = seconds

    def sendto(self, data, address):
        request = bytes(data)
        self.net.requests.append(request)
        self.inbox.extend(self.net.answer(request))

    def recv(self, n):
        if not self.inbox:
            if self.timeout_s is None:
                raise AssertionError("recv() without a timeout and nothing coming: hangs forever")
            self.net.clock.sleep_ms(int(self.timeout_s * 1000))
            raise OSError(errno.ETIMEDOUT, "timed out")
        self.net.clock.sleep_ms(self.net.trip_ms)
        return self.inbox.pop(0)[:n]

    def close(self):
        self.net.open_sockets -= 1


def ntp_timestamp(unix_ms):
    """64-bit NTP timestamp; its seconds wrap in 2036 (era 1), as on the wire."""
    secs = (unix_ms // 1000 + NTP_UNIX) % (1 << 32)
    return struct.pack(">II", secs, ((unix_ms % 1000) << 32) // 1000)


def server_reply(request, unix_ms, stratum=2, leap=0, kiss=None, mode=4, version=4,
                 originate=None, receive_ms=None, length=48):
    """What an SNTP server answers to `request` at unix_ms: a kiss of death
    when kiss (e.g. "RATE") is given, cut to `length` bytes."""
    packet = bytearray(48)
    packet[0] = leap << 6 | version << 3 | mode
    packet[1] = 0 if kiss else stratum
    packet[2] = request[2]  # poll: the client's, echoed
    packet[3] = 0xEC  # precision: 2**-20 s
    packet[12:16] = kiss.encode() if kiss else b"\x7f\x00\x00\x01"  # reference id
    packet[16:24] = ntp_timestamp(unix_ms - 64000)  # when this server last set its clock
    packet[24:32] = request[40:48] if originate is None else originate
    packet[32:40] = ntp_timestamp(unix_ms if receive_ms is None else receive_ms)
    packet[40:48] = ntp_timestamp(unix_ms)
    return bytes(packet[:length])
