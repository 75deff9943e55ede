"""A small client of Streamlit's own websocket protocol: what a browser tab sends and receives, without the
browser. It opens a session, asks for script runs with widget values (a click is a trigger, a tick a boolean, text
a string), and reads back the elements each run drew. Used by ``bench.load`` to be many people at once on a
machine that could not run that many browsers."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

RERUN_FOLLOWS = 2  # ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN: st.rerun(), another run follows
WIDGETS = ("button", "checkbox", "text_input", "text_area", "selectbox", "radio", "dataframe", "multiselect",
           "number_input", "date_input", "download_button")


@dataclass
class Run:
    """What one interaction drew, and how long from sending it to the end of the last script run it caused."""
    seconds: float
    elements: list[tuple[str, Any]] = field(default_factory=list)
    cpu: float | None = None  # the server process's CPU seconds over the run, when the tab was told its process

    def shape(self) -> dict[str, Any]:
        """How many elements of each kind the run drew, and each table's rows and columns (for ``bench.floor_app``)."""
        import pyarrow as pa

        counts: dict[str, Any] = {}
        for kind, proto in self.elements:
            if kind == "dataframe":
                table = pa.ipc.open_stream(proto.arrow_data.data).read_all()
                counts.setdefault(kind, []).append([table.num_rows, table.num_columns])
            elif kind not in ("toast", "exception"):
                counts[kind] = counts.get(kind, 0) + 1
        return counts

    def widgets(self, kind: str) -> list[Any]:
        return [proto for k, proto in self.elements if k == kind]

    def widget(self, kind: str, label: str) -> Any:
        found = [w for w in self.widgets(kind) if w.label == label]
        if not found:
            raise LookupError(f"no {kind} labelled {label!r}")
        return found[-1]

    @property
    def errors(self) -> list[str]:
        return [proto.body for k, proto in self.elements if k == "alert" and proto.format == 1]  # ERROR

    @property
    def exceptions(self) -> list[str]:
        return [f"{proto.type}: {proto.message}" for k, proto in self.elements if k == "exception"]

    def has_button(self, label: str) -> bool:
        return any(w.label == label for w in self.widgets("button"))


