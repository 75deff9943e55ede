"""Every message the code uses is in the catalogues, and every catalogue entry is used by some code. Keys are
found the way a reader would: string literals that look like a message key (``"nav.staff"``), and f-strings that
build one (``f"level.{level.key}"`` stands for every ``level.*`` entry)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from core import i18n

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")
PACKAGES = ("core", "accounts", "improvement_actions", "qaf", "supervision", "checklists", "management", "sync", "app")


def _sources() -> list[Path]:
    files = [ROOT / "streamlit_app.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def _namespaces() -> set[str]:
    return {key.split(".")[0] for key in i18n.catalogue("en")}


def keys_in_code() -> tuple[set[str], set[str]]:
    """(literal keys, regular expressions for keys built at run time)."""
    namespaces = _namespaces()
    literals: set[str] = set()
    patterns: set[str] = set()
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # "teams.id" in ForeignKey("teams.id") names a column, not a message
        columns = {id(arg) for call in ast.walk(tree) if isinstance(call, ast.Call)
                   and getattr(call.func, "id", getattr(call.func, "attr", "")) == "ForeignKey" for arg in call.args}
        for node in ast.walk(tree):
            if id(node) in columns:
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if KEY.match(node.value) and node.value.split(".")[0] in namespaces:
                    literals.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                head = str(node.values[0].value)
                if "." not in head or head.split(".")[0] not in namespaces or " " in head:
                    continue
                pattern = "".join(re.escape(str(part.value)) if isinstance(part, ast.Constant) else "[a-z0-9_]+"
                                  for part in node.values)
                patterns.add(pattern)
    return literals, patterns


def test_every_key_the_code_uses_is_in_the_english_catalogue():
    catalogue = i18n.catalogue("en")
    literals, patterns = keys_in_code()
    assert len(literals) > 150 and len(patterns) > 5
    assert sorted(k for k in literals if k not in catalogue and f"{k}.other" not in catalogue) == []
    assert sorted(p for p in patterns if not any(re.fullmatch(p, k) for k in catalogue)) == []


def test_every_catalogue_entry_is_used_by_some_code():
    literals, patterns = keys_in_code()
    compiled = [re.compile(p) for p in patterns]
    plural = {f"{k}.{form}" for k in literals for form in i18n.PLURAL_FORMS}  # tn(key, count) picks one
    unused = sorted(k for k in i18n.catalogue("en") if k not in literals and k not in plural
                    and not any(p.fullmatch(k) for p in compiled))
    assert unused == []


def test_each_package_keeps_its_own_catalogue_and_no_key_is_defined_twice():
    files = i18n.catalogue_files("en")
    assert {p.parent.parent.name for p in files} >= {"core", "accounts", "improvement_actions", "qaf", "app"}
    seen: dict[str, Path] = {}
    for path in files:
        for key in i18n.read_catalogue(path):
            assert key not in seen, f"{key} is in both {seen[key]} and {path}"
            seen[key] = path


def test_a_key_defined_by_two_packages_is_refused(tmp_path, monkeypatch):
    for package in ("one", "two"):
        (tmp_path / package / "locales").mkdir(parents=True)
        (tmp_path / package / "locales" / "en.yaml").write_text(yaml.safe_dump({"common": {"save": package}}))
    monkeypatch.setattr(i18n, "catalogue_files", lambda locale: sorted(tmp_path.glob(f"*/locales/{locale}.yaml")))
    i18n.catalogue.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"already defined by another package: common\.save"):
            i18n.catalogue("en")
    finally:
        i18n.catalogue.cache_clear()


SHIPPED = ("fr", "es", "ar")
PLACEHOLDER = re.compile(r"\{([a-z_0-9]*)\}")


def catalogue_differences(english: dict[str, str], other: dict[str, str]) -> list[str]:
    """What makes ``other`` not a whole translation of ``english``: a key it lacks, a key English lacks (beyond
    the plural forms a language has that English does not: Arabic's zero, two, few and many), a different set of
    placeholders."""
    plural_groups = {key.rsplit(".", 1)[0] for key in english if key.rsplit(".", 1)[1] in ("one", "other")}
    problems = [f"missing {key}" for key in sorted(set(english) - set(other))]
    for key in sorted(set(other) - set(english)):
        group, _, form = key.rpartition(".")
        if not (group in plural_groups and form in i18n.PLURAL_FORMS):
            problems.append(f"extra {key}")
    for key in sorted(set(english) & set(other)):
        if set(PLACEHOLDER.findall(english[key])) != set(PLACEHOLDER.findall(other[key])):
            problems.append(f"placeholders of {key}")
    for key in sorted(set(other) - set(english)):
        group = key.rpartition(".")[0]
        if group in plural_groups and not set(PLACEHOLDER.findall(other[key])) <= set(
                PLACEHOLDER.findall(english[f"{group}.other"])):
            problems.append(f"placeholders of {key}")
    return problems


@pytest.mark.parametrize("language", SHIPPED)
def test_each_shipped_language_has_every_message_english_has_and_no_other(language):
    assert language in i18n.available_locales()
    for english_file in i18n.catalogue_files("en"):
        other_file = english_file.with_name(f"{language}.yaml")
        assert other_file.exists(), other_file
        english, other = i18n.read_catalogue(english_file), i18n.read_catalogue(other_file)
        assert catalogue_differences(english, other) == [], other_file
        untranslated = [k for k, v in other.items() if k in english and v == english[k] and len(v) > 25]
        assert len(untranslated) < len(english) * 0.02, untranslated[:10]  # copied English is not a translation


def test_arabic_has_its_six_plural_forms_wherever_english_has_a_plural():
    arabic = i18n.catalogue("ar")
    english = i18n.catalogue("en")
    groups = {k.rsplit(".", 1)[0] for k in english if k.endswith(".other") and f"{k[:-6]}.one" in english}
    assert groups and all(f"{group}.{form}" in arabic for group in groups for form in i18n.PLURAL_FORMS)


def test_the_consistency_check_catches_a_missing_an_extra_key_and_a_changed_placeholder():
    english = {"a.b": "Saved {count}", "c.one": "{count} item", "c.other": "{count} items"}
    assert catalogue_differences(english, {"a.b": "Enregistré {count}", "c.one": "{count}", "c.other": "{count}",
                                           "c.two": "{count}"}) == []
    assert catalogue_differences(english, {"a.b": "Enregistré {nombre}", "c.one": "{count} x",
                                           "c.other": "{count} y", "d.e": "z"}) == ["extra d.e",
                                                                                    "placeholders of a.b"]
    assert catalogue_differences(english, {"c.one": "{count} x", "c.other": "{count} y"}) == ["missing a.b"]
    assert catalogue_differences(english, {"a.b": "{count}", "c.one": "{count}", "c.other": "{count}",
                                           "c.few": "{count} {other}"}) == ["placeholders of c.few"]
