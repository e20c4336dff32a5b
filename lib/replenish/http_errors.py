# The failures of replenish.http, each naming the step that failed: dns,
# connect, handshake, write, read.
import errno

TIMEOUT_ERRNOS = (errno.ETIMEDOUT, errno.EAGAIN)


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
    pass


def is_timeout(err):
    return getattr(err, "errno", None) in TIMEOUT_ERRNOS or "timed out" in str(err)


def io_error(step, host, err, before_response=False):
    """The HttpError for an OSError of a socket read or write."""
    if is_timeout(err):
        return Timeout(step, host, str(err))
    return ConnectionLost(step, host, str(err), before_response)
