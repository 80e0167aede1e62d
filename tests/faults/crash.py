#!/usr/bin/env python3
"""Fault checks run by CI: nothing acknowledged is lost, nothing is stored twice.

    python3 tests/faults/crash.py --binary target/debug/pingyi [--pg postgres://postgres@127.0.0.1:5432]

1. SIGKILL (SQLite, then PostgreSQL if --pg is given): 16 citizens submit 1,500 responses,
   each with its own submission id; the server is killed with SIGKILL once a third are
   acknowledged and started again on the same database. Every citizen retries what was not
   acknowledged, with the same id and answers, until it is. Then: every submission is stored
   exactly once with its eight answers, a retry of an acknowledged one returns the original
   response id, and the per-unit report (read from the running totals) counts each once.
2. PostgreSQL stopped in immediate mode (with --pg and --pg-cluster): while citizens submit,
   the cluster is stopped with `-m immediate` for a few seconds and started again. While it is
   down every answer is a 503 with Retry-After (never another 5xx, never a dropped connection),
   /healthz still answers, and once it is back submissions succeed again without restarting the
   service. The same exactly-once check follows.
Exits non-zero, naming the broken promise, if any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

PORT = 18090
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "fault-checker-password"
OPTIONS = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "dont_know"]
QUESTIONS = ["lawful_duty", "fair_enforcement", "government_openness", "efficiency", "work_style", "integrity", "overall"]
CONTROLS = {"rate_limit_per_hour": 100000, "daily_cap": None, "duplicate_window_seconds": 0, "requires_invitation": False}


def fail(message: str) -> None:
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def call(method: str, path: str, token: str | None = None, body: dict | None = None, timeout: float = 15):
    """(status, headers, parsed body); status 0 when the connection failed."""
    request = urllib.request.Request(f"{BASE}{path}", method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read() or b"{}")
    except (OSError, ValueError):
        return 0, {}, {}


class Server:
    def __init__(self, binary: str, env: dict[str, str]):
        self.binary, self.env, self.process = binary, {**os.environ, **env, "PINGYI_BIND": f"127.0.0.1:{PORT}"}, None

    def start(self) -> None:
        if call("GET", "/healthz", timeout=1)[0] != 0:
            fail(f"port {PORT} is taken by another server")
        self.process = subprocess.Popen(self.command(), env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            if call("GET", "/healthz", timeout=1)[0] == 200:
                return
            time.sleep(0.1)
        fail("the server did not start")

    def command(self) -> list[str]:
        """What `start` runs: the binary itself."""
        return [self.binary]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def seed(server: Server, year: int) -> tuple[str, str, list[str]]:
    """(admin token, campaign id, slugs of four links to four units)."""
    made = subprocess.run([server.binary, "create-admin", f"faults{year}"], env={**server.env, "PINGYI_ADMIN_PASSWORD": PASSWORD},
                          capture_output=True, text=True)
    if made.returncode != 0:
        fail(f"create-admin: {made.stdout}{made.stderr}")
    login = {"grant_type": "password", "username": f"faults{year}", "password": PASSWORD}
    token = call("POST", "/api/v1/auth/token", body=login)[2]["access_token"]
    campaign = call("POST", "/api/v1/campaigns", token, {"year": year, "title": "fault check"})[2]["id"]
    call("POST", f"/api/v1/campaigns/{campaign}/phase", token, {"phase": "survey"})
    draft = call("POST", f"/api/v1/campaigns/{campaign}/questionnaires", token, {"category": "government"})[2]["id"]
    call("POST", f"/api/v1/questionnaires/{draft}/publish", token, {})
    slugs = []
    for n in range(4):
        unit = {"code": f"f{year}-{n}", "name": f"单位 {n}", "category": "government", "kind": "department"}
        unit_id = call("POST", "/api/v1/units", token, unit)[2]["id"]
        link = call("POST", f"/api/v1/questionnaires/{draft}/links", token, {"unit_id": unit_id, "channel": "web", "controls": CONTROLS})
        slugs.append(link[2]["slug"])
    return token, campaign, slugs


class Citizens:
    """Submissions, each retried with its own id and answers until acknowledged."""

    def __init__(self, slugs: list[str], count: int, pause: float = 0.0):
        self.pause = pause  # seconds each worker waits after an acknowledgement
        self.pending = [
            (random.choice(slugs), {"submission_id": str(uuid.uuid4()),
                                    "answers": {**{q: random.choice(OPTIONS) for q in QUESTIONS}, "suggestions": "排队太久"}})
            for _ in range(count)
        ]
        self.acknowledged: dict[str, str] = {}  # submission id -> response id
        self.statuses: list[tuple[float, int, dict]] = []
        self.lock = threading.Lock()
        self.next = 0
        self.failure: str | None = None

    def broken(self, message: str) -> None:
        """Records the first broken promise; workers stop taking submissions."""
        with self.lock:
            self.failure = self.failure or message
            self.next = len(self.pending)

    def take(self):
        with self.lock:
            if self.next >= len(self.pending):
                return None
            self.next += 1
            return self.pending[self.next - 1]

    def submit_until_acknowledged(self, item, deadline: float) -> None:
        slug, body = item
        while time.monotonic() < deadline:
            status, headers, answer = call("POST", f"/api/v1/public/surveys/{slug}/responses", body=body)
            with self.lock:
                self.statuses.append((time.monotonic(), status, headers))
            if status in (200, 201):
                with self.lock:
                    earlier = self.acknowledged.get(body["submission_id"])
                    if earlier and earlier != answer["response_id"]:
                        self.failure = self.failure or f"a retry of {body['submission_id']} got another response id"
                    self.acknowledged[body["submission_id"]] = answer["response_id"]
                time.sleep(self.pause)
                return
            if status not in (0, 503):
                return self.broken(f"a submission answered {status}: {answer}")
            time.sleep(0.2)
        self.broken(f"{body['submission_id']} was never acknowledged")

    def run(self, workers: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds

        def work():
            while (item := self.take()) is not None:
                self.submit_until_acknowledged(item, deadline)

        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        self.threads = threads

    def join(self) -> None:
        for thread in self.threads:
            thread.join()
        if self.failure:
            fail(self.failure)

    def resend_acknowledged(self, sample: int) -> None:
        """Retries after recovery return the original receipt and store nothing new."""
        for slug, body in random.sample(self.pending, sample):
            status, _, answer = call("POST", f"/api/v1/public/surveys/{slug}/responses", body=body)
            if status != 200 or not answer.get("replayed") or answer["response_id"] != self.acknowledged[body["submission_id"]]:
                fail(f"a resend after recovery answered {status} {answer}")


def count_stored(database: dict, ids: list[str]) -> tuple[int, int]:
    """(responses, answers in them) stored for these submission ids."""
    if "sqlite" in database:
        db = sqlite3.connect(database["sqlite"])
        db.execute("CREATE TEMP TABLE ids (id TEXT)")
        db.executemany("INSERT INTO ids VALUES (?)", [(i,) for i in ids])
        # The driver stores uuids as 16-byte blobs: compare their hex with the ids' digits.
        row = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(json_array_length(answers)), 0) FROM responses "
            "WHERE lower(hex(submission_id)) IN (SELECT replace(id, '-', '') FROM ids) "
            "OR submission_id IN (SELECT id FROM ids)").fetchone()
        return row[0], row[1]
    values = ",".join(f"('{i}'::uuid)" for i in ids)
    sql = (f"WITH ids(id) AS (VALUES {values}) SELECT COUNT(*), COALESCE(SUM(json_array_length(answers::json)), 0) "
           "FROM responses WHERE submission_id IN (SELECT id FROM ids)")
    out = subprocess.run(["psql", "-X", "-At", "-F", " ", database["pg"]], input=sql, text=True, capture_output=True, check=True).stdout
    responses, answers = out.split()
    return int(responses), int(answers)


def check_exactly_once(citizens: Citizens, database: dict, token: str, campaign: str) -> None:
    ids = [body["submission_id"] for _, body in citizens.pending]
    if len(citizens.acknowledged) != len(ids):
        fail(f"{len(ids) - len(citizens.acknowledged)} submissions were never acknowledged")
    responses, answers = count_stored(database, ids)
    if responses != len(ids) or answers != 8 * len(ids):
        fail(f"stored {responses} responses and {answers} answers for {len(ids)} acknowledged submissions")
    citizens.resend_acknowledged(50)
    report = call("GET", f"/api/v1/campaigns/{campaign}/satisfaction/units", token)[2]
    counted = sum(cell["responses"] for cell in report["cells"])
    if counted != len(ids):
        fail(f"the report counts {counted} responses, {len(ids)} were stored")
    print(f"ok: {len(ids)} acknowledged, each stored once with 8 answers and counted once in the report", flush=True)


def sigkill(binary: str, env: dict[str, str], database: dict, label: str) -> None:
    print(f"== SIGKILL mid-run ({label})", flush=True)
    server = Server(binary, env)
    try:
        killed_and_restarted(server, database)
    finally:
        server.stop()


def killed_and_restarted(server: Server, database: dict) -> None:
    server.start()
    token, campaign, slugs = seed(server, 2026)
    citizens = Citizens(slugs, 1500)
    citizens.run(16, 240)
    while len(citizens.acknowledged) < 500:
        time.sleep(0.01)
    server.kill()
    print(f"killed after {len(citizens.acknowledged)} acknowledgements", flush=True)
    time.sleep(1)
    server.start()
    citizens.join()
    check_exactly_once(citizens, database, token, campaign)


def database_outage(binary: str, env: dict[str, str], database: dict, cluster: list[str]) -> None:
    print("== PostgreSQL stopped in immediate mode mid-run", flush=True)
    server = Server(binary, env)
    try:
        outage(server, database, cluster)
    finally:
        server.stop()


def outage(server: Server, database: dict, cluster: list[str]) -> None:
    server.start()
    token, campaign, slugs = seed(server, 2027)
    # Paced to at most 400 acknowledgements a second, so that the submissions span the outage
    # (unpaced, the service acknowledged all 3,000 before PostgreSQL had stopped).
    citizens = Citizens(slugs, 3000, pause=0.02)
    citizens.run(8, 240)
    while len(citizens.acknowledged) < 300:
        time.sleep(0.01)
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "stop", "-m", "immediate"], check=True)
    stopped_at = time.monotonic()
    try:
        time.sleep(4)
        alive = server.alive() and call("GET", "/healthz")[0] == 200
        ready = call("GET", "/readyz")[0]
    finally:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "start"], check=True)
    started_at = time.monotonic()
    if not alive:
        fail("the service went down with the database")
    if ready != 503:
        fail(f"/readyz answered {ready} while the database was down")
    citizens.join()
    during = [(s, h) for t, s, h in citizens.statuses if stopped_at + 0.5 < t < started_at]
    unavailable = [h for s, h in during if s == 503]
    if not unavailable:
        fail("no 503 was seen while the database was down")
    if any("retry-after" not in {k.lower() for k in h} for h in unavailable):
        fail("a 503 came without Retry-After")
    others = sorted({s for s, _ in during if s not in (200, 201, 503)})
    if others:
        fail(f"while the database was down the service also answered {others}")
    after = [s for t, s, _ in citizens.statuses if t > started_at]
    if 201 not in after:
        fail("the service did not recover")
    print(f"ok: {len(unavailable)} answers of 503 with Retry-After during the outage, recovered by itself", flush=True)
    check_exactly_once(citizens, database, token, campaign)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/debug/pingyi")
    parser.add_argument("--pg", help="PostgreSQL server URL without a database, e.g. postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-cluster", help="'VERSION NAME' of the local cluster to stop and start, e.g. '15 main'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pingyi-faults-") as tmp:
        common = {"PINGYI_JWT_SECRET": "f" * 48, "RUST_LOG": "warn", "PINGYI_DATA_DIR": tmp}
        sigkill(args.binary, common, {"sqlite": f"{tmp}/pingyi.db"}, "SQLite")
        if args.pg:
            for statement in ["DROP DATABASE IF EXISTS pingyi_faults", "CREATE DATABASE pingyi_faults"]:
                subprocess.run(["psql", "-X", "-q", f"{args.pg}/postgres", "-c", statement], check=True)
            url = f"{args.pg}/pingyi_faults"
            env = {**common, "DATABASE_URL": url}
            sigkill(args.binary, env, {"pg": url}, "PostgreSQL")
            if args.pg_cluster:
                database_outage(args.binary, env, {"pg": url}, args.pg_cluster.split())
            subprocess.run(["psql", "-X", "-q", f"{args.pg}/postgres", "-c", "DROP DATABASE pingyi_faults"], check=True)


if __name__ == "__main__":
    main()
