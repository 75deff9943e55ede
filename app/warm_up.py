"""Load, when an app process starts and before it answers anyone, what its pages will need: every module a page
imports, the shipped framework and checklist content, and the translations. Otherwise the first person to open
the app on each process waits for all of it (more than a second on a two-core server, several under load); the
process starts a few seconds later instead."""

from __future__ import annotations

import ast
import importlib
import logging
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def page_imports(root: Path = ROOT) -> list[str]:
    """The modules the entry point and every page script import (read from their source, never run)."""
    found: set[str] = set()
    for script in [root / "streamlit_app.py", *sorted(root.glob("*/ui/*.py"))]:
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    return sorted(found)


def warm_up() -> None:
    for name in page_imports():
        try:
            importlib.import_module(name)
        except Exception:  # a warm-up never stops a process: the page that needs it will say what is wrong
            log.exception("could not load %s ahead of the first page", name)
    from checklists.checklist import CHECKLISTS
    from core.i18n import available_locales, catalogue
    from qaf.framework import FRAMEWORKS

    for kind in (FRAMEWORKS, CHECKLISTS):
        kind.shipped_translations  # noqa: B018  (a cached property: read once here, kept for every page)
    for locale in available_locales():
        catalogue(locale)

