"""Properties of the HTTP response reader (lib/replenish/http_reader.py), seen
through the client's public call, Http.request: however the server's bytes are
split into reads, whatever the chunk sizes, header case and order, a
well-formed response reads back the same; any bytes at all end in a response
or a typed HttpError, and the client works again on the next request; no
response bigger than max_response is ever taken."""

import errno

from hypothesis import given, settings
from hypothesis import strategies as st

from replenish.http import Http
from replenish.http_errors import HttpError, TooLarge
from tools.sim.clock import VirtualClock

SETTINGS = settings(max_examples=150, deadline=None)
HOST = "api.example.com"
URL = "https://%s/path" % HOST
BIG = 65536  # max_response when the limit is not what is tested


class Stream:
    """One connection to a server that answers each request with its next
    reply, handed out in the given read sizes; once they are out, an error
    (an OSError, or None for a read that timed out) or the server's close (0)."""

    handshaking = False

    def __init__(self, replies, sizes=(), ending=0):
        self.replies = list(replies)
        self.data = b""
        self.sizes = list(sizes)
        self.ending = ending

    def write(self, data):
        if self.replies:
            self.data += self.replies.pop(0)
        return len(data)

    def readinto(self, buf):
        if not self.data:
            if isinstance(self.ending, OSError):
                raise self.ending
            return self.ending
        n = min(len(buf), len(self.data), self.sizes.pop(0) if self.sizes else len(self.data))
        buf[:n] = self.data[:n]
        self.data = self.data[n:]
        return n

    def close(self):
        pass


class Server:
    """The connector Http is built with: each new connection is the next stream."""

    def __init__(self, *streams):
        self.streams = list(streams)

    def resolve(self, host, port):
        return (host, port)

    def connect(self, addr, timeout_s):
        return object()

    def wrap(self, sock, host, timeout_s):
        return self.streams.pop(0)


def client(*streams, max_response=BIG):
    return Http(VirtualClock(), Server(*streams), max_response=max_response)


# --- well-formed responses, built from their parts --------------------------

TOKEN = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
                min_size=1, max_size=20)
FRAMING = ("content-length", "transfer-encoding", "connection")
VALUE = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40).flatmap(
    lambda word: st.just(word) if not word else st.sampled_from([word, word[:1] + " " + word]))


def any_case(draw, name):
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if up else c.lower() for c, up in zip(name, flips))


class Answer:
    """A well-formed response: its bytes and what reading them must give."""

    def __init__(self, raw, status, headers, body, keep, head):
        self.raw = raw
        self.status = status
        self.headers = headers  # lower-case names, values stripped
        self.body = body
        self.keep = keep  # the connection may carry another request
        self.head = head  # bytes before the body: interim answer, status line, headers

    def __repr__(self):
        return "Answer(%r)" % self.raw

    def read_by(self, resp):
        return (resp.status, resp.headers, bytes(resp.body)) == (
            self.status, self.headers, self.body)


@st.composite
def answers(draw):
    names = draw(st.lists(TOKEN.filter(lambda n: n.lower() not in FRAMING), max_size=6,
                          unique_by=str.lower))
    headers = [(any_case(draw, n), draw(VALUE)) for n in names]
    status = draw(st.sampled_from([200, 201, 202, 204, 400, 404, 429, 500, 503]))
    body = b"" if status == 204 else draw(st.binary(max_size=600))
    framing = draw(st.sampled_from(["length", "chunked", "close"]))
    eol = lambda: draw(st.sampled_from([b"\r\n", b"\n"]))  # noqa: E731
    if status == 204:  # no body, so nothing frames one
        framing, payload = "none", b""
    elif framing == "length":
        headers.append((any_case(draw, "content-length"), str(len(body))))
        payload = body
    elif framing == "chunked":
        headers.append((any_case(draw, "transfer-encoding"), "chunked"))
        payload = chunked(draw, body, eol)
    else:
        headers.append((any_case(draw, "connection"), "close"))
        payload = body
    headers = draw(st.permutations(headers))
    head = b"HTTP/1.1 %d %s" % (status, draw(st.sampled_from([b"OK", b"Whatever It Is", b""])))
    head += eol()
    for name, value in headers:
        head += ("%s:%s%s" % (name, draw(st.sampled_from(["", " ", "  "])), value)).encode()
        head += eol()
    head += eol()
    if draw(st.booleans()):
        head = b"HTTP/1.1 100 Continue\r\n\r\n" + head
    expected = dict((name.lower(), value.strip()) for name, value in headers)
    return Answer(head + payload, status, expected, body, framing != "close", len(head))


