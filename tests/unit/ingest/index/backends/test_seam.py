"""Where an index lives is decided in ingest/index/backends/ alone: outside it no module
imports Milvus code or compares backend kinds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import ROOT

BACKENDS = ROOT / "ingest" / "index" / "backends"
SOURCES = sorted(
    p
    for package in ("ingest", "retrieval", "ui", "bench")
    for p in (ROOT / package).rglob("*.py")
    if not p.is_relative_to(BACKENDS)
)
KINDS = {"faiss", "milvus"}


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _is_kind(node: ast.expr) -> bool:
    """``kind``, ``x.kind``, ``x["kind"]`` or ``x.get("kind")``."""
    if isinstance(node, ast.Name):
        return node.id == "kind"
    if isinstance(node, ast.Attribute):
        return node.attr == "kind"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "kind"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        args = node.args
        return node.func.attr == "get" and bool(args) and getattr(args[0], "value", 0) == "kind"
    return False


def _names_a_backend(node: ast.expr) -> bool:
    """A backend's name as a literal (alone or in a tuple, list or set), or ``BACKENDS``."""
    if isinstance(node, ast.Constant):
        return node.value in KINDS
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_names_a_backend(e) for e in node.elts)
    return isinstance(node, ast.Name | ast.Attribute) and "BACKENDS" in ast.unparse(node)


def kind_comparisons(tree: ast.AST) -> list[int]:
    """Lines comparing a backend kind: ``kind ==``/``!=``/``in`` against a backend's name,
    or a kind read from a version's ``backend.json`` against anything."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        kinds = [o for o in operands if _is_kind(o)]
        from_file = any(isinstance(o, ast.Subscript | ast.Call) for o in kinds)
        if kinds and (from_file or any(_names_a_backend(o) for o in operands)):
            lines.append(node.lineno)
    return lines


def milvus_imports(tree: ast.AST) -> list[str]:
    """Modules imported that are Milvus code (pymilvus, milvus_lite, the Milvus backend)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        else:
            continue
        found += [
            m
            for m in modules
            if m.split(".")[0] in {"pymilvus", "milvus_lite"}
            or m.startswith("ingest.index.backends.milvus")
        ]
    return found


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_no_module_outside_the_backends_compares_kinds(path: Path) -> None:
    assert kind_comparisons(ast.parse(path.read_text())) == []


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_no_module_outside_the_backends_imports_milvus(path: Path) -> None:
    assert milvus_imports(ast.parse(path.read_text())) == []


def test_the_scan_sees_every_kind_of_comparison_and_import() -> None:
    code = (
        "if settings.kind == 'milvus': pass\n"
        "if kind != 'faiss': pass\n"
        "if info['kind'] != recorded: pass\n"
        "if where.get('kind') != 'milvus': pass\n"
        "if t.kind in ('faiss', 'milvus'): pass\n"
        "if box.kind == 'passage': pass\n"
        "from ingest.index.backends.milvus.store import MilvusStore\n"
        "import pymilvus\n"
        "from ingest.index.backends.settings import BackendSettings\n"
    )
    tree = ast.parse(code)
    assert kind_comparisons(tree) == [1, 2, 3, 4, 5]
    assert milvus_imports(tree) == ["ingest.index.backends.milvus.store", "pymilvus"]


def test_the_backends_themselves_are_seen_by_the_scan() -> None:
    """The check is not vacuous: the Milvus store does compare and import."""
    store = ast.parse((BACKENDS / "milvus" / "store.py").read_text())
    assert kind_comparisons(store) and milvus_imports(store)
