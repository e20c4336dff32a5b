"""The emulator's own certificate authority and server certificate.

Generated once into the state directory and reused, so a device that loaded
the CA keeps trusting a restarted emulator. The server certificate names the
DNS host `localhost` only (no IP address): a client that connects to
"127.0.0.1" and checks host names must refuse it.
"""

import datetime
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOSTNAME = "localhost"
# Fixed, generous validity: device tests run virtual clocks that start before
# "today", and mbedtls on the unix port checks dates against the host's clock.
NOT_BEFORE = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
NOT_AFTER = datetime.datetime(2045, 1, 1, tzinfo=datetime.timezone.utc)


class CertPaths:
    def __init__(self, state_dir):
        d = Path(state_dir)
        self.ca_pem = d / "ca.pem"
        self.ca_der = d / "ca.der"
        self.ca_key = d / "ca.key"
        self.server_pem = d / "server.pem"
        self.server_key = d / "server.key"


def _name(common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DRS emulator (local test CA)"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _write_private(path, data):
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _make_ca(paths):
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("DRS emulator root CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(paths.ca_key, _key_pem(key))
    paths.ca_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.ca_der.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    return key, cert


def _make_server(paths, ca_key, ca_cert):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(HOSTNAME)).issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOSTNAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(paths.server_key, _key_pem(key))
    paths.server_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def ensure_certificates(state_dir):
    """Create the CA and server certificate unless they already exist."""
    paths = CertPaths(state_dir)
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    if not (paths.ca_pem.exists() and paths.ca_key.exists()):
        ca_key, ca_cert = _make_ca(paths)
        _make_server(paths, ca_key, ca_cert)
    elif not (paths.server_pem.exists() and paths.server_key.exists()):
        ca_key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate(paths.ca_pem.read_bytes())
        _make_server(paths, ca_key, ca_cert)
    if not paths.ca_der.exists():
        ca_cert = x509.load_pem_x509_certificate(paths.ca_pem.read_bytes())
        paths.ca_der.write_bytes(ca_cert.public_bytes(serialization.Encoding.DER))
    return paths


def server_context(paths):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(paths.server_pem), str(paths.server_key))
    return ctx
