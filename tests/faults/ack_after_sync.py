#!/usr/bin/env python3
"""Fault check run by CI: on SQLite a response is acknowledged only once it is on disk.

    python3 tests/faults/ack_after_sync.py --binary target/debug/pingyi

A power cut cannot be staged here, so this reads what the service asks of the kernel. It
runs the service on a fresh embedded database under strace (from Debian's packages,
installed if missing) and submits responses one at a time. For each `201 Created` the
service writes to a socket, the trace since the previous one must hold a write to the
write-ahead log (`…-wal`) followed by a sync of that file (fsync or fdatasync, whichever
descriptor it is made through) that has ended before the 201 is written: acknowledged
means the log holding the response was flushed after the response was written to it.
Exits non-zero, naming the first acknowledgement that breaks this.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crash import OPTIONS, QUESTIONS, Server, call, fail, seed  # noqa: E402

SUBMISSIONS = 20
# pid, wall-clock time, then the call; `-T` appends the time spent in it. strace pads the pid
# to five columns, so a pid under 10,000 is followed by more than one space.
LINE = re.compile(r"^(\d+) +(\d+):(\d+):(\d+\.\d+) (.*)$")
DURATION = re.compile(r"<(\d+\.\d+)>$")


def ensure_strace() -> None:
    if shutil.which("strace"):
        return
    install = ["apt-get", "install", "-y", "-qq", "strace"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(install, check=True, capture_output=True)


class TracedServer(Server):
    """The service started under `strace -f`, every thread's file and socket calls logged."""

    def __init__(self, binary: str, env: dict[str, str], trace: Path):
        super().__init__(binary, env)
        self.trace = trace

    def command(self) -> list[str]:
        calls = "trace=openat,close,pwrite64,write,writev,fsync,fdatasync,sendto,sendmsg"
        return ["strace", "-f", "-tt", "-T", "-qq", "-s", "24", "-e", calls, "-o", str(self.trace), self.binary]

    def stop(self) -> None:
        # strace ignores SIGTERM while it runs a command: stop the service, and strace ends with it.
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        for pid in children:
            subprocess.run(["kill", "-TERM", pid], check=False)
        self.process.wait(timeout=30)


def seconds(hours: str, minutes: str, rest: str) -> float:
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def events(trace: Path) -> list[tuple[float, float, str]]:
    """(start, end, kind) of the calls that matter, in the order they started: `log-write`,
    `log-sync` and `ack`. A descriptor is followed from its `openat` to its `close`."""
    open_files: dict[int, str] = {}
    found: list[list] = []
    # By thread, calls strace logged as unfinished (another thread's call came in between):
    # the sync whose end, and the file whose descriptor, is logged when it resumes.
    unfinished_syncs: dict[str, list] = {}
    unfinished_opens: dict[str, str] = {}
    for line in trace.read_text(errors="replace").splitlines():
        match = LINE.match(line)
        if not match:
            continue
        thread, start, text = match.group(1), seconds(*match.group(2, 3, 4)), match.group(5)
        if "resumed>" in text:
            if thread in unfinished_syncs and "sync resumed>" in text:
                unfinished_syncs.pop(thread)[1] = start
            opened = re.search(r"openat resumed>.*= (\d+)", text)
            if thread in unfinished_opens and opened:
                open_files[int(opened.group(1))] = unfinished_opens.pop(thread)
            continue
        took = DURATION.search(text)
        end = start + float(took.group(1)) if took else start
        name, _, args = text.partition("(")
        first = re.match(r"\d+", args)
        fd = int(first.group()) if first else None
        if name == "openat":
            opened = re.search(r'"([^"]*)".*= (\d+)', text)
            if opened:
                open_files[int(opened.group(2))] = opened.group(1)
            elif "<unfinished" in text:
                unfinished_opens[thread] = re.search(r'"([^"]*)"', text).group(1)
        elif name == "close" and fd is not None:
            open_files.pop(fd, None)
        elif name == "pwrite64" and open_files.get(fd, "").endswith("-wal"):
            found.append([start, end, "log-write"])
        elif name in ("fsync", "fdatasync") and open_files.get(fd, "").endswith("-wal"):
            found.append([start, float("inf") if "<unfinished" in text else end, "log-sync"])
            if "<unfinished" in text:
                unfinished_syncs[thread] = found[-1]
        elif "HTTP/1.1 201" in text:
            found.append([start, end, "ack"])
    return [tuple(event) for event in found]


def check(found: list[tuple[float, float, str]]) -> int:
    """How many acknowledgements were checked; fails at the first one not preceded by a
    write to the log and then a sync of it that ended before the acknowledgement."""
    acks, since_last_ack = 0, []
    for start, end, kind in found:
        if kind != "ack":
            since_last_ack.append((start, end, kind))
            continue
        acks += 1
        writes = [s for s, _, k in since_last_ack if k == "log-write"]
        synced = writes and any(k == "log-sync" and s > writes[0] and e <= start for s, e, k in since_last_ack)
        if not synced:
            for event in since_last_ack + [(start, end, kind)]:
                print(f"  {event[0]:.6f}–{event[1]:.6f} {event[2]}", flush=True)
            fail(f"acknowledgement {acks} was written before the log holding its response was synced")
        since_last_ack = []
    return acks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/debug/pingyi")
    args = parser.parse_args()
    ensure_strace()
    with tempfile.TemporaryDirectory(prefix="pingyi-ack-") as tmp:
        env = {"PINGYI_JWT_SECRET": "f" * 48, "RUST_LOG": "warn", "PINGYI_DATA_DIR": tmp}
        server = TracedServer(args.binary, env, Path(tmp) / "trace.txt")
        server.start()
        try:
            _, _, slugs = seed(server, 2026)
            for n in range(SUBMISSIONS):
                answers = {q: OPTIONS[(n + i) % len(OPTIONS)] for i, q in enumerate(QUESTIONS)}
                body = {"submission_id": str(uuid.uuid4()), "answers": answers}
                status = call("POST", f"/api/v1/public/surveys/{slugs[n % len(slugs)]}/responses", body=body)[0]
                if status != 201:
                    fail(f"submission {n} was answered {status}")
        finally:
            server.stop()
        acks = check(events(server.trace))
        if acks < SUBMISSIONS:
            fail(f"the trace shows {acks} acknowledgements of {SUBMISSIONS}")
    print(f"ok: each of {acks} acknowledgements ({SUBMISSIONS} of them citizens' responses) followed a sync of "
          "the log written before it", flush=True)


if __name__ == "__main__":
    main()
