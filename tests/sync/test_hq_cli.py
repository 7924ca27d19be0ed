"""`hq keygen | add-store | push | status` through the real command line entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.hq.__main__ import main
from sync.hq.db import open_database
from sync.hq.status import store_reports
from sync.signing import load_private_key, public_key_text
from tests.sync.parts import Broker
from tests.sync.support import bundle


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_keygen_add_store_push_and_status(tmp_path: Path, broker: Broker, capsys: pytest.CaptureFixture[str]) -> None:
    key, db = tmp_path / "hq.pem", str(tmp_path / "hq.db")
    common = ["--key", str(key), "--db", db, "--broker", f"127.0.0.1:{broker.port}", "--tenant", "acme"]
    code, out, _ = run(capsys, "keygen", *common)
    public = public_key_text(load_private_key(key).public_key())
    assert code == 0 and public in out and (tmp_path / "hq.pem.pub").read_text().strip() == public
    code, _, err = run(capsys, "keygen", *common)
    assert code == 2 and "exists" in err  # never overwrites HQ's key

    code, out, _ = run(capsys, "add-store", "SH01", *common, "--store-password", "s3cret")
    assert code == 0
    assert "topic write storenode/v1/acme/store/SH01/events" in out
    assert "topic read storenode/v1/acme/store/SH01/inbox/#" in out
    assert f'hq_public_key = "{public}"' in out and 'password = "s3cret"' in out
    assert "mosquitto_passwd -b /etc/mosquitto/passwd SH01 's3cret'" in out

    good = tmp_path / "bundle.json"
    good.write_text(json.dumps(bundle(3)), encoding="utf-8")
    code, out, _ = run(capsys, "push", "promotions", str(good), "--all", *common)
    assert code == 0 and "version 3" in out and "published" in out
    code, _, err = run(capsys, "push", "promotions", str(good), "--all", *common)
    assert code == 2 and "above the last pushed version 3" in err

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"version": 4, "promotions": [{"id": "X", "type": "percent_off"}]}), encoding="utf-8")
    code, _, err = run(capsys, "push", "promotions", str(broken), "--store", "SH01", *common)
    assert code == 2 and "promotions file refused" in err and "promotions[0]" in err

    prices = tmp_path / "prices.csv"
    prices.write_text("sku,price,effective_at\nA1,199,\nB2,299,2030-01-01T00:00:00+08:00\n", encoding="utf-8")
    code, out, _ = run(capsys, "push", "prices", str(prices), "--store", "SH01", "--no-publish", *common)
    assert code == 0 and "prices version 1" in out

    code, out, _ = run(capsys, "status", *common, "--json")
    assert code == 0 and json.loads(out)[0]["store"] == "SH01"
    code, out, _ = run(capsys, "status", *common)
    assert code == 0 and out.splitlines()[1].startswith("SH01")
    assert [r.store for r in store_reports(open_database(db))] == ["SH01"]


def test_bad_broker_option_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "status", "--db", str(tmp_path / "x.db"), "--broker", "nowhere")
    assert code == 2 and err.count("\n") == 1 and "HOST:PORT" in err
