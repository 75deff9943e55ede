"""Page layout helpers every feature's pages share: the projector's presentation mode, scrolling a new view to
its top, and the read-only banner."""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from core.page_scripts import script_tag
from core.safe_text import for_markdown

PRESENTING = "ui_presentation_mode"
_SCROLL_TOP = "ui_scroll_to_top"

# Compact headings, larger checkbox and radio text, less padding: a dimension's first component fits a 1024×768
# projector without scrolling. Constant CSS: nothing a user typed goes into it.
_PRESENTATION_CSS = """<style>
.stMain .block-container {padding: 3.25rem 1.5rem 1rem 1.5rem;}
.stMain h1 {font-size: 1.35rem; line-height: 1.3; padding: 0 0 .25rem 0;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
.stMain h2 {font-size: 1.2rem; padding: .25rem 0;}
.stMain h3 {font-size: 1.1rem; padding: 0;}
.stMain [data-testid="stCheckbox"] label p {font-size: 1.12rem; line-height: 1.35;}
.stMain [data-testid="stVerticalBlock"] {gap: .5rem;}
</style>"""


def presentation_toggle() -> bool:
    """A switch the facilitator turns on for the projector; kept in the address (``?present=1``) so a reload
    keeps it. Returns whether presentation mode is on (and applies it)."""
    if PRESENTING not in st.session_state:
        st.session_state[PRESENTING] = st.query_params.get("present") == "1"
    on = st.toggle(t("layout.presentation_mode"), key=PRESENTING, help=t("layout.presentation_help"))
    if on:
        st.query_params["present"] = "1"
        st.html(_PRESENTATION_CSS)
    else:
        st.query_params.pop("present", None)
    return on


def collapse_sidebar(collapsed: bool) -> None:
    if collapsed:
        st.set_page_config(initial_sidebar_state="collapsed")


def ask_scroll_to_top() -> None:
    """For a button callback that opens another view on the same page (next dimension): the next run starts at
    the top instead of the old scroll position."""
    st.session_state[_SCROLL_TOP] = True


def scroll_to_top_if_asked() -> None:
    """Called at the same place in every run: the slot is always there, so the elements after it keep their
    places (Streamlit would otherwise redraw them all, and show the old ones beside the new for a moment)."""
    slot = st.empty()
    if st.session_state.pop(_SCROLL_TOP, False):
        slot.html(script_tag("scroll-top.js"), unsafe_allow_javascript=True)


def read_only_banner(why: str, what_you_can_do: str = "") -> None:
    """Greyed-out widgets explained: why this is read-only, and what the person may still do."""
    text = for_markdown(why) + (f"  \n{for_markdown(what_you_can_do)}" if what_you_can_do else "")
    st.info(text, icon=":material/visibility:")
