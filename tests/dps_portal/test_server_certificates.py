"""The device endpoint's certificates (dps_portal/server_certificates.py): the names, the local CA,
the server certificate and when it is issued again, the files and their modes, several processes
starting at once, the operator's own files, and the TLS context."""

import datetime as dt
import ipaddress
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from dps_portal import server_certificates as sc

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _names(certificate: x509.Certificate) -> list:
    return list(certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)


def _load(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


# --- names -------------------------------------------------------------------------------------


def test_host_names_always_start_with_localhost_and_both_loopbacks():
    assert sc.server_host_names() == ("localhost", "127.0.0.1", "::1")


def test_host_names_take_the_configured_names_in_order_without_repeats():
    names = sc.server_host_names(
        public_url="https://DPS.example.com:8443/",
        device_host="global.example.net",
        allowed_hosts=["dps.example.com", "[::1]", "10.0.0.5", ".fleet.example.org", "*", "localhost"],
        extra=["edge.example.com:443", "[2001:db8::1]"],
        bind="192.0.2.7",
    )
    assert names == (
        "localhost",
        "127.0.0.1",
        "::1",
        "global.example.net",
        "dps.example.com",
        "192.0.2.7",
        "10.0.0.5",
        "fleet.example.org",
        "*.fleet.example.org",
        "edge.example.com",
        "2001:db8::1",
    )


@pytest.mark.parametrize("bind", ["0.0.0.0", "::", "[::]", ""])
def test_a_wildcard_bind_address_is_not_a_name(bind):
    assert sc.server_host_names(bind=bind) == ("localhost", "127.0.0.1", "::1")


def test_an_ipv6_bind_address_is_named():
    assert sc.server_host_names(bind="fd00::12")[-1] == "fd00::12"


# --- issuing -----------------------------------------------------------------------------------


def test_the_local_ca_is_a_ca_that_signs_certificates_only():
    ca, key = sc.issue_ca(common_name="dps-portal local CA", now=NOW)
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    assert usage.key_cert_sign and usage.crl_sign
    ca.verify_directly_issued_by(ca)
    assert isinstance(ca.signature_hash_algorithm, hashes.SHA256)
    assert ca.not_valid_after_utc - ca.not_valid_before_utc >= dt.timedelta(days=3650)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"


def test_the_server_certificate_names_every_host_and_serves_tls_servers_only():
    ca, ca_key = sc.issue_ca(common_name="ca", now=NOW)
    names = sc.server_host_names(public_url="https://dps.example.com", bind="127.0.12.9")
    certificate, key = sc.issue_server_certificate(ca_certificate=ca, ca_key=ca_key, host_names=names, now=NOW)
    certificate.verify_directly_issued_by(ca)
    sans = _names(certificate)
    assert x509.DNSName("localhost") in sans and x509.DNSName("dps.example.com") in sans
    assert x509.IPAddress(ipaddress.ip_address("127.0.0.1")) in sans
    assert x509.IPAddress(ipaddress.ip_address("::1")) in sans
    assert x509.IPAddress(ipaddress.ip_address("127.0.12.9")) in sans
    assert len(sans) == len(names)
    assert certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.SERVER_AUTH]
    )
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert certificate.subject.rfc4514_string() == "CN=dps.example.com"
    assert certificate.not_valid_after_utc - NOW == dt.timedelta(days=397)
    assert key.public_key() == certificate.public_key()


def test_the_server_certificate_never_outlives_its_ca():
    ca, ca_key = sc.issue_ca(common_name="ca", now=NOW - dt.timedelta(days=3600))
    certificate, _ = sc.issue_server_certificate(ca_certificate=ca, ca_key=ca_key, host_names=["localhost"], now=NOW)
    assert certificate.not_valid_after_utc == ca.not_valid_after_utc


def test_a_server_certificate_needs_a_name():
    ca, ca_key = sc.issue_ca(common_name="ca", now=NOW)
    with pytest.raises(ValueError, match="at least one host name"):
        sc.issue_server_certificate(ca_certificate=ca, ca_key=ca_key, host_names=[], now=NOW)


