"""TLS, passwords and the per-store ACL of docs/sync.md on a real Mosquitto."""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from paho.mqtt.enums import CallbackAPIVersion

from edge.sync_bridge import LedgerJournal, start_store_sync
from sync.hq.enrol import acl_lines, hq_acl_lines
from sync.hq.serve import Collector
from sync.hq.settings import HqSettings
from sync.hq.status import journal_of
from sync.publisher import encode_batch
from sync.topics import StoreTopics
from tests.sync.parts import Broker, KeyFixture, wait_until
from tests.sync.support import converged, open_store, sell


def _write_pem(path: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
    path.with_suffix(".key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _certificates(directory: Path) -> Path:
    """A CA and a broker certificate for 127.0.0.1; returns the CA file."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "storenode test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "broker")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_pem(directory / "ca", ca_key, ca)
    _write_pem(directory / "broker", key, cert)
    return directory / "ca.crt"


@pytest.fixture
def secure_broker(tmp_path: Path) -> Iterator[tuple[Broker, Path]]:
    if shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto_passwd not installed (Debian package mosquitto)")
    directory = tmp_path / "secure"
    directory.mkdir()
    ca = _certificates(directory)
    passwd = directory / "passwd"
    for user, password in (("hq", "hq-secret"), ("S1", "s1-secret"), ("S2", "s2-secret")):
        subprocess.run(["mosquitto_passwd", *([] if passwd.exists() else ["-c"]), "-b", str(passwd), user, password], check=True)
    acl = directory / "acl"
    acl.write_text("\n".join([*hq_acl_lines("default"), "", *acl_lines("default", "S1"), "", *acl_lines("default", "S2")]) + "\n")
    broker = Broker(directory / "mosquitto", (
        f"cafile {ca}\ncertfile {directory / 'broker.crt'}\nkeyfile {directory / 'broker.key'}\n"
        f"allow_anonymous false\npassword_file {passwd}\nacl_file {acl}\n"
    )).start()
    yield broker, ca
    broker.stop()


def test_a_store_syncs_over_tls_with_its_password_and_cannot_speak_for_another(
    secure_broker: tuple[Broker, Path], hq_key: KeyFixture, tmp_path: Path
) -> None:
    broker, ca = secure_broker
    hq = Collector(HqSettings(db=str(tmp_path / "hq.db"), broker_port=broker.port, tls_ca=ca,
                              username="hq", password="hq-secret"), name="tls").start()
    node = open_store(tmp_path / "S1", "S1", broker.port, hq_key[2], tls_ca=str(ca), username="S1", password="s1-secret")
    handle = start_store_sync(node)
    try:
        for n in range(30):
            sell(node.ledger, n)
        wait_until(lambda: converged(hq.engine, "S1", node.ledger), 30, "S1's journal at HQ over TLS")

        # S1's credentials, publishing as S2: the broker refuses, so HQ never sees it.
        spoofer = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"spoof-{uuid.uuid4().hex[:6]}", protocol=mqtt.MQTTv5)
        spoofer.tls_set(ca_certs=str(ca), cert_reqs=ssl.CERT_REQUIRED)
        spoofer.username_pw_set("S1", "s1-secret")
        spoofer.connect("127.0.0.1", broker.port)
        spoofer.loop_start()
        rows = list(LedgerJournal(node.ledger).rows_after(0, 5))
        spoofer.publish(StoreTopics("default", "S2").events, encode_batch("S2", rows), qos=1).wait_for_publish(10)
        # Had the broker taken it, it would reach HQ's one connection before this later sale.
        sell(node.ledger, 99)
        wait_until(lambda: converged(hq.engine, "S1", node.ledger), 30, "S1's later sale at HQ")
        assert journal_of(hq.engine, "S2") == {}
        spoofer.disconnect()
        spoofer.loop_stop()

        anonymous = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="anon", protocol=mqtt.MQTTv5)
        anonymous.tls_set(ca_certs=str(ca))
        refused: list[object] = []
        anonymous.on_connect = lambda _c, _u, _f, reason, _p: refused.append(reason.is_failure)
        anonymous.connect("127.0.0.1", broker.port)
        anonymous.loop_start()
        wait_until(lambda: refused, 10, "the broker's answer to an anonymous client")
        anonymous.loop_stop()
        assert refused == [True]
    finally:
        handle.stop()
        node.close()
        hq.stop()
