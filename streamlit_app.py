"""Entry point: ``streamlit run streamlit_app.py``.

Run as a page (``__main__``): prepares the database, puts everything behind the sign-in gate, then routes with
``st.navigation`` to the pages each feature offers the signed-in person (services check access again, whatever
the menu shows). Imported by the server: the Streamlit app plus the routes that set the sign-in cookie."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

CAPTION_CSS = ('[data-testid="stCaptionContainer"] {opacity: 1 !important;} '
               '[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {color: #55524E !important;}')

# Right to left for Arabic: the page, the sidebar, forms, tables and menus read from the right; the sidebar moves to
# the right edge. Numbers, codes and e-mail addresses inside the text keep their own direction (Unicode bidi).
RTL_CSS = (
    '.stApp, [data-testid="stAppViewContainer"], .stMain, [data-testid="stSidebar"], [data-testid="stHeader"] '
    '{direction: rtl;} '
    '.stMain *, [data-testid="stSidebar"] * {text-align: right;} '
    'input, textarea, [data-baseweb="select"] {direction: rtl; text-align: right;} '
    '[data-testid="stDataFrame"], [data-testid="stTable"] table {direction: rtl;} '
    '[data-testid="stTable"] th, [data-testid="stTable"] td {text-align: right;} '
    '.stMain code {direction: ltr; unicode-bidi: embed;}'
)


ICON = Path(__file__).resolve().parent / "app" / "static" / "icon.png"


def run_page() -> None:
    from accounts.ui.login import gate, sign_out, wanted_page
    from app.ui import menu, sidebar
    from app.wiring import prepare_database
    from core.errors import Unavailable
    from core.i18n import is_rtl, t
    from core.ui import end_run, engine, set_database_preparation, start_run

    start_run()
    # The icon is the app's own file: a Material icon name would have every browser fetch it from Google's font
    # servers, which a laptop offline cannot reach and the server's security policy refuses.
    st.set_page_config(page_title=t("app.title"), page_icon=str(ICON), layout="wide")
    set_database_preparation(prepare_database)
    engine()
    # Help text (captions) darker than Streamlit's faded grey, so it reads at WCAG AA contrast on a dim screen.
    st.html(f"<style>{CAPTION_CSS}</style>")  # constant CSS
    right_to_left = is_rtl()  # the sign-in page's language
    if right_to_left:
        st.html(f"<style>{RTL_CSS}</style>")  # constant CSS
    try:
        actor = gate()
    except Unavailable as exc:  # the database is away: say so, never a traceback
        st.error(str(exc), icon=":material/cloud_off:")
        return
    if is_rtl() and not right_to_left:  # the person's own language, known once the gate has signed them in
        st.html(f"<style>{RTL_CSS}</style>")  # constant CSS
    try:
        pages = menu(actor)
        navigation = st.navigation(pages, expanded=True)  # every page in sight, never "View more"
        wanted = wanted_page()
        if wanted and (wanted[0], wanted[1]) != (navigation.url_path, st.query_params.to_dict()):
            # a link opened before signing in (a page, a review named in its query): land there
            target = next((p for section in pages.values() for p in section if p.url_path == wanted[0]), None)
            if target is not None:
                st.switch_page(target, query_params=wanted[1])
        with st.sidebar:
            st.caption(t("app.title"))
            st.text(actor.name)
            if st.button(t("login.logout"), icon=":material/logout:"):
                sign_out(t("login.logged_out"))
                st.rerun()
            sidebar(actor)
        navigation.run()
    except Unavailable as exc:  # a page's reads failed half-way: what is on screen stays, with the reason
        st.error(str(exc), icon=":material/cloud_off:")
    finally:
        end_run()  # the next run's button callbacks check the account again before they act


if __name__ == "__main__":
    run_page()
else:
    from accounts.web import ROUTES
    from app import network, warm_up
    from core.page_scripts import ROUTES as SCRIPT_ROUTES

    network.answer_without_delay()  # a click's reply is not held back waiting for the browser's acknowledgement
    warm_up.warm_up()  # before the process answers: the first person to open it does not wait for every page
    app = st.App(__file__, routes=ROUTES + SCRIPT_ROUTES)