def test_reissue_reasons():
    ca, ca_key = sc.issue_ca(common_name="ca", now=NOW)
    other_ca, other_key = sc.issue_ca(common_name="ca", now=NOW)
    certificate, _ = sc.issue_server_certificate(ca_certificate=ca, ca_key=ca_key, host_names=["localhost"], now=NOW)
    foreign, _ = sc.issue_server_certificate(
        ca_certificate=other_ca, ca_key=other_key, host_names=["localhost"], now=NOW
    )

    def reason(cert, names=("localhost",), now=NOW):
        return sc.reissue_reason(server_certificate=cert, ca_certificate=ca, host_names=names, now=now)

    assert reason(certificate) is None
    assert reason(foreign) == "it is not signed by the local CA"  # same subject names, another key
    assert reason(certificate, names=("localhost", "dps.example.com", "10.0.0.1")) == (
        "it does not name dps.example.com, 10.0.0.1"
    )
    expiry = certificate.not_valid_after_utc
    assert reason(certificate, now=expiry - dt.timedelta(days=31)) is None
    assert reason(certificate, now=expiry - dt.timedelta(days=29)) == f"it expires on {expiry:%Y-%m-%d}"
    assert reason(certificate, now=NOW - dt.timedelta(days=1)) == "it is not valid yet"


# --- files -------------------------------------------------------------------------------------


def test_first_run_writes_the_ca_and_a_server_certificate_with_private_modes(tmp_path):
    files = sc.ensure_generated(tmp_path, host_names=sc.server_host_names())
    folder = tmp_path / "tls"
    assert files.generated and files.ca_certificate == folder / "ca.pem"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "ca.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "server.key").stat().st_mode) == 0o600
    (ca,) = _load(folder / "ca.pem")
    server, chained_ca = _load(folder / "server.pem")  # the chain TLS sends: server, then the CA
    assert chained_ca == ca
    server.verify_directly_issued_by(ca)
    assert b"PRIVATE KEY" not in (folder / "ca.pem").read_bytes() + (folder / "server.pem").read_bytes()
    ca_key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), None)
    assert ca_key.public_key() == ca.public_key()
    assert sorted(p.name for p in folder.iterdir()) == [".lock", "ca.key", "ca.pem", "server.key", "server.pem"]


def test_a_second_run_keeps_every_file(tmp_path):
    sc.ensure_generated(tmp_path, host_names=["localhost"])
    before = {p.name: p.read_bytes() for p in (tmp_path / "tls").iterdir()}
    sc.ensure_generated(tmp_path, host_names=["LOCALHOST"])
    assert {p.name: p.read_bytes() for p in (tmp_path / "tls").iterdir()} == before


def test_a_new_host_name_gets_a_new_server_certificate_from_the_same_ca_keeping_the_old_names(tmp_path):
    sc.ensure_generated(tmp_path, host_names=["localhost", "127.0.12.1"])
    ca_before = (tmp_path / "tls" / "ca.pem").read_bytes()
    sc.ensure_generated(tmp_path, host_names=["localhost", "dps.example.com"])
    assert (tmp_path / "tls" / "ca.pem").read_bytes() == ca_before
    server = _load(tmp_path / "tls" / "server.pem")[0]
    assert sc.certificate_names(server) == {"localhost", "dps.example.com", "127.0.12.1"}
    server.verify_directly_issued_by(_load(tmp_path / "tls" / "ca.pem")[0])


def test_a_server_certificate_about_to_expire_is_issued_again(tmp_path):
    sc.ensure_generated(tmp_path, host_names=["localhost"], now=NOW)
    first = _load(tmp_path / "tls" / "server.pem")[0]
    sc.ensure_generated(tmp_path, host_names=["localhost"], now=first.not_valid_after_utc - dt.timedelta(days=10))
    second = _load(tmp_path / "tls" / "server.pem")[0]
    assert second.serial_number != first.serial_number
    assert second.not_valid_after_utc > first.not_valid_after_utc


