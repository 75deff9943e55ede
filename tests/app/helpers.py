"""Small helpers to find widgets the way a user does: by their label."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def by_label(elements, label: str):
    matches = [e for e in elements if e.label == label]
    assert matches, f"no widget labelled {label!r}; have {[e.label for e in elements]}"
    return matches[0]


def button(at: AppTest, label: str):
    return by_label(at.button, label)


def texts(at: AppTest) -> str:
    """Everything written on the page, to assert what a user would read."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "text", "caption", "info", "success", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [e.proto.text for e in at.get("progress")]
    return "\n".join(parts)


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]

