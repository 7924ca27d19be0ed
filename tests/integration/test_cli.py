"""The `storenode` command as a user runs it: one-line errors, non-zero exits, nothing created by accident."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from pos.catalog import gtin13_with_check_digit
from tests.support.store import item_row, write_catalog, write_config


def storenode(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge.cli", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_bad_config_exits_non_zero_with_one_line_naming_file_key_and_reason(tmp_path: Path) -> None:
    config = write_config(tmp_path, extra="[api]\nport = 70000\n")
    result = storenode("--config", str(config), "ledger", "verify")
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert str(config) in line and "api.port" in line and "less than or equal to 65535" in line


def test_an_environment_override_is_validated_and_named(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = storenode("--config", str(config), "ledger", "verify", env={"STORENODE_LOG__LEVEL": "LOUD"})
    assert result.returncode == 2 and "STORENODE_LOG__LEVEL" in _one_line(result.stderr)


def test_unknown_key_and_broken_toml_are_named(tmp_path: Path) -> None:
    config = write_config(tmp_path, extra="[ledger2]\npath = 'x'\n")
    assert "ledger2: unknown key" in _one_line(storenode("--config", str(config), "ledger", "verify").stderr)
    config.write_text("[store\nid = 1", encoding="utf-8")
    assert "not valid TOML" in _one_line(storenode("--config", str(config), "ledger", "verify").stderr)


def test_a_missing_ledger_is_not_silently_created(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = storenode("--config", str(config), "operator", "list")
    assert result.returncode == 2 and "--init" in _one_line(result.stderr)
    assert not (tmp_path / "store.db").exists()


def test_a_corrupt_ledger_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "store.db").write_bytes(b"\x00garbage" * 1000)
    result = storenode("--config", str(config), "serve", "--init", "--port", "1")
    assert result.returncode == 2 and "cannot be read" in _one_line(result.stderr)


def test_operator_commands_catalog_import_and_verify(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    from edge.bootstrap import build_node
    from edge.settings import load_settings

    build_node(load_settings(config), init=True).close()
    base = ("--config", str(config))
    assert storenode(*base, "operator", "add", "100", "--name", "Boss", "--role", "manager", "--pin", "9753").returncode == 0
    duplicate = storenode(*base, "operator", "add", "100", "--name", "Boss", "--pin", "9753")
    assert duplicate.returncode == 2 and "already exists" in _one_line(duplicate.stderr)
    weak = storenode(*base, "operator", "add", "101", "--name", "C", "--pin", "1111")
    assert weak.returncode == 2 and "one digit repeated" in _one_line(weak.stderr)
    assert storenode(*base, "operator", "lock", "100").returncode == 0
    assert "disabled" in storenode(*base, "operator", "list").stdout
    assert storenode(*base, "operator", "reset-pin", "100", "--pin", "2468").returncode == 0
    assert "active" in storenode(*base, "operator", "list").stdout

    csv_path = write_catalog(tmp_path / "c.csv", [item_row("S1", gtin13_with_check_digit("690000000001")), item_row("S2", price="x")])
    result = storenode(*base, "catalog", "import", str(csv_path))
    assert result.returncode == 1  # some rows refused
    assert f"{csv_path}:3: price 'x'" in result.stderr and "imported 1 item(s)" in result.stdout

    verified = storenode(*base, "ledger", "verify")
    assert verified.returncode == 0 and "chain intact" in verified.stdout
    conn = sqlite3.connect(tmp_path / "store.db")
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute("UPDATE journal SET payload = payload || ' ' WHERE seq = 3")
    conn.commit()
    conn.close()
    broken = storenode(*base, "ledger", "verify")
    assert broken.returncode == 1 and "BROKEN at seq 3" in broken.stderr


def test_backup_makes_a_verifiable_copy(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    from edge.bootstrap import build_node
    from edge.settings import load_settings

    node = build_node(load_settings(config), init=True)
    with node.ledger.unit_of_work() as uow:
        uow.journal("test.fact", {"n": 1})
        uow.commit()
    node.close()
    target = tmp_path / "copy.db"
    assert storenode("--config", str(config), "backup", str(target)).returncode == 0
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT kind FROM journal").fetchall() == [("test.fact",)]
    copy.close()
    again = storenode("--config", str(config), "backup", str(target))
    assert again.returncode == 2 and "exists" in _one_line(again.stderr)


def test_sigterm_stops_the_node_cleanly_with_its_ledger_closed(tmp_path: Path) -> None:
    """`docker stop` sends SIGTERM: the node closes (devices, sync link, ledger) and exits 0,
    not killed mid-way by the signal's default action."""
    from edge.bootstrap import build_node
    from edge.settings import load_settings
    from tests.support.node_process import NodeProcess

    config = write_config(tmp_path)
    build_node(load_settings(config), init=True).close()
    node = NodeProcess(config)
    node.start()
    assert node.process is not None
    node.process.terminate()
    assert node.process.wait(timeout=30) == 0, node.log.read_text()[-2000:]
    assert "store T001 stopped" in node.log.read_text()
    assert not (tmp_path / "store.db-wal").exists()  # the last connection closed: SQLite checkpointed and removed it