@pytest.mark.parametrize("damage", ["server.pem", "server.key", "swap key"])
def test_a_damaged_or_mismatched_server_file_is_replaced(tmp_path, damage):
    sc.ensure_generated(tmp_path, host_names=["localhost"])
    folder = tmp_path / "tls"
    ca_before = (folder / "ca.pem").read_bytes()
    if damage == "swap key":
        other = ec.generate_private_key(ec.SECP256R1())
        (folder / "server.key").write_bytes(
            other.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    else:
        (folder / damage).write_bytes(b"-----BEGIN CERTIFICATE-----\ntruncated")
    files = sc.ensure_generated(tmp_path, host_names=["localhost"])
    assert (folder / "ca.pem").read_bytes() == ca_before
    sc.check_operator_files(str(files.certificate), str(files.private_key))  # the pair fits again


def test_a_lost_ca_key_starts_a_new_ca(tmp_path):
    sc.ensure_generated(tmp_path, host_names=["localhost"])
    ca_before = (tmp_path / "tls" / "ca.pem").read_bytes()
    (tmp_path / "tls" / "ca.key").unlink()
    sc.ensure_generated(tmp_path, host_names=["localhost"])
    assert (tmp_path / "tls" / "ca.pem").read_bytes() != ca_before
    server = _load(tmp_path / "tls" / "server.pem")[0]
    server.verify_directly_issued_by(_load(tmp_path / "tls" / "ca.pem")[0])


def test_processes_starting_at_once_end_with_one_ca_and_a_fitting_pair(tmp_path):
    code = (
        "import sys; from pathlib import Path; from dps_portal.server_certificates import ensure_generated;"
        "ensure_generated(Path(sys.argv[1]), host_names=['localhost', sys.argv[2]])"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path), f"host-{n}.example.com"], cwd=ROOT)
        for n in range(6)
    ]
    assert [p.wait(timeout=60) for p in processes] == [0] * 6
    folder = tmp_path / "tls"
    (ca,) = _load(folder / "ca.pem")
    server = _load(folder / "server.pem")[0]
    server.verify_directly_issued_by(ca)
    assert {f"host-{n}.example.com" for n in range(6)} <= sc.certificate_names(server)  # no name lost
    sc.check_operator_files(str(folder / "server.pem"), str(folder / "server.key"))
    assert not [p for p in folder.iterdir() if p.name.startswith(".") and p.name != ".lock"]  # no temporaries


# --- the operator's own files ------------------------------------------------------------------


def _operator_pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    ca, ca_key = sc.issue_ca(common_name="Operator Root", now=dt.datetime.now(dt.UTC))
    certificate, key = sc.issue_server_certificate(
        ca_certificate=ca, ca_key=ca_key, host_names=["dps.example.com"], now=dt.datetime.now(dt.UTC)
    )
    cert_path, key_path, ca_path = tmp_path / "chain.pem", tmp_path / "key.pem", tmp_path / "root.pem"
    cert_path.write_bytes(sc._pem(certificate) + sc._pem(ca))
    key_path.write_bytes(sc._key_pem(key))
    ca_path.write_bytes(sc._pem(ca))
    return cert_path, key_path, ca_path


def test_the_operators_files_are_used_as_given(tmp_path):
    cert_path, key_path, ca_path = _operator_pair(tmp_path)
    files = sc.check_operator_files(str(cert_path), str(key_path))
    assert not files.generated and files.certificate == cert_path and files.ca_certificate is None
    # without DPS_TLS_CA_FILE the download is the top of the chain
    assert sc.ca_certificate_pem(files) == ca_path.read_bytes()
    with_ca = sc.check_operator_files(str(cert_path), str(key_path), str(ca_path))
    assert sc.ca_certificate_pem(with_ca) == ca_path.read_bytes()


