"""Each person reads the tool in their own language, on the same server at the same time; a report built
outside the page run (a deferred download) is in the language of the person who asked for it."""

from __future__ import annotations

import io
import shutil

import pytest
from pypdf import PdfReader

from accounts import services as accounts
from core import i18n
from core.db import session_scope
from qaf import reports
from tests.app.helpers import button, by_label, texts
from tests.conftest import PROJECT_ROOT, actor_for, make_account

FRENCH = {"nav": {"assessments": "Évaluations"}, "assessments": {"title": "Évaluations"},
          "my_account": {"title": "Mon compte", "language": "Langue"},
          "report": {"action_plan_title": "Plan d'action"}}


@pytest.fixture
def with_french(tmp_path, monkeypatch):
    """The shipped catalogues plus a small French one, as a later language would be added."""
    import yaml

    for english in PROJECT_ROOT.glob("*/locales/en.yaml"):
        target = tmp_path / english.parent.parent.name / "locales"
        target.mkdir(parents=True)
        shutil.copy(english, target / "en.yaml")
    (tmp_path / "qaf" / "locales" / "fr.yaml").write_text(yaml.safe_dump(FRENCH, allow_unicode=True),
                                                          encoding="utf-8")
    monkeypatch.setattr(i18n, "PROJECT_ROOT", tmp_path)
    i18n.catalogue.cache_clear()
    yield
    i18n.catalogue.cache_clear()


def _set_language(engine, account_id, language):
    with session_scope(engine) as session:
        accounts.set_language(session, actor=actor_for(engine, account_id), language=language)


def test_two_people_on_one_server_each_read_their_own_language(open_page, app_engine, with_french):
    amelie = make_account(app_engine, username="amelie", roles=["facilitator"])
    zoe = make_account(app_engine, username="zoe", roles=["facilitator"])
    _set_language(app_engine, amelie, "fr")
    french = open_page("qaf/ui/assessments.py", amelie)
    english = open_page("qaf/ui/assessments.py", zoe)
    assert french.title[0].value == "Évaluations"
    assert english.title[0].value == "Assessments"
    assert i18n.t("assessments.title") == "Assessments"  # outside a page run: the server's default


def test_choosing_a_language_in_my_account_applies_at_once_and_is_kept(open_page, app_engine, with_french):
    zoe = make_account(app_engine, username="zoe", roles=["facilitator"])
    at = open_page("accounts/ui/my_account.py", zoe)
    assert at.title[0].value == "My account"
    choice = by_label(at.selectbox, "Language")
    assert choice.options == ["Server default (English)", "English", "Français"]
    choice.select("fr")
    button(at, "Save").click().run()
    assert at.title[0].value == "Mon compte"
    with session_scope(app_engine) as session:
        assert accounts.get_account(session, zoe).language == "fr"
    again = open_page("accounts/ui/my_account.py", zoe)
    assert again.title[0].value == "Mon compte" and "Langue" in [s.label for s in again.selectbox]
    assert "Mon compte" not in texts(open_page("accounts/ui/my_account.py",
                                               make_account(app_engine, username="ines", roles=["manager"])))


def test_a_report_is_built_in_the_language_it_is_asked_in(app_engine, example, with_french):
    actor = actor_for(app_engine, example["demo-facilitator"])
    for language, title in (("fr", "Plan d'action"), ("en", "QAF action plan")):
        with i18n.using_locale(language), session_scope(app_engine, actor=actor) as session:
            pdf = reports.export_action_plan(session, actor=actor, assessment_id=example["assessment"], fmt="pdf")
        assert title in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_an_arabic_readers_first_screen_after_signing_in_runs_right_to_left(open_page, app_engine):
    """The language is the account's, known once the gate has signed the person in: the very first run (a
    reload, a link from an e-mail) is laid out from the right, not only the run after the next click."""
    account = make_account(app_engine, username="layla", roles=["facilitator"])
    with session_scope(app_engine) as session:
        accounts.set_language(session, actor=actor_for(app_engine, account), language="ar")
    at = open_page("", account)
    assert any("direction: rtl" in str(element.proto) for element in at.get("html")), "no right-to-left layout"
