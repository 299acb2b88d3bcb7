"""The tree keeps its shape: small modules, no private names across modules, settings passed
down rather than written into the environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import ROOT

PRODUCT = sorted(p for pkg in ("ingest", "retrieval", "ui") for p in (ROOT / pkg).rglob("*.py"))
#: Entry points set process-wide defaults at start-up; the OpenVINO/NNCF import is told it runs
#: unattended for the length of the import only (see the module's docstring).
MAY_SET_ENVIRONMENT = {"ui/cli.py", "ui/server.py", "ingest/embedding/openvino_import.py"}
MAX_LINES = 400


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", PRODUCT, ids=_name)
def test_no_module_is_over_400_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


@pytest.mark.parametrize("path", PRODUCT, ids=_name)
def test_private_names_stay_in_their_module(path: Path) -> None:
    tree = ast.parse(path.read_text())
    leaks = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        if node.module.split(".")[0] in {"ingest", "retrieval", "ui"}
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert leaks == []


def _environment_writes(tree: ast.AST) -> list[int]:
    """Lines that assign, delete or update an ``os.environ`` entry."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            target = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr not in {"update", "setdefault", "pop", "clear", "__setitem__"}:
                continue
            target = node.func.value
        else:
            continue
        if isinstance(target, ast.Attribute) and target.attr == "environ":
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("path", PRODUCT, ids=_name)
def test_settings_are_not_carried_through_the_environment(path: Path) -> None:
    writes = _environment_writes(ast.parse(path.read_text()))
    if _name(path) in MAY_SET_ENVIRONMENT:
        return
    assert writes == [], f"{_name(path)} writes os.environ on lines {writes}"


def test_the_environment_check_sees_every_kind_of_write() -> None:
    code = (
        "import os\n"
        "os.environ['A'] = '1'\n"
        "os.environ.update(B='2')\n"
        "os.environ.setdefault('C', '3')\n"
        "del os.environ['A']\n"
        "x = os.environ.get('D')\n"
    )
    assert _environment_writes(ast.parse(code)) == [2, 3, 4, 5]


def test_the_suite_uses_a_scratch_model_cache_and_data_folder() -> None:
    import os
    import tempfile

    scratch = Path(tempfile.gettempdir())
    for variable in ("DOCQA_MODEL_CACHE", "XDG_DATA_HOME"):
        assert Path(os.environ[variable]).is_relative_to(scratch), variable
    assert "DOCQA_INDEX" not in os.environ


def test_every_test_has_a_time_limit(pytestconfig: pytest.Config) -> None:
    assert float(pytestconfig.getini("timeout")) > 0