def test_a_self_signed_operator_certificate_is_its_own_download(tmp_path):
    ca, key = sc.issue_ca(common_name="self", now=dt.datetime.now(dt.UTC))
    (tmp_path / "c.pem").write_bytes(sc._pem(ca))
    (tmp_path / "k.pem").write_bytes(sc._key_pem(key))
    files = sc.check_operator_files(str(tmp_path / "c.pem"), str(tmp_path / "k.pem"))
    assert sc.ca_certificate_pem(files) == sc._pem(ca)


def test_operator_file_errors_say_what_is_wrong(tmp_path):
    cert_path, key_path, _ = _operator_pair(tmp_path)
    with pytest.raises(sc.ServerCertificateError, match="DPS_TLS_KEY_FILE is not set: give both"):
        sc.check_operator_files(str(cert_path), "")
    with pytest.raises(sc.ServerCertificateError, match="DPS_TLS_CERT_FILE=/nowhere.pem: no such readable file"):
        sc.check_operator_files("/nowhere.pem", str(key_path))
    with pytest.raises(sc.ServerCertificateError, match="DPS_TLS_CERT_FILE=.*: not a PEM certificate"):
        sc.check_operator_files(str(key_path), str(key_path))
    other = tmp_path / "other.key"
    other.write_bytes(sc._key_pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(sc.ServerCertificateError, match="does not fit DPS_TLS_CERT_FILE"):
        sc.check_operator_files(str(cert_path), str(other))


# --- the TLS context ---------------------------------------------------------------------------


def _handshake(context: ssl.SSLContext, ca_pem: bytes, server_name: str, *, tls12_only=False) -> str:
    """One TLS handshake over a socket pair; returns the negotiated version."""
    server_side, client_side = socket.socketpair()
    client_context = ssl.create_default_context(cadata=ca_pem.decode())
    if tls12_only:
        client_context.maximum_version = ssl.TLSVersion.TLSv1_2
    errors = []

    def serve():
        try:
            with context.wrap_socket(server_side, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError) as exc:
            errors.append(exc)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client_context.wrap_socket(client_side, server_hostname=server_name) as tls:
            version = tls.version()
            tls.sendall(b"x")
    finally:
        thread.join(5)
    return version


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "::1", "dps.example.com"])
def test_a_client_trusting_the_ca_verifies_every_name(tmp_path, name):
    files = sc.ensure_generated(tmp_path, host_names=sc.server_host_names(public_url="https://dps.example.com"))
    ca_pem = files.ca_certificate.read_bytes()
    assert _handshake(sc.server_ssl_context(files), ca_pem, name) == "TLSv1.3"
    assert _handshake(sc.server_ssl_context(files), ca_pem, name, tls12_only=True) == "TLSv1.2"  # the device SDK


def test_a_name_not_in_the_certificate_is_refused_by_the_client(tmp_path):
    files = sc.ensure_generated(tmp_path, host_names=["localhost"])
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        _handshake(sc.server_ssl_context(files), files.ca_certificate.read_bytes(), "other.example.com")


def test_the_context_refuses_tls_before_1_2_and_is_rebuilt_when_the_files_change(tmp_path):
    files = sc.ensure_generated(tmp_path, host_names=["localhost"])
    context = sc.server_ssl_context(files)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert sc.server_ssl_context(files) is context
    sc.ensure_generated(tmp_path, host_names=["localhost", "new.example.com"])
    renewed = sc.server_ssl_context(files)
    assert renewed is not context
    assert _handshake(renewed, files.ca_certificate.read_bytes(), "new.example.com") == "TLSv1.3"


def test_the_ca_key_is_never_in_what_the_context_loads(tmp_path):
    files = sc.ensure_generated(tmp_path, host_names=["localhost"])
    ca_key = (tmp_path / "tls" / "ca.key").read_bytes()
    assert ca_key not in files.certificate.read_bytes() and ca_key not in files.private_key.read_bytes()
    assert os.path.basename(files.private_key) == "server.key"
