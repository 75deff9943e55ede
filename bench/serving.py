"""Start the app as a person meets it: ``streamlit run streamlit_app.py`` on a free loopback port, against a given
database. Used by the browser tests, the many-people run (``bench.load``) and the fault tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """The process dies at once, mid-request if it is in one (as when the machine loses power)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)


def start(database_url: str, *, port: int | None = None, extra_env: dict[str, str] | None = None,
          log: Path | None = None, timeout: float = 90, script: Path | None = None) -> AppServer:
    """Start one app process (or another Streamlit ``script``) and wait until it answers its health check."""
    port = port or free_port()
    env = {**os.environ, "CPCM_DATABASE_URL": database_url, **(extra_env or {})}
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115  (closed with the process)
    process = subprocess.Popen(  # noqa: S603  (our own app, a fixed command)
        [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "streamlit_app.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return AppServer(url, port, process)
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"the app did not answer within {timeout:.0f} s")


def stop(server: AppServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@contextmanager
def serving(database_url: str, **options: object) -> Iterator[AppServer]:
    server = start(database_url, **options)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        stop(server)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process now (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def peak_rss_bytes(pid: int) -> int:
    """The most memory the process has held so far (Linux's high-water mark)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0
