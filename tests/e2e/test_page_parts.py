"""A click inside a workshop component redraws that component alone (a page part), through Streamlit's own
websocket protocol as a browser sends it: the page around it is not drawn again, a colleague's save shows in the
part at once, and a person whose account was deactivated meanwhile is signed out instead of acting."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from bench.load import Tally, prepare, sign_in
from bench.serving import serving
from bench.stclient import Tab, tick


def test_a_tick_redraws_its_component_alone_reads_it_afresh_and_checks_the_person(tmp_path):
    from accounts.models import Account
    from accounts.services import build_actor
    from core.db import make_engine, session_scope
    from core.safe_text import for_markdown
    from qaf import services
    from qaf.framework import bundled_framework
    from qaf.models import ComponentDraft

    database_url = f"sqlite:///{tmp_path / 'parts.db'}"
    crowd, setup = prepare(database_url, 2)
    me, colleague = crowd[0], crowd[1]  # two facilitators of the same component
    assert me.role == colleague.role == "facilitator" and me.target == colleague.target
    code, assessment_id = str(me.target), int(setup["assessment"])  # type: ignore[call-overload]
    component = bundled_framework().component(code)
    dimension = next(d.number for d in bundled_framework().dimensions if component in d.components)
    engine = make_engine(database_url)

    def colleague_saves(notes: str) -> None:
        with session_scope(engine) as session:
            account_id = session.scalar(select(Account.id).where(Account.username == colleague.username))
            actor = build_actor(session, account_id)
        with session_scope(engine, actor=actor) as session:
            result = next(r for r in services.assessment_results(session, assessment_id, actor=actor)[2].results
                          if r.component.code == code)
            services.save_component_rating(session, actor=actor, assessment_id=assessment_id, component_code=code,
                                           expected_version=result.version_id if result.scored else 0,
                                           in_place=[], agreed_level=None, notes=notes)

    async def walk() -> None:
        tab = Tab(app.url)
        try:
            await sign_in(tab, me, Tally())
            page = await tab.run(path="workshop", query=f"assessment={assessment_id}&dimension={dimension}")
            assert page.has_button("Sign out") and page.has_button(f"Save {code}")
            first, second, third = (page.widget("checkbox", for_markdown(a.text)) for a in component.actions[:3])

            ticked = await tab.run(set_values=[tick(first.id, not tab.on_screen(first))])
            assert not ticked.exceptions and not ticked.errors
            assert ticked.has_button(f"Save {code}")  # the component, drawn again with the tick
            assert any("Unsaved changes" in w.body for w in ticked.widgets("alert"))
            assert not ticked.has_button("Sign out")  # the menu and the rest of the page were not
            assert len(ticked.elements) < len(page.elements)
            with session_scope(engine) as session:  # the part kept the draft on the server, as its author
                kept = session.scalars(select(ComponentDraft).where(ComponentDraft.component_code == code)).all()
                owner = session.scalar(select(Account.id).where(Account.username == me.username))
            assert [d.account_id for d in kept] == [owner]

            colleague_saves("The colleague's note, saved meanwhile.")
            ticked = await tab.run(set_values=[tick(second.id, not tab.on_screen(second))])
            assert ticked.has_button(f"Save mine over theirs ({code})"), [w.label for w in ticked.widgets("button")]
            assert any("Load Facilitator 2 saved this component" in w.body for w in ticked.widgets("alert"))
            assert "The colleague's note, saved meanwhile." in [w.body for w in ticked.widgets("text")]

            def drafts() -> list[object]:
                with session_scope(engine) as session:
                    return [(d.account_id, d.content) for d in session.scalars(select(ComponentDraft))]

            before = drafts()
            with session_scope(engine) as session:
                session.execute(update(Account).where(Account.username == me.username).values(active=False))
            ticked = await tab.run(set_values=[tick(third.id, not tab.on_screen(third))])
            assert not ticked.has_button(f"Save {code}") and ticked.has_button("Sign in")
            assert any("deactivated" in w.body for w in ticked.widgets("alert")), ticked.errors
            assert drafts() == before  # nothing was kept on behalf of the deactivated account
        finally:
            await tab.close()

    with serving(database_url) as app:
        asyncio.run(walk())
    engine.dispose()
