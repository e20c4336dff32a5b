# Setting the clock from an SNTP server (RFC 4330), one module for the ESP32
# and the simulated board: only the sockets differ, and they are handed in.
#
#   t = query(sockets, host, clock, port=123, timeout_ms=2000, attempts=2, floor=FLOOR)
#       -> Unix seconds (int), the server's time when its reply arrived
#   sockets: resolve(host, port) -> address; open() -> a UDP socket with
#            settimeout(s), sendto(data, address), recv(n), close().
#            UdpSockets() is the real network; tools/sim/udp.py a fake.
#   clock:   ticks_ms(), ticks_diff(a, b) (board.clock): the round trip.
#
# Every failure is an SntpError (an OSError) that says what the server did.
# err.kiss is the kiss-of-death code (RATE, DENY, ...) or None; when
# err.stop_asking is true (DENY, RSTR) that server must not be asked again.
# A reply is believed only when it echoes our random transmit timestamp (a
# spoofed or late packet is dropped and the wait goes on), comes from a
# synchronised server, and names a time between `floor` (this firmware's
# build date) and 30 years after it. Each attempt waits at most timeout_ms;
# after `attempts` of them query() gives up: it never hangs.
#
# Integers only: the ESP32's floats are 32-bit, a step of 128 s at today's
# Unix time.
import os
import socket
import struct

from replenish.clock import iso8601

FLOOR = 1767225600  # 2026-01-01T00:00:00Z: no correct answer is older than this firmware
SPAN_S = 10957 * 86400  # 30 years past FLOOR (to 2056-01-01): anything later is a broken server
NTP_UNIX = 2208988800  # seconds from the NTP epoch (1900) to the Unix one (1970)
ERA = 1 << 32  # the NTP seconds field wraps on 2036-02-07T06:28:16Z
STOP_ASKING = ("DENY", "RSTR")
CLIENT_V4 = 0x23  # leap 0, version 4, mode 3 (client)


class SntpError(OSError):
    def __init__(self, message, kiss=None):
        super().__init__(message)
        self.kiss = kiss
        self.stop_asking = kiss in STOP_ASKING


class UdpSockets:
    """The real network: the ESP32's lwIP sockets, or the host's."""

    def resolve(self, host, port):
        return socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)[0][-1]

    def open(self):
        return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def query(sockets, host, clock, port=123, timeout_ms=2000, attempts=2, floor=FLOOR):
    try:
        address = sockets.resolve(host, port)
    except OSError as err:
        raise SntpError("SNTP %s: cannot resolve the name (%s)" % (host, err))
    sock = sockets.open()
    strays = 0
    try:
        for _ in range(attempts):
            nonce = os.urandom(8)
            request = bytearray(48)
            request[0] = CLIENT_V4
            request[40:48] = nonce
            sent = clock.ticks_ms()
            try:
                sock.sendto(request, address)
            except OSError:
                continue  # no route yet: the next attempt may find one
            while True:
                left = timeout_ms - clock.ticks_diff(clock.ticks_ms(), sent)
                if left <= 0:
                    break
                sock.settimeout(left / 1000)
                try:
                    reply = sock.recv(64)
                except OSError:
                    break  # timed out (ETIMEDOUT, or EAGAIN on the unix port)
                if len(reply) >= 48 and reply[24:32] != nonce:
                    strays += 1  # not the answer to this request: keep waiting
                    continue
                return _reply_time(reply, host, clock.ticks_diff(clock.ticks_ms(), sent), floor)
    finally:
        sock.close()
    detail = "; replies to other requests ignored: %d" % strays if strays else ""
    raise SntpError("SNTP %s: no answer after %d attempts of %d ms%s"
                    % (host, attempts, timeout_ms, detail))


def _reply_time(reply, host, trip_ms, floor):
    if len(reply) < 48:
        raise SntpError("SNTP %s: short reply (%d bytes, an SNTP packet has 48)"
                        % (host, len(reply)))
    leap, version, mode = reply[0] >> 6, reply[0] >> 3 & 7, reply[0] & 7
    stratum = reply[1]
    if mode != 4:
        raise SntpError("SNTP %s: not a server reply (mode %d)" % (host, mode))
    if version not in (3, 4):
        raise SntpError("SNTP %s: unknown NTP version %d" % (host, version))
    if stratum == 0:
        raise _kiss_of_death(host, reply[12:16])
    if leap == 3 or stratum > 15:
        raise SntpError("SNTP %s: the server's own clock is not synchronised" % host)
    if reply[40:48] == bytes(8):
        raise SntpError("SNTP %s: the reply carries no time" % host)
    sent_ms = _unix_ms(reply, 40)
    serving_ms = sent_ms - _unix_ms(reply, 32)  # receive -> transmit, inside the server
    if not 0 <= serving_ms <= trip_ms:
        serving_ms = 0  # a receive timestamp that cannot be right: count it all as travel
    # the reply spent half of the travel time on its way back to us
    t = (sent_ms + (trip_ms - serving_ms) // 2 + 500) // 1000
    if not floor <= t <= floor + SPAN_S:
        raise SntpError("SNTP %s: implausible time %s (expected %s to %s)"
                        % (host, iso8601(t), iso8601(floor), iso8601(floor + SPAN_S)))
    return t


def _kiss_of_death(host, code):
    kiss = "".join(chr(b) if 32 < b < 127 else "?" for b in code)
    if kiss in STOP_ASKING:
        why = "refuses to serve us: stop asking this server"
    elif kiss == "RATE":
        why = "asks us to ask less often"
    else:
        why = "sent no time"
    return SntpError("SNTP %s %s (kiss code %s)" % (host, why, kiss), kiss)


def _unix_ms(packet, at):
    secs, frac = struct.unpack_from(">II", packet, at)
    if not secs & 0x80000000:
        secs += ERA  # era 1: the seconds field wrapped in 2036
    return (secs - NTP_UNIX) * 1000 + (frac * 1000 >> 32)
