"""The bundled Change Grid matches the 2019 QAF: counts, texts, sources, guiding questions, validation."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from qaf.framework import BUNDLED_FRAMEWORK, CONTENT_DIR, FrameworkError, bundled_framework, framework_from_dict

SEED = CONTENT_DIR / "sources" / "qaf-2019-quality-assessment-framework.txt"

# Actions per column for every component, counted by hand from the 2019 Change Grid.
EXPECTED_COLUMNS = {
    "1": (5, 6, 6), "2": (3, 3, 3), "2a": (4, 4, 4), "2b": (1, 1, 1), "2c": (2, 2, 2), "2d": (2, 2, 2),
    "2e": (3, 4, 3), "2f": (2, 2, 2), "3": (3, 3, 3), "4": (3, 3, 3), "5a": (3, 3, 3), "5b": (2, 2, 2),
    "5c": (1, 1, 1), "5d": (1, 1, 1), "6": (1, 1, 1), "7": (5, 5, 5), "8": (3, 3, 3),
}


def _squash(text: str) -> str:
    """Compare texts ignoring layout: no whitespace, no hyphenation breaks, no footnote markers."""
    text = re.sub(r"\[bookmark: [^\]]*\]", "", text)
    text = re.sub(r"\[footnoteRef:\d+\]", "", text)
    text = re.sub(r"\[\d+:\s+[^\]\n]*\]?", "", text)
    text = re.sub(r"([A-Za-z)])\d{1,2}\b", r"\1", text)
    return re.sub(r"[\s\-]", "", text).lower()


def test_eight_dimensions_seventeen_components_135_actions():
    framework = bundled_framework()
    assert [d.number for d in framework.dimensions] == list(range(1, 9))
    assert framework.component_count == 17
    assert framework.action_count == 135
    actual = {c.code: tuple(len(column) for column in c.columns) for c in framework.components()}
    assert actual == EXPECTED_COLUMNS


def test_dimension_two_and_five_have_their_subcomponents():
    framework = bundled_framework()
    assert [c.code for c in framework.dimension(2).components] == ["2", "2a", "2b", "2c", "2d", "2e", "2f"]
    assert [c.code for c in framework.dimension(5).components] == ["5a", "5b", "5c", "5d"]
    assert framework.component("2f").title == "Case closure"
    assert framework.component("5d").title == "Supervision and coaching"


def test_every_action_text_is_in_the_seed_in_order():
    seed = _squash(SEED.read_text(encoding="utf-8"))
    position = 0
    for component in bundled_framework().components():
        for action in component.actions:
            found = seed.find(_squash(action.text), position)
            assert found >= 0, f"{action.id} not found (in order) in the seed: {action.text}"
            position = found


def test_texts_are_clean_of_footnote_residue():
    for component in bundled_framework().components():
        for action in component.actions:
            assert "[" not in action.text and "]" not in action.text, action.id
            assert not re.search(r"[A-Za-z)]\d{1,2}\b", action.text), f"glued footnote digit in {action.id}"
            assert "  " not in action.text


@pytest.mark.parametrize(("action_id", "text"), [
    ("1.1.1", "Conduct needs assessment of external operational context."),
    ("1.2.5", "Undertake service mapping and develop multi-sectoral referral pathways for child protection case "
              "management at the national- and sub-national levels."),
    ("2f.3.1", "Conduct final reviews at least three months after case closure to ensure stability of the "
               "child’s situation."),
    ("5b.2.2", "Ensure that commensurate with their competencies, skills and experience; caseworkers have an "
               "appropriate caseload of not more than 25 cases, supervisors do not oversee more than 5-6 "
               "caseworkers, and data entry staff are responsible for 100 cases max."),
    ("7.2.5", "Use an inter-agency information management database tool specifically developed for child "
              "protection case management (e.g. CPIMS+), develop a clear implementation strategy and train case "
              "management staff and volunteers on its use."),
    ("8.3.1", "Adopt performance indicators for child protection case management at the inter-agency level and "
              "continuously collect disaggregated data to feed into these."),
])
def test_spot_checked_texts(action_id, text):
    assert bundled_framework().action(action_id).text == text


def test_footnotes_pointing_to_tools_are_kept_as_sources():
    framework = bundled_framework()
    assert framework.action("1.1.2").sources == (
        "See the Global Case Management Task Force: Template SOPs for Child Protection Case Management in "
        "Humanitarian Settings, p. 25.",)
    assert "p. 21" in framework.action("1.1.4").sources[0]
    assert any("Supervision and Coaching Training Package" in s for s in framework.action("5d.1.1").sources)
    assert any("cpims.org" in s for s in framework.action("7.2.5").sources)
    # A cross-reference written as a glued digit ("analysis1") carries the same source as the original anchor.
    assert framework.action("1.2.3").sources[0].endswith("p. 25.")


def test_guiding_questions_from_2024_guidelines():
    framework = bundled_framework()
    for component in framework.components():
        assert component.guiding_questions, f"{component.code} has no guiding question"
    assert len(framework.component("2a").guiding_questions) == 3
    assert framework.component("5b").guiding_questions[3].startswith("Do caseworkers have an appropriate caseload")
    assert framework.component("2f").guiding_questions[1] == (
        "Is a final home visit carried out at least three months after case closure?")


def test_round_trip_through_dict_keeps_everything():
    framework = bundled_framework()
    again = framework_from_dict(framework.to_dict())
    assert again == framework
    assert again.meta["publisher"] == "Alliance for Child Protection in Humanitarian Action"


def _raw():
    return yaml.safe_load(BUNDLED_FRAMEWORK.read_text(encoding="utf-8"))


def test_missing_text_is_reported_with_the_action_id():
    data = _raw()
    del data["dimensions"][1]["components"][1]["columns"][2]["actions"][3]["text"]
    with pytest.raises(FrameworkError, match=r"component 2a, column 3, action 2a\.3\.4.*'text' is a required"):
        framework_from_dict(data)


def test_duplicate_action_id_is_reported():
    data = _raw()
    column = data["dimensions"][0]["components"][0]["columns"][0]["actions"]
    column.append(copy.deepcopy(column[0]))
    with pytest.raises(FrameworkError, match=r"action 1\.1\.1: the id is used twice"):
        framework_from_dict(data)


def test_action_in_the_wrong_column_is_reported():
    data = _raw()
    data["dimensions"][7]["components"][0]["columns"][1]["actions"][0]["id"] = "8.3.9"
    with pytest.raises(FrameworkError, match=r"action 8\.3\.9: in component 8, column 2"):
        framework_from_dict(data)


def test_empty_column_is_rejected():
    data = _raw()
    data["dimensions"][5]["components"][0]["columns"][2]["actions"] = []
    with pytest.raises(FrameworkError, match="component 6, column 3"):
        framework_from_dict(data)