def chunked(draw, body, eol):
    out, at = b"", 0
    while at < len(body):
        size = draw(st.integers(1, len(body) - at))
        digits = b"%x" % size if draw(st.booleans()) else b"%X" % size
        ext = draw(st.sampled_from([b"", b";name=value", b" ;x"]))
        out += digits + ext + eol() + body[at:at + size] + eol()
        at += size
    out += b"0" + eol()
    for trailer in draw(st.lists(st.sampled_from([b"X-Trailer: 1", b"Expires: never"]),
                                 max_size=2)):
        out += trailer + eol()
    return out + eol()


SPLITS = st.lists(st.integers(1, 64), max_size=200)  # read sizes, then whatever is left


@SETTINGS
@given(answers(), answers(), SPLITS)
def test_a_well_formed_response_reads_the_same_however_it_is_split(first, second, sizes):
    http = client(Stream([first.raw, second.raw], sizes), Stream([second.raw]))
    assert first.read_by(http.request("GET", URL))
    # The next request reuses the connection exactly when the first answer allows it.
    assert second.read_by(http.request("GET", URL))
    assert http.connections == (1 if first.keep else 2)


@SETTINGS
@given(answers(), SPLITS)
def test_head_answers_have_no_body(answer, sizes):
    if "content-length" not in answer.headers:
        return  # HEAD answers announce the length of a body they do not send
    resp = client(Stream([answer.raw[:answer.head]], sizes)).request("HEAD", URL)
    assert (resp.status, resp.headers, bytes(resp.body)) == (
        answer.status, answer.headers, b"")


@SETTINGS
@given(answers(), SPLITS, st.integers(1, 900))
def test_no_response_larger_than_max_response_is_taken(answer, sizes, limit):
    http = client(Stream([answer.raw], sizes), max_response=limit)
    try:
        resp = http.request("GET", URL)
    except TooLarge:
        assert len(answer.raw) > limit, "refused a response within max_response"
        return
    assert answer.read_by(resp)
    assert answer.head + len(answer.body) <= limit


# --- anything at all ----------------------------------------------------------

def damaged(raw, draw):
    """raw with bytes flipped, inserted, removed, or cut short."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        else:
            del data[at:]
    return bytes(data)


@st.composite
def garbage(draw):
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    return damaged(draw(answers()).raw, draw)


ENDINGS = st.sampled_from([0, None, OSError(errno.ECONNRESET, "reset"),
                           OSError(errno.ETIMEDOUT, "timed out")])


@SETTINGS
@given(garbage(), SPLITS, ENDINGS, st.integers(1, 1000), answers(), SPLITS)
def test_any_bytes_end_in_a_response_or_an_http_error_and_the_client_recovers(
        data, sizes, ending, limit, good, good_sizes):
    http = client(Stream([data], sizes, ending), Stream([good.raw], good_sizes),
                  max_response=limit)
    try:
        resp = http.request("GET", URL)
        assert isinstance(resp.status, int) and len(resp.body) <= limit
    except HttpError:
        pass  # typed, so the caller knows what failed; any other exception fails the test
    http.close()  # the next request starts on a fresh connection either way
    if len(good.raw) <= limit:
        assert good.read_by(http.request("GET", URL))
