"""The case file page's import (AppTest, SQLite and PostgreSQL): the risk labels a file brings are shown as text,
never as Markdown, and an upload is read once, not again on every rerun of the page."""

from __future__ import annotations

import re

from checklists.services import imports
from core.i18n import t
from core.safe_text import for_markdown
from tests.app.helpers import by_label

LABEL = "[crit](javascript:alert(1)) **very** <img src=x>"  # a label of the file's own, 40 characters at most
ACTIVE = re.compile(r"(?<!\\)\]\((?:http|javascript)|(?<!\\)<img|(?<!\\)\*\*")


def test_a_files_risk_labels_show_as_text_and_the_file_is_read_once(open_page, example, monkeypatch):
    reads: list[str] = []
    real = imports.unmapped_risk_labels

    def counted(filename: str, content: bytes) -> list[str]:
        reads.append(filename)
        return real(filename, content)

    monkeypatch.setattr(imports, "unmapped_risk_labels", counted)
    at = open_page("checklists/ui/case_files.py", example["demo-supervisor"])
    content = f'case_code,risk_level\nBCA-2026-9001,"{LABEL}"\nBCA-2026-9002,high\n'.encode()
    by_label(at.file_uploader, t("case_file.import.file")).set_value(("cases.csv", content, "text/csv"))
    at.run()
    label = LABEL.lower()[:40]
    shown = by_label(at.selectbox, t("case_file.import.map_label", label=for_markdown(label)))
    assert not ACTIVE.search(shown.label), shown.label
    assert reads == ["cases.csv"]
    shown.set_value("high")
    at.run()
    at.run()
    assert reads == ["cases.csv"]  # the reruns used what was read
    by_label(at.file_uploader, t("case_file.import.file")).set_value(("other.csv", content, "text/csv"))
    at.run()
    assert reads == ["cases.csv", "other.csv"]  # another upload is read
