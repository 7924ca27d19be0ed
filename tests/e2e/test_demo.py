"""README's first command, as a newcomer runs it: `storenode demo` serves a usable store."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.store import free_port


def _serve_demo(directory: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "demo", "--dir", str(directory), "--port", str(port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _wait_healthy(base: str, process: subprocess.Popen[str]) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            response = httpx.get(f"{base}/healthz", timeout=1)
            if response.status_code == 200:
                return dict(response.json())
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("demo never became healthy")


def test_demo_serves_a_bilingual_store_and_is_reused(tmp_path: Path) -> None:
    directory, port = tmp_path / "demo", free_port()
    base = f"http://127.0.0.1:{port}"
    process = _serve_demo(directory, port)
    try:
        health = _wait_healthy(base, process)
        assert health["store_id"] == "DEMO01"
        login = httpx.post(f"{base}/api/v1/auth/login", json={"operator_id": "101", "pin": "1357"}).json()
        headers = {"authorization": f"Bearer {login['token']}"}
        cola = httpx.get(f"{base}/api/v1/catalog/lookup/6900000000014", headers=headers).json()
        assert (cola["name_en"], cola["name_zh"], cola["price"]) == ("Golden Field Cola 330ml", "金田可乐 330毫升", 300)
        bananas = httpx.get(f"{base}/api/v1/catalog/lookup/10002", headers=headers).json()
        assert (bananas["unit"], bananas["tax_class"]) == ("kg", "VAT0")
        taxes = {t["code"]: t["rate_bp"] for t in httpx.get(f"{base}/api/v1/catalog/tax-classes", headers=headers).json()}
        assert taxes == {"VAT13": 1300, "VAT9": 900, "VAT0": 0}
        manager = httpx.post(f"{base}/api/v1/auth/login", json={"operator_id": "100", "pin": "9753"}).json()
        assert manager["operator"]["role"] == "manager"
        journal = httpx.get(f"{base}/api/v1/ledger/journal", params={"limit": 10}, headers={"authorization": f"Bearer {manager['token']}"}).json()
        imported = next(row for row in journal if row["kind"] == "catalog.imported")
        assert imported["data"]["created"] >= 300
        first_seq = health["last_seq"]
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "cashiers 101 / PIN 1357" in output and f"{base}/docs" in output

    process = _serve_demo(directory, port)
    try:
        again = _wait_healthy(base, process)
        assert again["last_seq"] == first_seq  # reused, not rebuilt
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "reused" in output