class Tab:
    """One browser tab's session on the server."""

    def __init__(self, url: str, cpu: Callable[[], float] | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.url = url.replace("https://", "wss://").replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.tls = tls  # for wss:// (the app behind its proxy): whose certificates to trust
        self.cpu = cpu  # the server process's CPU seconds so far: each run then says what it cost
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self.query = ""
        self.held: dict[str, WidgetState] = {}  # values this tab set and keeps sending, as a browser does
        self.shown: dict[str, Any] = {}  # by widget id: the value on screen (typed here, or set by the server)
        self.part_of: dict[str, str] = {}  # by widget id: the page part (Streamlit fragment) that drew it
        self._drawn: dict[tuple[int, ...], tuple[str, Any, str]] = {}  # the page on screen: kind, proto, part
        self._socket: Any = None

    async def open(self, path: str = "", query: str = "") -> Run:
        secure = {"ssl": self.tls} if self.url.startswith("wss://") and self.tls is not None else {}
        self._socket = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=2**26,
                                                open_timeout=60, ping_interval=None, **secure)
        self.query = query
        return await self.run(path=path)

    def on_screen(self, widget: Any) -> Any:
        """The value a person sees in the widget: the last one typed here or set by the server, else its default."""
        return self.shown.get(widget.id, widget.default)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()

    async def run(self, *, path: str | None = None, query: str | None = None,
                  set_values: list[WidgetState] | None = None, triggers: list[str] | None = None,
                  timeout: float = 120) -> Run:
        """Send a rerun (a page change, new widget values, a click) and wait until the script runs it causes are
        over. Values set here are kept and sent again with later runs; triggers (clicks) go once."""
        if path is not None:
            self.page_hash = self.pages.get(path, "") if path else ""
            self.held = {}
        if query is not None:
            self.query = query
        for value in set_values or []:
            self.held[value.id] = value
            self.shown[value.id] = getattr(value, value.WhichOneof("value"))
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_hash
        for value in self.held.values():
            state.widget_states.widgets.append(value)
        for trigger in triggers or []:
            state.widget_states.widgets.append(WidgetState(id=trigger, trigger_value=True))
        # As a browser does: a change to widgets that all belong to one page part reruns that part alone.
        touched = {self.part_of.get(w.id, "") for w in set_values or []} | {self.part_of.get(w, "")
                                                                          for w in triggers or []}
        part = next(iter(touched)) if path is None and len(touched) == 1 else ""
        state.fragment_id = part
        started, cpu = time.perf_counter(), self.cpu() if self.cpu else 0.0
        await self._socket.send(message.SerializeToString())
        run = await self._collect(started, timeout, part)
        if self.cpu:
            run.cpu = self.cpu() - cpu
        return run

    async def _collect(self, started: float, timeout: float, part: str = "") -> Run:
        """Read what the runs draw until the last one ends. A whole run replaces the page; a part's run replaces
        what that part drew and leaves the rest of the page as it was (``Run.elements`` is then the part's)."""
        elements = {k: v for k, v in self._drawn.items() if v[0] != "toast"}  # toasts of earlier clicks are gone
        toasts: dict[tuple[int, ...], tuple[str, Any, str]] = {}
        deadline = started + timeout
        first_start = True
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError("the script run did not finish")
            raw = await _receive(self._socket, remaining)
            message = ForwardMsg()
            message.ParseFromString(raw)
            kind = message.WhichOneof("type")
            if kind == "new_session":  # a run starts: a whole run's drawing replaces the previous page
                toasts.update({k: v for k, v in elements.items() if v[0] == "toast"})  # a toast outlives a rerun
                if part and first_start:
                    elements = {k: v for k, v in elements.items() if v[2] != part}
                else:
                    elements, part = {}, ""  # after st.rerun() the whole page runs
                first_start = False
                self.pages.update({p.url_pathname: p.page_script_hash for p in message.new_session.app_pages})
            elif kind == "navigation":
                self.pages.update({p.url_pathname: p.page_script_hash for p in message.navigation.app_pages})
                self.page_hash = message.navigation.page_script_hash or self.page_hash
            elif kind == "page_info_changed":
                self.query = message.page_info_changed.query_string
            elif kind == "delta" and message.delta.WhichOneof("type") == "add_block":
                block = message.delta.add_block.WhichOneof("type") or "vertical"
                elements[tuple(message.metadata.delta_path)] = (f"block:{block}", message.delta.add_block,
                                                                message.delta.fragment_id)
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                element_kind = element.WhichOneof("type")
                proto = getattr(element, element_kind)
                elements[tuple(message.metadata.delta_path)] = (element_kind, proto, message.delta.fragment_id)
                if message.delta.fragment_id and getattr(proto, "id", ""):
                    self.part_of[proto.id] = message.delta.fragment_id
                if getattr(proto, "set_value", False) and "value" in proto.DESCRIPTOR.fields_by_name:
                    # the script set the widget's value: the screen shows it
                    self.shown[proto.id] = proto.value
            elif kind == "script_finished" and message.script_finished != RERUN_FOLLOWS:
                self._drawn = elements
                drawn = [(k, p) for (k, p, f) in (elements[key] for key in sorted(elements))
                         if not part or f == part or k == "toast"]
                return Run(time.perf_counter() - started,
                           drawn + [(k, p) for (k, p, _f) in (toasts[key] for key in sorted(toasts))])


async def _receive(socket: Any, timeout: float) -> bytes:
    return await asyncio.wait_for(socket.recv(), timeout)


def text(widget_id: str, value: str) -> WidgetState:
    """A text field's value, or a data editor's (its edits as JSON text, as the browser sends them)."""
    return WidgetState(id=widget_id, string_value=value)


def tick(widget_id: str, value: bool) -> WidgetState:
    return WidgetState(id=widget_id, bool_value=value)
