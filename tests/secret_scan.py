"""The secret scan: a pytest plugin (registered by tests/conftest.py) that
searches what every test printed and every file the device wrote for secrets,
and fails the test that produced one.

Searched, per test and phase: the captured stdout, stderr and log (what a test
read with capsys/capfd too), a device test's output under MicroPython (the
"micropython" report section tests/conftest.py adds), and the text of a failure.
After the test: every FakeFlash it created (tools/sim/flash.py) and every file
under pytest's temporary folder written while it ran (virtual devices' flash
folders, emulator state, staging folders).

Secrets are LWA tokens (`Atza|…`, `Atzr|…`), Authorization and Bearer values
that are not masked, and the literal values of client secrets, Wi-Fi
passwords and refresh tokens the tests use: the fakes' constants, every
credential the emulator's control API hands out, and every value found in a
device's secret files. Those files are where a device keeps its secrets by
design, so they alone may hold them (ALLOWED); crash.log, the console and any
other file may not. A report names the place and shows the secret masked,
never in full.
"""

import json
import re
import time
from pathlib import Path

import pytest

from tools.emulator.client import ControlClient
from tools.sim.flash import FakeFlash

TOKEN = re.compile(r"Atz[ar]\|[A-Za-z0-9._~+/=%|-]{4,}")
# The value after "Authorization:" (or a JSON/form "authorization" field),
# past its scheme. A masked value ("<masked sha256:…>", the emulator's
# fingerprint) is not a secret and does not match: it starts with "<".
AUTHORIZATION = re.compile(
    r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic)\s+)?([^\s\"',;}<][^\s\"',;}]{7,})")
# A bearer value: token characters, with a digit or punctuation, so that
# English ("bearer authentication") is not taken for one.
BEARER = re.compile(r"(?i)\bbearer\s+((?=[^\s]*[0-9|._~+/=-])[A-Za-z0-9|._~+/=-]{8,})")
# Shorter literal values ("pw") would match ordinary words.
MIN_SECRET_LEN = 8
# Where a device keeps its secrets by design, as paths relative to its flash:
# the store's LWA token records, and the files its deployment writes.
# The virtual device's RTC memory (world/rtc.bin) holds the access token, as
# an ESP32's does; world/virtual.json the simulated access point's password.
ALLOWED = re.compile(r"(^|/)(data/lwa_[a-z]+\.(rec|bak|tmp|mir)|secrets\.json|link\.json"
                     r"|world/rtc\.bin|world/virtual\.json)$")
# The secret files whose values are secrets everywhere else.
SECRET_FILES = re.compile(r"(^|/)(secrets|link)\.json$")
MAX_FILE_BYTES = 4 * 1024 * 1024


def mask(secret):
    """Enough to tell which secret it was, not enough to use it."""
    keep = 4 if len(secret) >= 16 else 2
    return "%s…(%d characters)" % (secret[:keep], len(secret))


class Secrets:
    """The literal secret values known so far in this session."""

    def __init__(self):
        self.values = set()

    def remember(self, value):
        if isinstance(value, str) and len(value) >= MIN_SECRET_LEN:
            self.values.add(value)

    def remember_json(self, text):
        """Every string value of a secret file (secrets.json, link.json)."""
        try:
            data = json.loads(text)
        except ValueError:
            return
        if isinstance(data, dict):
            for value in data.values():
                self.remember(value)

    def find(self, text):
        """The secrets in `text`: [(kind, secret)], each secret once."""
        found = []
        for match in TOKEN.finditer(text):
            found.append(("an LWA token", match.group(0)))
        for pattern, kind in ((AUTHORIZATION, "an Authorization value"),
                              (BEARER, "a Bearer token")):
            for match in pattern.finditer(text):
                found.append((kind, match.group(1)))
        for value in self.values:
            if value in text:
                found.append(("a known secret", value))
        seen, unique = set(), []
        for kind, secret in found:
            if not any(secret in other or other in secret for other in seen):
                seen.add(secret)
                unique.append((kind, secret))
        return unique


SECRETS = Secrets()
# fake_amazon's LWA client secret and first refresh token (tests/device).
SECRETS.remember("client-secret-value")
# tests/device/test_config.py's secrets.json, tools/run.py's virtual Wi-Fi.
for _value in ("hunter2-wifi", "s3cret-client", "virtual-wifi-password"):
    SECRETS.remember(_value)


def _remember_credentials(method):
    """Wrap a ControlClient call that hands out credentials: its client
    secret and refresh token become known secrets."""

    def call(self, *args, **kw):
        creds = method(self, *args, **kw)
        if isinstance(creds, dict):
            SECRETS.remember(creds.get("client_secret"))
            SECRETS.remember(creds.get("refresh_token"))
        return creds

    return call


ControlClient.create_model = _remember_credentials(ControlClient.create_model)
ControlClient.create_device = _remember_credentials(ControlClient.create_device)

# What a test read with capsys/capfd is gone from pytest's capture, so the
# fixture's reads are seen here first.
_readouterr = pytest.CaptureFixture.readouterr


def _seen_readouterr(self):
    result = _readouterr(self)
    if _watch is not None:
        for part in result:
            _watch.read.append(part.decode(errors="replace")
                               if isinstance(part, bytes) else part)
    return result


pytest.CaptureFixture.readouterr = _seen_readouterr


class Watch:
    """What one test produced so far: its flash chips, what it read from
    capture, since when its files are new, and what was already reported."""

    def __init__(self):
        self.since = time.time()
        self.flashes = []
        self.read = []
        self.reported = set()


_watch = None


def scan_text(text, where):
    """['<where>: <kind> <masked>'] for each secret in `text`."""
    return ["%s: %s %s" % (where, kind, mask(secret)) for kind, secret in SECRETS.find(text)]


def _flash_finds(flash):
    files = dict(flash.files)
    for name, data in files.items():
        if SECRET_FILES.search(name):
            SECRETS.remember_json(data.decode(errors="replace"))
    finds = []
    for name, data in sorted(files.items()):
        if not ALLOWED.search(name):
            finds += scan_text(data.decode(errors="replace"), "FakeFlash file %s" % name)
    return finds


def _written_files(root, since):
    for path in sorted(root.rglob("*")):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed while we looked
        if path.is_file() and stat.st_mtime >= since and stat.st_size <= MAX_FILE_BYTES:
            yield path


def _folder_finds(root, since):
    paths = list(_written_files(root, since))
    texts = {}
    for path in paths:
        try:
            texts[path] = path.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if SECRET_FILES.search(path.as_posix()):
            SECRETS.remember_json(texts[path])
    finds = []
    for path, text in texts.items():
        if not ALLOWED.search(path.as_posix()):
            finds += scan_text(text, "file %s" % path.relative_to(root))
    return finds


def _basetemp(config):
    factory = getattr(config, "_tmp_path_factory", None)
    return factory.getbasetemp() if factory is not None else None


def _phase_finds(item, report):
    finds = []
    for title, content in report.sections:
        if title.endswith(" " + report.when):
            finds += scan_text(content, title.lower().replace("captured ", "output: "))
    finds += scan_text("\n".join(_watch.read), "output the test read with capsys/capfd")
    _watch.read = []
    if report.failed and report.longrepr is not None:
        finds += scan_text(str(report.longrepr), "the failure report")
    if report.when != "setup":
        # After the test and again after its teardown, which may write too;
        # a find is reported once, on the test's own report if it can be.
        for flash in _watch.flashes:
            finds += _flash_finds(flash)
        base = _basetemp(item.config)
        if base is not None and base.exists():
            finds += _folder_finds(Path(base), _watch.since)
        _watch.since = time.time()
    finds = [find for find in finds if find not in _watch.reported]
    _watch.reported.update(finds)
    return finds


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    global _watch
    _watch = Watch()
    FakeFlash.created = _watch.flashes.append


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    global _watch
    outcome = yield
    report = outcome.get_result()
    if _watch is None:
        return
    finds = _phase_finds(item, report)
    if report.when == "teardown":
        FakeFlash.created = _watch = None
    if not finds:
        return
    message = "secret scan: %d secret(s) where none may be:\n  %s" % (
        len(finds), "\n  ".join(finds))
    if report.failed:
        report.sections.append(("secret scan", message))
    else:
        report.outcome = "failed"
        report.longrepr = message
