# Secrets out of text before it reaches crash.log or the console: an
# exception's text can quote a request, a form body or a response.
#
#   redact.register(value)  # a secret known at run time: the client secret, the Wi-Fi password
#   redact.redact(text)     # text with every secret-shaped value replaced by MASK
#
# Secret-shaped: LWA tokens (Atza|…, Atzr|…, also with the '|' encoded as
# %7C), a Bearer value, an Authorization header, and the value of a form
# field (name=value), JSON or repr field ("name": value) or header (Name: value)
# called authorization, refresh_token, client_secret, access_token or code.
# Plain scanning of the UTF-8 bytes, no `re`: MicroPython's has no lookbehind
# and no case-insensitive matching, and ASCII-only lowering keeps offsets true.

MASK = "[redacted]"
# Shorter strings occur in ordinary text; no WPA2 passphrase (8 or more) or
# LWA client secret is that short.
MIN_SECRET = 4
FIELDS = ("authorization", "refresh_token", "client_secret", "access_token", "code")
WORD = b"abcdefghijklmnopqrstuvwxyz0123456789_"
QUOTES = b"\"'"
# What ends an unquoted value: blanks, the next form field, quotes, punctuation.
VALUE_END = b" \t\r\n&\"',;)]}<>"
LINE_END = b"\r\n"

_secrets = []  # longest first, so a secret inside another does not split it


def register(value):
    if isinstance(value, str) and len(value) >= MIN_SECRET and value not in _secrets:
        _secrets.append(value)
        _secrets.sort(key=len, reverse=True)


def redact(text):
    for secret in _secrets:
        text = text.replace(secret, MASK)
    raw = text.encode()
    low = raw.lower()  # bytes.lower() changes ASCII only: offsets stay the same
    spans = []
    _tokens(raw, spans)
    _bearers(raw, low, spans)
    for name in FIELDS:
        _fields(raw, low, name.encode(), spans)
    if not spans:
        return text
    return _masked(raw, spans).decode()


def _run(raw, i, stop):
    """Where a value starting at i ends: at the first byte in `stop`."""
    while i < len(raw) and raw[i] not in stop:
        i += 1
    return i


def _skip_blanks(raw, i):
    while raw[i:i + 1] in (b" ", b"\t"):
        i += 1
    return i


def _closing(raw, quote, i):
    """The closing quote of a quoted value starting at i (the end if none)."""
    while True:
        j = raw.find(quote, i)
        if j < 0:
            return len(raw)  # cut off: the rest may be the secret
        if raw[j - 1:j] != b"\\":
            return j
        i = j + 1


def _add(raw, spans, start, end):
    if end > start and not raw.startswith(MASK.encode(), start):
        spans.append((start, end))


def _tokens(raw, spans):
    i = raw.find(b"Atz")
    while i >= 0:
        kind = raw[i + 3:i + 4]
        if kind in (b"a", b"r"):
            if raw[i + 4:i + 5] == b"|":
                _add(raw, spans, i, _run(raw, i + 5, VALUE_END))
            elif raw[i + 4:i + 7].lower() == b"%7c":
                _add(raw, spans, i, _run(raw, i + 7, VALUE_END))
        i = raw.find(b"Atz", i + 3)


def _starts_word(low, i):
    return i == 0 or low[i - 1] not in WORD


def _bearers(raw, low, spans):
    i = low.find(b"bearer")
    while i >= 0:
        start = _skip_blanks(low, i + 6)
        if _starts_word(low, i) and start > i + 6:
            _add(raw, spans, start, _run(raw, start, VALUE_END))
        i = low.find(b"bearer", i + 6)


def _fields(raw, low, name, spans):
    i = low.find(name)
    while i >= 0:
        at = i + len(name)
        i = low.find(name, at)
        if not _starts_word(low, at - len(name)):
            continue  # error_code, detailCode, encode: other words
        quoted_name = low[at:at + 1] in (b'"', b"'")
        sep = _skip_blanks(low, at + 1 if quoted_name else at)
        mark = low[sep:sep + 1]
        # "code: 500" is ordinary prose; "code": "…" and code=… are not.
        if not (mark == b"=" and not quoted_name
                or mark == b":" and (quoted_name or name != b"code")):
            continue
        start = _skip_blanks(low, sep + 1)
        quote = raw[start:start + 1]
        if quote and quote in QUOTES:
            _add(raw, spans, start + 1, _closing(raw, quote, start + 1))
        elif name == b"authorization" and mark == b":" and not quoted_name:
            _add(raw, spans, start, _run(raw, start, LINE_END))  # "Bearer x": a header's rest
        else:
            _add(raw, spans, start, _run(raw, start, VALUE_END))


def _masked(raw, spans):
    spans.sort()
    parts, done = [], 0
    for start, end in spans:
        if end <= done:
            continue  # inside a span already masked
        if start >= done:
            parts.append(raw[done:start])
            parts.append(MASK.encode())
        done = end
    parts.append(raw[done:])
    return b"".join(parts)
