# The failures of replenish.http, each naming the step that failed: dns,
# connect, handshake, write, read, parse (or buffer, when the client is built).
import errno

TIMEOUT_ERRNOS = (errno.ETIMEDOUT, errno.EAGAIN)
# Out of memory, said by the network stack rather than by MicroPython's heap:
# lwIP's ENOMEM, and mbedTLS's *_ALLOC_FAILED codes (SSL, X509, PK, MPI, ECP,
# ASN1, cipher, MD), which ssl raises as OSError(code) on the ESP32, where
# mbedTLS takes its buffers from the IDF heap.
MEMORY_ERRNOS = (errno.ENOMEM, -0x7F00, -0x2880, -0x3F80, -0x0010, -0x4D80, -0x006A,
                 -0x6180, -0x5180)


class HttpError(Exception):
    def __init__(self, step, host, detail):
        super().__init__("%s %s: %s" % (step, host, detail))
        self.step = step
        self.host = host


class Timeout(HttpError):
    pass


class TlsError(HttpError):
    """The handshake failed: an unknown CA, a wrong host name, or no TLS at all."""


class ConnectionLost(HttpError):
    def __init__(self, step, host, detail, before_response=False):
        super().__init__(step, host, detail)
        self.before_response = before_response  # nothing answered: safe to resend


class ProtocolError(HttpError):
    pass


class TooLarge(HttpError):
    """The response is larger than the client's cap: the server's fault."""


class OutOfMemory(HttpError):
    """The device ran out of heap: its own limit, not the network's. Nothing
    was wrong with the connection, so it is not reported as an outage."""

    def __init__(self, step, host, detail):
        super().__init__(step, host, "out of memory, not a network fault (%s)" % detail)


def is_timeout(err):
    return getattr(err, "errno", None) in TIMEOUT_ERRNOS or "timed out" in str(err)


def is_memory(err):
    return isinstance(err, MemoryError) or getattr(err, "errno", None) in MEMORY_ERRNOS


def io_error(step, host, err, before_response=False):
    """The HttpError for an OSError of a socket read or write."""
    if is_memory(err):
        return OutOfMemory(step, host, str(err))
    if is_timeout(err):
        return Timeout(step, host, str(err))
    return ConnectionLost(step, host, str(err), before_response)


def handshake_error(host, err):
    """The HttpError for whatever the TLS handshake raised: ssl raises
    OSError, ValueError (a wrong host name on MicroPython) or SSLError."""
    if is_memory(err):
        return OutOfMemory("handshake", host, str(err))
    if is_timeout(err):
        return Timeout("handshake", host, str(err))
    return TlsError("handshake", host, str(err) or type(err).__name__)
