"""pos/ is the domain: it imports no framework, no I/O library, no other storenode package."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

POS = Path(__file__).resolve().parents[2] / "pos"
ALLOWED_THIRD_PARTY = {"pydantic", "biip", "orjson"}  # validation, barcodes, JSON bytes: no I/O
FORBIDDEN_STDLIB = {"sqlite3", "socket", "subprocess", "threading", "asyncio", "http", "urllib"}


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_pos_imports_only_stdlib_and_io_free_libraries() -> None:
    files = sorted(POS.rglob("*.py"))
    assert files, "pos/ has no modules"
    offenders: dict[str, set[str]] = {}
    for path in files:
        bad = {
            root
            for root in _imported_roots(path)
            if root != "pos"
            and root not in ALLOWED_THIRD_PARTY
            and (root not in sys.stdlib_module_names or root in FORBIDDEN_STDLIB)
        }
        if bad:
            offenders[str(path.relative_to(POS.parent))] = bad
    assert offenders == {}


def test_the_check_catches_a_framework_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import fastapi\nfrom sqlmodel import Field\nimport os\n")
    assert _imported_roots(module) == {"fastapi", "sqlmodel", "os"}
