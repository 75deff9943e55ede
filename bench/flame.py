"""Summarise a sampling profile: ``python -m bench.flame PROFILE [--top 25]``.

PROFILE is py-spy's collapsed-stack output (``py-spy record --format raw``): one line per distinct stack,
frames separated by ``;`` and the sample count last. Prints the share of samples in which each function is on
the stack (inclusive) and at the top of it (self), for the functions that matter most, as markdown tables for a
benchmark report. Idle threads (waiting on a socket, a lock or a sleep) are counted apart, so the shares are of
the time the process was working."""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

IDLE = re.compile(r"\b(select|poll|epoll|wait|sleep|_worker|accept|recv|_run_once|acquire)\b")
FRAME = re.compile(r"^(?P<function>[^ ]+) \((?P<file>[^:)]+)(?::(?P<line>\d+))?\)$")


def _name(frame: str) -> str:
    """``function (path/to/module.py:12)`` as ``function (module.py)``, without the line."""
    found = FRAME.match(frame.strip())
    if not found:
        return frame.strip()
    path = found["file"]
    for marker in ("site-packages/", "/work/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{found['function']} ({path})"


def summarise(text: str, top: int = 25) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    working = idle = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_name(f) for f in stack.split(";") if f]
        samples = int(count)
        if frames and IDLE.search(frames[-1].split(" ")[0]):
            idle += samples
            continue
        working += samples
        for name in set(frames):
            inclusive[name] += samples
        if frames:
            own[frames[-1]] += samples
    lines = [f"{working} working samples ({idle} more idle, waiting on a socket, lock or timer).", "",
             "| on the stack (inclusive) | share |", "|---|---|"]
    lines += [f"| {name} | {count / max(1, working):.0%} |" for name, count in inclusive.most_common(top)]
    lines += ["", "| at the top of the stack (self) | share |", "|---|---|"]
    lines += [f"| {name} | {count / max(1, working):.0%} |" for name, count in own.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.flame", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(summarise(args.profile.read_text(), args.top))


if __name__ == "__main__":
    main()
