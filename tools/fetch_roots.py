"""Writes the public root CAs Amazon's hosts chain to as DER files under
certs/ (the device's /certs), taken from certifi's bundle as pinned in
requirements.txt, and records the source in certs/README.md.

    python -m tools.fetch_roots          # (re)write certs/
    python -m tools.fetch_roots --check  # exit 1 if certs/ differs from the bundle

The device loads these with one load_verify_locations(cadata=...) call each
(replenish.connector). DER, not PEM: smaller on flash, no base64 on the chip.
"""

import hashlib
import ssl
import sys
import warnings
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parent.parent
CERTS = ROOT / "certs"

# The roots of Amazon Trust Services' chains (api.amazon.com and the DRS host
# chain to them), and DigiCert Global Root G2, which some Amazon endpoints use.
ROOTS = {
    "Amazon Root CA 1": "amazon-root-ca-1.der",
    "Amazon Root CA 2": "amazon-root-ca-2.der",
    "Amazon Root CA 3": "amazon-root-ca-3.der",
    "Amazon Root CA 4": "amazon-root-ca-4.der",
    "Starfield Services Root Certificate Authority - G2": "starfield-services-root-g2.der",
    "DigiCert Global Root G2": "digicert-global-root-g2.der",
}


def bundle_certs(pem_text):
    """{label: DER} for every certificate of a certifi-style bundle."""
    found = {}
    label = None
    pem = []
    for line in pem_text.splitlines():
        if line.startswith('# Label: "'):
            label = line[len('# Label: "'):-1]
        elif line.startswith("-----BEGIN CERTIFICATE-----"):
            pem = [line]
        elif pem:
            pem.append(line)
            if line.startswith("-----END CERTIFICATE-----"):
                found[label] = ssl.PEM_cert_to_DER_cert("\n".join(pem) + "\n")
                pem = []
    return found


def selected():
    certs = bundle_certs(Path(certifi.where()).read_text())
    out = {}
    for label, filename in ROOTS.items():
        if label not in certs:
            raise SystemExit("certifi %s has no %r" % (certifi.__version__, label))
        der = certs[label]
        with warnings.catch_warnings():
            # A root may carry a serial number RFC 5280 no longer allows;
            # cryptography warns, and the bytes are what Mozilla ships.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            cert = x509.load_der_x509_certificate(der)
        common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        if common_name != label or cert.subject != cert.issuer:
            raise SystemExit("%r in the bundle is not the self-signed root it claims" % label)
        out[filename] = (label, der, cert)
    return out


def readme(certs):
    lines = [
        "# Root CAs the device trusts",
        "",
        "Written by `python -m tools.fetch_roots` from the CA bundle of `certifi`",
        "%s (https://github.com/certifi/python-certifi, Mozilla's root store), the" %
        certifi.__version__,
        "version pinned in `requirements.txt`. Do not edit by hand: bump certifi and rerun.",
        "The device loads every file listed in its settings; the emulator's CA replaces",
        "them in tests and demos.",
        "",
        "| file | certificate | valid until | SHA-256 |",
        "|---|---|---|---|",
    ]
    for filename, (label, der, cert) in certs.items():
        lines.append("| `%s` | %s | %s | `%s` |" % (
            filename, label, cert.not_valid_after_utc.date(), hashlib.sha256(der).hexdigest()))
    return "\n".join(lines) + "\n"


def main(argv):
    certs = selected()
    wanted = {name: der for name, (_, der, _) in certs.items()}
    wanted["README.md"] = readme(certs).encode()
    if "--check" in argv:
        stale = [name for name, data in wanted.items()
                 if not (CERTS / name).exists() or (CERTS / name).read_bytes() != data]
        for name in stale:
            print("certs/%s differs from certifi %s" % (name, certifi.__version__))
        return 1 if stale else 0
    CERTS.mkdir(exist_ok=True)
    for name, data in wanted.items():
        (CERTS / name).write_bytes(data)
    print("certs/: %d root CAs from certifi %s" % (len(certs), certifi.__version__))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
