"""Real parts for the sync tests: a Mosquitto per test, one throwaway PostgreSQL cluster,
HQ's key, stores on real ledgers. Nothing is mocked at the MQTT or database layer."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.hq.serve import Collector
from sync.hq.settings import HqSettings
from sync.signing import generate_private_key, public_key_text
from tests.sync.parts import Broker, KeyFixture, Postgres, pg_bin


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto is not installed (Debian: apt-get install mosquitto; ./run test installs it)")
    if shutil.which("mosquitto") is None:
        os.environ["PATH"] += ":/usr/sbin"
    running = Broker(tmp_path / "mosquitto").start()
    yield running
    running.stop()


@pytest.fixture
def hq_key(tmp_path: Path) -> KeyFixture:
    path = tmp_path / "hq_key.pem"
    key = generate_private_key(path)
    return path, key, public_key_text(key.public_key())


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Postgres]:
    bindir = pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries not found in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: initdb refuses root")
    cluster = Postgres(bindir).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: Postgres) -> str:
    return postgres_cluster.new_database()


@pytest.fixture
def hq(broker: Broker, hq_key: KeyFixture, tmp_path: Path) -> Iterator[Collector]:
    """One `hq serve` collector on the test's broker, with a SQLite database."""
    settings = HqSettings(db=str(tmp_path / "hq.db"), broker_port=broker.port, key=hq_key[0])
    collector = Collector(settings, name="t1", republish_seconds=1.0).start()
    yield collector
    collector.stop()
