# The real TLS connector: what it trusts and how it refuses to trust nothing.
# (Handshakes against a live server are in tests/host/test_drs_integration.py.)
import ssl

from replenish.connector import SocketConnector
from replenish.fs import Fs

REPO = Fs(__file__.rsplit("tests/", 1)[0])  # the device's root (relative on MicroPython)
ROOTS = ["certs/amazon-root-ca-%d.der" % n for n in (1, 2, 3, 4)] + [
    "certs/starfield-services-root-g2.der", "certs/digicert-global-root-g2.der"]


def test_loads_every_shipped_root_and_requires_certificates():
    ctx = SocketConnector(REPO, ROOTS).context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED


def test_a_missing_ca_file_is_named():
    try:
        SocketConnector(REPO, ROOTS + ["certs/nope.der"]).context()
    except OSError as err:
        assert "certs/nope.der" in str(err)
        return
    raise AssertionError("a missing CA file was ignored")


def test_no_ca_files_is_refused():
    try:
        SocketConnector(REPO, [])
    except ValueError:
        return
    raise AssertionError("a connector that trusts nothing was built")
