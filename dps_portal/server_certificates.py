"""The device endpoint's TLS certificates: generated on first run, or the operator's own.

Generated (no `DPS_TLS_CERT_FILE`): a local CA and a server certificate it signs, in
`{DPS_DATA_DIR}/tls/` (folder mode 0700, private keys 0600):

- `ca.pem` — the CA certificate devices trust (the portal's `Download server CA certificate`);
- `ca.key` — the CA's private key: it stays in that folder on the server, nothing reads it but
  this module when it issues a server certificate;
- `server.pem` — the server certificate followed by the CA certificate (the chain TLS sends);
- `server.key` — the server certificate's private key.

Keys are ECDSA P-256 (fast handshakes; every Azure device SDK's TLS stack speaks it). The CA is
valid 10 years, the server certificate 397 days (the CA/Browser Forum's limit). The server
certificate's subject alternative names are `localhost`, `127.0.0.1`, `::1` and the configured
host names (`server_host_names`). A server certificate is issued again, by the same CA, when it
does not name every configured host, is not signed by the CA, or expires within 30 days: devices
that trust the CA keep trusting the server. Names only accumulate (the new certificate keeps the old
one's names), so processes configured with different names never take each other's away; delete
`server.pem` to start over. Several processes may start at once (the portal, the
device server's master, tests): an exclusive `flock` on `tls/.lock` makes one of them write, and each
file appears whole (written to a temporary file, then renamed).

Operator's own (`DPS_TLS_CERT_FILE` + `DPS_TLS_KEY_FILE`, optionally `DPS_TLS_CA_FILE`): used as given,
never changed; a key that does not match the certificate is refused at start with the reason.
The download then serves `DPS_TLS_CA_FILE`, else the last certificate of the chain file.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import ipaddress
import os
import ssl
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ALWAYS_NAMED = ("localhost", "127.0.0.1", "::1")
CA_LIFETIME = dt.timedelta(days=3650)
SERVER_LIFETIME = dt.timedelta(days=397)
RENEW_BEFORE = dt.timedelta(days=30)
CLOCK_SKEW = dt.timedelta(hours=1)  # not-before lies this far back, for devices whose clock is behind


class ServerCertificateError(Exception):
    """The configured certificate files cannot be used; the message says why and what to set."""


@dataclass(frozen=True)
class ServerCertificateFiles:
    """Where the TLS server's files are.

    `certificate`: PEM, the server certificate then its chain; `private_key`: PEM;
    `ca_certificate`: the PEM devices should trust, or None (operator's chain file: its last one);
    `generated`: True for the local CA's files.
    """

    certificate: Path
    private_key: Path
    ca_certificate: Path | None
    generated: bool


# --- host names --------------------------------------------------------------------------------


def normalize_host_name(value: str) -> list[str]:
    """SAN entries for one configured name: `[::1]` → `::1`, `host:port` → `host`,
    `.example.com` (Django's "and subdomains") → `example.com`, `*.example.com`; `*` → none."""
    name = value.strip().lower().rstrip(".")
    if not name or name == "*":
        return []
    if name.startswith("[") and "]" in name:
        name = name[1 : name.index("]")]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name.startswith("."):
        return [name[1:], "*" + name]
    try:
        return [str(ipaddress.ip_address(name))]
    except ValueError:
        return [name]


def server_host_names(
    *,
    public_url: str = "",
    device_host: str = "",
    allowed_hosts: Iterable[str] = (),
    extra: Iterable[str] = (),
    bind: str = "",
) -> tuple[str, ...]:
    """The server certificate's subject alternative names, in order, without repeats (ignoring case):
    `localhost`, `127.0.0.1`, `::1`, then the device host, the public URL's host, the bind address
    (unless it is a wildcard), `DJANGO_ALLOWED_HOSTS` and `DPS_TLS_HOST_NAMES`."""
    candidates: list[str] = list(ALWAYS_NAMED)
    candidates += normalize_host_name(device_host)
    if public_url:
        candidates += normalize_host_name(urlsplit(public_url if "://" in public_url else "//" + public_url).netloc)
    if bind and bind not in ("0.0.0.0", "::", "[::]"):
        candidates += normalize_host_name(bind if ":" not in bind or bind.startswith("[") else f"[{bind}]")
    for name in [*allowed_hosts, *extra]:
        candidates += normalize_host_name(name)
    seen: dict[str, None] = {}
    for name in candidates:
        seen.setdefault(name, None)
    return tuple(seen)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def certificate_names(certificate: x509.Certificate) -> set[str]:
    """The DNS names and IP addresses (as text, lower case) in a certificate's SAN extension."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    names = {n.lower() for n in san.get_values_for_type(x509.DNSName)}
    names |= {str(a) for a in san.get_values_for_type(x509.IPAddress)}
    return names


# --- issuing -----------------------------------------------------------------------------------


def issue_ca(
    *, common_name: str, now: dt.datetime | None = None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A self-signed CA (basicConstraints CA:TRUE, pathlen 0; keyCertSign, cRLSign), valid 10 years."""
    now = now or dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def issue_server_certificate(
    *,
    ca_certificate: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    host_names: Iterable[str],
    now: dt.datetime | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A TLS server certificate (serverAuth) signed by the CA, naming `host_names` (DNS names or IP
    addresses) as subject alternative names; CN is the first configured name (else `localhost`).
    Valid 397 days, never past the CA."""
    names = list(host_names)
    if not names:
        raise ValueError("a server certificate needs at least one host name")
    now = now or dt.datetime.now(dt.UTC)
    common_name = next((n for n in names if n not in ALWAYS_NAMED), names[0])
    key = ec.generate_private_key(ec.SECP256R1())
    not_after = min(now + SERVER_LIFETIME, ca_certificate.not_valid_after_utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])]))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_certificate.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return certificate, key


def _signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _ordered_names(certificate: x509.Certificate) -> list[str]:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [n.value.lower() if isinstance(n, x509.DNSName) else str(n.value) for n in san]


def reissue_reason(
    *,
    server_certificate: x509.Certificate,
    ca_certificate: x509.Certificate,
    host_names: Iterable[str],
    now: dt.datetime | None = None,
) -> str | None:
    """Why the server certificate must be issued again (a sentence), or None when it still fits."""
    now = now or dt.datetime.now(dt.UTC)
    if not _signed_by(server_certificate, ca_certificate):
        return "it is not signed by the local CA"
    missing = [n for n in host_names if n.lower() not in certificate_names(server_certificate)]
    if missing:
        return f"it does not name {', '.join(missing)}"
    if server_certificate.not_valid_after_utc - RENEW_BEFORE <= now:
        return f"it expires on {server_certificate.not_valid_after_utc:%Y-%m-%d}"
    if server_certificate.not_valid_before_utc > now:
        return "it is not valid yet"
    return None


# --- files -------------------------------------------------------------------------------------


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one, never a part."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _read_certificate(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())[0]
    except (OSError, ValueError, IndexError):
        return None


def _read_key(path: Path):
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None


def ensure_generated(
    data_dir: Path, *, host_names: Iterable[str], ca_name: str = "DPS Portal local CA", now: dt.datetime | None = None
) -> ServerCertificateFiles:
    """The generated files under `data_dir/tls`, creating the CA on first run and (re)issuing the
    server certificate as `reissue_reason` says. Safe when several processes call it at once."""
    names = [n.lower() for n in host_names]
    folder = Path(data_dir) / "tls"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    files = ServerCertificateFiles(
        certificate=folder / "server.pem",
        private_key=folder / "server.key",
        ca_certificate=folder / "ca.pem",
        generated=True,
    )
    ca_key_path = folder / "ca.key"
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            ca_certificate, ca_key = _read_certificate(files.ca_certificate), _read_key(ca_key_path)
            if (
                ca_certificate is None
                or ca_key is None
                or ca_key.public_key() != ca_certificate.public_key()
                or ca_certificate.not_valid_after_utc - RENEW_BEFORE <= (now or dt.datetime.now(dt.UTC))
            ):
                ca_certificate, ca_key = issue_ca(common_name=ca_name, now=now)
                _write_atomically(ca_key_path, _key_pem(ca_key), 0o600)
                _write_atomically(files.ca_certificate, _pem(ca_certificate), 0o644)
            server_certificate, server_key = _read_certificate(files.certificate), _read_key(files.private_key)
            if (
                server_certificate is None
                or server_key is None
                or server_key.public_key() != server_certificate.public_key()
                or reissue_reason(
                    server_certificate=server_certificate, ca_certificate=ca_certificate, host_names=names, now=now
                )
            ):
                # Names only accumulate: processes configured with different names (the portal, the
                # device server) never take each other's names away; delete server.pem to start over.
                if server_certificate is not None and _signed_by(server_certificate, ca_certificate):
                    names += [n for n in _ordered_names(server_certificate) if n not in names]
                server_certificate, server_key = issue_server_certificate(
                    ca_certificate=ca_certificate, ca_key=ca_key, host_names=names, now=now
                )
                # the key first: a reader that sees the new certificate finds its key in place
                _write_atomically(files.private_key, _key_pem(server_key), 0o600)
                _write_atomically(files.certificate, _pem(server_certificate) + _pem(ca_certificate), 0o644)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return files


def check_operator_files(certificate: str, private_key: str, ca_certificate: str = "") -> ServerCertificateFiles:
    """The operator's files, checked: readable, PEM, the key matching the certificate.
    Raises ServerCertificateError naming the file and the cause."""
    paths = {"DPS_TLS_CERT_FILE": certificate, "DPS_TLS_KEY_FILE": private_key}
    if ca_certificate:
        paths["DPS_TLS_CA_FILE"] = ca_certificate
    for setting, path in paths.items():
        if not path:
            raise ServerCertificateError(
                f"{setting} is not set: give both DPS_TLS_CERT_FILE and DPS_TLS_KEY_FILE, or neither "
                "(the server then generates its own certificates)."
            )
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise ServerCertificateError(f"{setting}={path}: no such readable file.")
    for setting in ("DPS_TLS_CERT_FILE", "DPS_TLS_CA_FILE"):
        if setting in paths and _read_certificate(Path(paths[setting])) is None:
            raise ServerCertificateError(f"{setting}={paths[setting]}: not a PEM certificate.")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certificate, private_key)
    except ssl.SSLError as exc:
        raise ServerCertificateError(
            f"DPS_TLS_KEY_FILE={private_key} does not fit DPS_TLS_CERT_FILE={certificate} ({exc.reason or exc}); "
            "the key must be the certificate's own, unencrypted PEM."
        ) from exc
    return ServerCertificateFiles(
        certificate=Path(certificate),
        private_key=Path(private_key),
        ca_certificate=Path(ca_certificate) if ca_certificate else None,
        generated=False,
    )


def configured_files(settings) -> ServerCertificateFiles:
    """The files the device endpoint serves with, from Django settings: the operator's
    (`DPS_TLS_CERT_FILE`, `DPS_TLS_KEY_FILE`, `DPS_TLS_CA_FILE`) or generated under `DPS_DATA_DIR`."""
    from dps_portal.device_endpoint import device_host

    if settings.DPS_TLS_CERT_FILE or settings.DPS_TLS_KEY_FILE:
        return check_operator_files(settings.DPS_TLS_CERT_FILE, settings.DPS_TLS_KEY_FILE, settings.DPS_TLS_CA_FILE)
    return ensure_generated(
        Path(settings.DPS_DATA_DIR),
        host_names=server_host_names(
            public_url=settings.DPS_PUBLIC_URL,
            device_host=device_host(settings.DPS_DEVICE_HOST, settings.DPS_PUBLIC_URL),
            allowed_hosts=settings.ALLOWED_HOSTS,
            extra=settings.DPS_TLS_HOST_NAMES,
            bind=settings.DPS_DEVICE_BIND,
        ),
        ca_name=f"{settings.DPS_SERVICE_NAME} local CA",
    )


def ca_certificate_pem(files: ServerCertificateFiles) -> bytes:
    """The PEM devices should trust: the CA file, else the last certificate of the chain file
    (the top of the operator's chain; the certificate itself when it is self-signed)."""
    if files.ca_certificate is not None:
        return b"".join(_pem(c) for c in x509.load_pem_x509_certificates(files.ca_certificate.read_bytes()))
    chain = x509.load_pem_x509_certificates(files.certificate.read_bytes())
    return _pem(chain[-1])


# --- the TLS context ---------------------------------------------------------------------------

_contexts: dict[tuple, ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def server_ssl_context(files: ServerCertificateFiles) -> ssl.SSLContext:
    """A server-side SSLContext (TLS 1.2 or later, the standard library's defaults otherwise) for the
    files; the same object while the files are unchanged, a new one once a file is replaced, so a
    renewed certificate is served without a restart."""
    stamp = tuple((os.stat(p).st_mtime_ns, os.stat(p).st_ino) for p in (files.certificate, files.private_key))
    key = (str(files.certificate), str(files.private_key), stamp)
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(files.certificate, files.private_key)
            _contexts.clear()
            _contexts[key] = context
    return context
