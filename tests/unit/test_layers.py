"""The layer contracts in ``.importlinter`` hold, and a forbidden import breaks them (so CI fails on one)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "accounts", "improvement_actions", "qaf", "checklists", "supervision", "management", "sync", "app")
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())"]


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LINT, "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    shutil.copy(ROOT / ".importlinter", root / ".importlinter")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.ttf",
                                                                                       "content", "locales"))
    return root


def test_the_code_keeps_every_contract():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("core/config.py", "import qaf.levels", "The base below accounts"),
    ("accounts/staff_services.py", "import improvement_actions.rules", "The base below accounts"),
    ("qaf/levels.py", "import supervision", "The base below accounts"),
    ("checklists/review.py", "import qaf.levels", "The base below accounts"),
    ("checklists/timeliness.py", "from sqlalchemy import select", "Domain modules import neither"),
    ("qaf/assessment.py", "from sqlalchemy.orm import Session", "Domain modules import neither"),
    ("improvement_actions/services.py", "import streamlit", "Only ui packages"),
])
def test_a_forbidden_import_breaks_a_contract(tree_copy: Path, module: str, line: str, contract: str):
    target = tree_copy / module
    original = target.read_text(encoding="utf-8")
    target.write_text(original + f"\n{line}  # noqa\n", encoding="utf-8")
    try:
        result = _lint(tree_copy)
    finally:
        target.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert contract in result.stdout and "BROKEN" in result.stdout, result.stdout
