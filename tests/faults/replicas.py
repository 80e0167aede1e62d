#!/usr/bin/env python3
"""Replica checks run by CI: three replicas of the service on one PostgreSQL behind HAProxy.

    python3 tests/faults/replicas.py --binary target/debug/pingyi --pg postgres://postgres@127.0.0.1:5432

HAProxy (Debian's package) balances on the source address and checks `/readyz`; the
configuration written here is the one docs/operations.md shows. Citizens come from sixteen
loopback addresses, so that the balancer spreads them over the replicas, and retry what was
not acknowledged with the same submission id; a pollster pushes batches, retrying the same
batch. Under that load:

1. SIGKILL of one replica: the balancer marks it down within its check interval, every
   acknowledged submission is stored exactly once, retries get their original receipt.
2. A rolling restart (SIGTERM, wait for the exit, start, wait until the balancer has it back)
   of all three: no client sees a failure other than 503 with Retry-After, nothing is lost.
3. A link revoked through one replica is refused by it at once and by every replica within the
   documented time.
4. Webhook events (one per fold per unit, made by whichever replica folds) reach a receiver:
   every event is received; an event sent twice is possible only when a replica died between
   sending it and recording that it was sent (at least once, as documented).
5. The per-unit report read through each replica is the same, and counts every submission.
Exits non-zero, naming the broken promise, if any check fails.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

BALANCER_PORT = 18110
REPLICA_PORTS = [18111, 18112, 18113]
PASSWORD = "replica-checker-password"
OPTIONS = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "dont_know"]
QUESTIONS = ["lawful_duty", "fair_enforcement", "government_openness", "efficiency", "work_style", "integrity", "overall"]
CONTROLS = {"rate_limit_per_hour": 100000, "daily_cap": None, "duplicate_window_seconds": 0, "requires_invitation": False}
# How the balancer checks a replica: every half second, down after two failures, up after two
# successes. A replica's drain before it stops (PINGYI_SHUTDOWN_DRAIN_SECONDS) outlasts the
# time the balancer takes to see it, so that no new request reaches a replica that stops.
CHECK_INTERVAL_MS, FALL, RISE = 500, 2, 2
DRAIN_SECONDS = 3
# Documented: a change made through one replica is seen by the others within a second (the
# link cache reads the shared change counter once a second). Allowed here: that, plus the
# time a request takes on a loaded two-core machine.
REVOKE_SEEN_WITHIN = 2.5

HAPROXY_CONFIG = """\
global
    maxconn 4096
    stats socket {socket} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 10s
    # A request whose replica refused the connection or closed it without answering (it was
    # killed) is sent again, to another replica: every write the service takes is idempotent
    # (submission ids, pollsters' external ids).
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    # The replicas read the citizen's address from here (PINGYI_TRUSTED_PROXIES).
    option forwardfor

frontend pingyi
    bind 127.0.0.1:{port}
    default_backend replicas

backend replicas
    # The ballot controls (rate limits, duplicate guard) are kept per replica: one address,
    # one replica.
    balance source
    hash-type consistent
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter {inter}ms fall {fall} rise {rise}
{servers}
"""


def fail(message: str) -> None:
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def call(port: int, method: str, path: str, token: str | None = None, body: dict | None = None,
         source: str = "127.0.0.1", timeout: float = 15):
    """(status, headers, parsed body) from 127.0.0.1:port, sent from `source`; status 0 when
    the connection failed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    headers = {"Content-Type": "application/json", "Connection": "close"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=None if body is None else json.dumps(body).encode(), headers=headers)
        response = connection.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data or b"{}")
        except ValueError:
            parsed = {"raw": data[:200].decode(errors="replace")}
        return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed
    except (OSError, http.client.HTTPException):
        return 0, {}, {}
    finally:
        connection.close()


def wait_until(condition, seconds: float, what: str) -> float:
    """Waits for `condition` up to `seconds`; returns how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    fail(f"{what} (waited {seconds} s)")


class Replica:
    def __init__(self, name: str, port: int, binary: str, env: dict[str, str], logs: Path):
        self.name, self.port, self.binary, self.process = name, port, binary, None
        self.env = {**os.environ, **env, "PINGYI_BIND": f"127.0.0.1:{port}"}
        self.log = logs / f"{name}.log"

    def start(self) -> None:
        if call(self.port, "GET", "/healthz", timeout=1)[0] != 0:
            fail(f"port {self.port} is taken by another server")
        with self.log.open("a") as log:
            self.process = subprocess.Popen([self.binary], env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        wait_until(lambda: call(self.port, "GET", "/readyz", timeout=1)[0] == 200, 60, f"{self.name} did not start")

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def wait_exit(self, seconds: float) -> int:
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            fail(f"{self.name} did not stop within {seconds} s of SIGTERM")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Balancer:
    def __init__(self, tmp: Path, replicas: list[Replica]):
        self.socket = tmp / "haproxy.sock"
        servers = "\n".join(f"    server {r.name} 127.0.0.1:{r.port} check" for r in replicas)
        config = HAPROXY_CONFIG.format(socket=self.socket, port=BALANCER_PORT, inter=CHECK_INTERVAL_MS, fall=FALL,
                                       rise=RISE, servers=servers)
        self.config = tmp / "haproxy.cfg"
        self.config.write_text(config)
        self.log = tmp / "haproxy.log"
        self.process = None

    def start(self) -> None:
        checked = subprocess.run(["haproxy", "-c", "-f", str(self.config)], capture_output=True, text=True)
        if checked.returncode != 0:
            fail(f"the HAProxy configuration is refused: {checked.stdout}{checked.stderr}")
        with self.log.open("a") as log:
            self.process = subprocess.Popen(["haproxy", "-db", "-f", str(self.config)], stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.states() and all(s == "UP" for s in self.states().values()), 30,
                   "HAProxy did not see every replica up")

    def states(self) -> dict[str, str]:
        """Each replica's status as the balancer sees it (UP, DOWN, …)."""
        try:
            with socket.socket(socket.AF_UNIX) as connection:
                connection.settimeout(2)
                connection.connect(str(self.socket))
                connection.sendall(b"show stat\n")
                out = b""
                while chunk := connection.recv(65536):
                    out += chunk
        except OSError:
            return {}
        lines = out.decode().splitlines()
        if not lines or not lines[0].startswith("# "):
            return {}
        header = lines[0][2:].split(",")
        states = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(",")))
            if row.get("pxname") == "replicas" and row.get("svname") not in ("BACKEND", "FRONTEND", None):
                states[row["svname"]] = row["status"].split()[0]
        return states

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Receiver:
    """A webhook receiver that counts what it receives per event id."""

    def __init__(self):
        self.received: dict[str, int] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    event = self.headers.get("webhook-id", "")
                    receiver.received[event] = receiver.received.get(event, 0) + 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.received)


class Load:
    """Citizens and a pollster through the balancer, each retrying until acknowledged, and a
    record of every answer they got."""

    def __init__(self, slugs: list[str], campaign: str, pollster: str, units: list[str], questionnaire: str):
        self.slugs, self.campaign, self.pollster = slugs, campaign, pollster
        self.units, self.questionnaire = units, questionnaire
        self.acknowledged: dict[str, str] = {}  # submission id -> response id
        self.sent: list[tuple[str, dict]] = []
        self.pushed: set[str] = set()  # pollsters' external ids acknowledged
        self.answers: list[tuple[float, int, dict]] = []  # (time, status, headers) of every answer
        self.lock = threading.Lock()
        self.running = threading.Event()
        self.threads: list[threading.Thread] = []
        self.failure: str | None = None

    def broken(self, message: str) -> None:
        with self.lock:
            self.failure = self.failure or message
        self.running.clear()

    def noted(self, status: int, headers: dict) -> None:
        with self.lock:
            self.answers.append((time.monotonic(), status, headers))

    def citizen(self, source: str) -> None:
        while self.running.is_set():
            slug = random.choice(self.slugs)
            body = {"submission_id": str(uuid.uuid4()),
                    "answers": {**{q: random.choice(OPTIONS) for q in QUESTIONS}, "suggestions": "窗口排队太久"}}
            with self.lock:
                self.sent.append((slug, body))
            deadline = time.monotonic() + 60
            while True:
                status, headers, answer = call(BALANCER_PORT, "POST", f"/api/v1/public/surveys/{slug}/responses",
                                               body=body, source=source)
                self.noted(status, headers)
                if status in (200, 201):
                    with self.lock:
                        earlier = self.acknowledged.get(body["submission_id"])
                        if earlier and earlier != answer["response_id"]:
                            self.failure = self.failure or f"a retry of {body['submission_id']} got another response id"
                        self.acknowledged[body["submission_id"]] = answer["response_id"]
                    break
                if status not in (0, 502, 503):
                    return self.broken(f"a submission answered {status}: {answer}")
                if time.monotonic() > deadline:
                    return self.broken(f"{body['submission_id']} was never acknowledged")
                time.sleep(0.1)
            time.sleep(0.02)

    def pollster_pushes(self) -> None:
        batch_number = 0
        while self.running.is_set():
            batch_number += 1
            items = [{
                "external_id": f"cati-{batch_number}-{n}", "unit_id": random.choice(self.units),
                "questionnaire_id": self.questionnaire, "channel": "telephone", "interview_date": "2026-08-14",
                "answers": {q: random.choice(OPTIONS[:4]) for q in QUESTIONS},
            } for n in range(10)]
            deadline = time.monotonic() + 60
            while True:
                status, headers, report = call(BALANCER_PORT, "POST", f"/api/v1/campaigns/{self.campaign}/pollster/responses",
                                               self.pollster, {"items": items}, source="127.0.0.200")
                self.noted(status, headers)
                if status == 200:
                    outcomes = {item.get("status") for item in report.get("items", [])}
                    if outcomes - {"created", "unchanged"}:
                        return self.broken(f"a pollster push reported {outcomes}: {report}")
                    with self.lock:
                        self.pushed.update(item["external_id"] for item in items)
                    break
                if status not in (0, 502, 503):
                    return self.broken(f"a pollster push answered {status}: {report}")
                if time.monotonic() > deadline:
                    return self.broken("a pollster batch was never acknowledged")
                time.sleep(0.1)
            time.sleep(0.2)

    def start(self, citizens: int) -> None:
        self.running.set()
        self.threads = [threading.Thread(target=self.citizen, args=(f"127.0.0.{10 + n}",)) for n in range(citizens)]
        self.threads.append(threading.Thread(target=self.pollster_pushes))
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.running.clear()
        for thread in self.threads:
            thread.join()
        if self.failure:
            fail(self.failure)

    def wait_for(self, acknowledged: int, seconds: float = 120) -> None:
        target = len(self.acknowledged) + acknowledged
        wait_until(lambda: len(self.acknowledged) >= target or self.failure, seconds,
                   f"the load did not reach {acknowledged} more acknowledgements")
        if self.failure:
            fail(self.failure)

    def failures_since(self, since: float) -> list[tuple[int, dict]]:
        with self.lock:
            return [(s, h) for t, s, h in self.answers if t >= since and s not in (200, 201)]


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", "-X", "-At", "-F", " ", url], input=sql, text=True, capture_output=True,
                          check=True).stdout.strip()


def seed(binary: str, env: dict[str, str], receiver: Receiver):
    """(admin token, campaign, questionnaire, links as (id, slug), unit ids, pollster token)."""
    made = subprocess.run([binary, "create-admin", "replicas"], env={**os.environ, **env, "PINGYI_ADMIN_PASSWORD": PASSWORD},
                          capture_output=True, text=True)
    if made.returncode != 0:
        fail(f"create-admin: {made.stdout}{made.stderr}")

    def api(method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
        status, _, answer = call(BALANCER_PORT, method, path, token, body)
        if status not in (200, 201, 202):
            fail(f"{method} {path} answered {status}: {answer}")
        return answer

    login = {"grant_type": "password", "username": "replicas", "password": PASSWORD}
    token = api("POST", "/api/v1/auth/token", body=login)["access_token"]
    campaign = api("POST", "/api/v1/campaigns", token, {"year": 2026, "title": "replica check"})["id"]
    api("POST", f"/api/v1/campaigns/{campaign}/phase", token, {"phase": "survey"})
    questionnaire = api("POST", f"/api/v1/campaigns/{campaign}/questionnaires", token, {"category": "government"})["id"]
    api("POST", f"/api/v1/questionnaires/{questionnaire}/publish", token, {})
    links, units = [], []
    for n in range(6):
        unit = {"code": f"r{n}", "name": f"单位 {n}", "category": "government", "kind": "department"}
        unit_id = api("POST", "/api/v1/units", token, unit)["id"]
        api("POST", f"/api/v1/campaigns/{campaign}/units", token, {"unit_id": unit_id, "role": "district_key"})
        link = api("POST", f"/api/v1/questionnaires/{questionnaire}/links", token,
                   {"unit_id": unit_id, "channel": "web", "controls": CONTROLS})
        links.append((link["id"], link["slug"]))
        units.append(unit_id)

    def client(role: str) -> str:
        made = api("POST", "/api/v1/clients", token, {"name": f"{role} client", "role": role, "campaign_ids": [campaign]})
        grant = {"grant_type": "client_credentials", "client_id": made["client"]["id"], "client_secret": made["client_secret"]}
        return api("POST", "/api/v1/auth/token", body=grant)["access_token"]

    pollster = client("pollster")
    api("POST", "/api/v1/webhooks", client("reader"), {"url": receiver.url, "events": ["responses.received"]})
    return token, campaign, questionnaire, links, units, pollster


def check_stored_once(load: Load, pg: str) -> None:
    ids = [body["submission_id"] for _, body in load.sent]
    if len(load.acknowledged) != len(ids):
        fail(f"{len(ids) - len(load.acknowledged)} submissions were never acknowledged")
    values = ",".join(f"('{i}'::uuid)" for i in ids)
    stored, answers = psql(pg, f"WITH ids(id) AS (VALUES {values}) SELECT COUNT(*), "
                               "COALESCE(SUM(json_array_length(answers::json)), 0) FROM responses "
                               "WHERE submission_id IN (SELECT id FROM ids)").split()
    if int(stored) != len(ids) or int(answers) != 8 * len(ids):
        fail(f"stored {stored} responses with {answers} answers for {len(ids)} acknowledged submissions")
    total = int(psql(pg, "SELECT COUNT(*) FROM responses"))
    if total != len(ids):
        fail(f"the database holds {total} responses, {len(ids)} were sent")
    pushed = psql(pg, "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM pollster_responses").split()
    if int(pushed[0]) != len(load.pushed) or int(pushed[1]) != len(load.pushed):
        fail(f"the pollster's {len(load.pushed)} acknowledged interviews are stored as {pushed[0]} rows")
    for slug, body in random.sample(load.sent, min(50, len(load.sent))):
        status, _, answer = call(BALANCER_PORT, "POST", f"/api/v1/public/surveys/{slug}/responses", body=body,
                                 source=f"127.0.0.{random.randint(10, 25)}")
        if status != 200 or not answer.get("replayed") or answer["response_id"] != load.acknowledged[body["submission_id"]]:
            fail(f"a retry of an acknowledged submission answered {status} {answer}")
    stored_bytes = int(psql(pg, "SELECT pg_total_relation_size('responses')"))
    print(f"ok: {len(ids)} submissions and {len(load.pushed)} pollster interviews acknowledged, each stored once; "
          f"retries get their original receipt; {stored_bytes / len(ids):.0f} bytes per stored response "
          "(table and indexes)", flush=True)


def sigkill(replicas: list[Replica], balancer: Balancer, load: Load) -> None:
    print("== SIGKILL of one replica under load", flush=True)
    load.wait_for(200)
    victim = replicas[0]
    victim.signal(signal.SIGKILL)
    victim.process.wait()
    routed_around = wait_until(lambda: balancer.states().get(victim.name) == "DOWN", 10,
                               "the balancer did not mark the killed replica down")
    bound = CHECK_INTERVAL_MS / 1000 * (FALL + 1)
    if routed_around > bound:
        fail(f"the balancer took {routed_around:.1f} s to route around the killed replica (checks allow {bound} s)")
    load.wait_for(200)
    print(f"ok: the killed replica was marked down after {routed_around:.1f} s; the load went on", flush=True)
    victim.start()
    victim.wait_ready()
    wait_until(lambda: balancer.states().get(victim.name) == "UP", 20, "the balancer did not take the replica back")


def rolling_restart(replicas: list[Replica], balancer: Balancer, load: Load) -> None:
    print("== rolling restart (SIGTERM, wait, start) under load", flush=True)
    load.wait_for(100)
    started = time.monotonic()
    for replica in replicas:
        replica.signal(signal.SIGTERM)
        # Draining: not ready, still serving.
        wait_until(lambda: call(replica.port, "GET", "/readyz", timeout=1)[0] == 503, DRAIN_SECONDS,
                   f"{replica.name} did not turn unready on SIGTERM")
        if call(replica.port, "GET", "/healthz", timeout=1)[0] != 200:
            fail(f"{replica.name} stopped serving before its drain ended")
        code = replica.wait_exit(DRAIN_SECONDS + 15)
        if code != 0:
            fail(f"{replica.name} exited with {code} after SIGTERM")
        replica.start()
        replica.wait_ready()
        wait_until(lambda: balancer.states().get(replica.name) == "UP", 20, f"the balancer did not take {replica.name} back")
        load.wait_for(50)
    failures = load.failures_since(started)
    bad = [(s, h) for s, h in failures if s != 503 or "retry-after" not in h]
    if bad:
        fail(f"during the rolling restart clients got {sorted({s for s, _ in bad})} "
             f"({len(bad)} of {len(failures)} failures; 0 is a dropped connection)")
    print(f"ok: three replicas restarted one by one; {len(failures)} answers of 503 with Retry-After, no other failure",
          flush=True)


def revocation(replicas: list[Replica], token: str, links: list[tuple[str, str]]) -> None:
    print("== a link revoked through one replica is refused by all", flush=True)
    link_id, slug = links[-1]
    for replica in replicas:
        status = call(replica.port, "GET", f"/api/v1/public/surveys/{slug}")[0]
        if status != 200:
            fail(f"{replica.name} answered {status} for an open link")
    status, _, answer = call(replicas[1].port, "POST", f"/api/v1/links/{link_id}/revoke", token, {})
    if status != 200:
        fail(f"revoking answered {status}: {answer}")
    revoked_at = time.monotonic()
    status = call(replicas[1].port, "GET", f"/api/v1/public/surveys/{slug}")[0]
    if status != 410:
        fail(f"the replica that revoked the link answered {status} for it right after")
    seen = {}
    for replica in replicas:
        wait_until(lambda: call(replica.port, "GET", f"/api/v1/public/surveys/{slug}")[0] == 410, 10,
                   f"{replica.name} still serves the revoked link")
        seen[replica.name] = time.monotonic() - revoked_at
    slowest = max(seen.values())
    if slowest > REVOKE_SEEN_WITHIN:
        fail(f"a replica took {slowest:.2f} s to refuse the revoked link (documented: within a second)")
    body = {"submission_id": str(uuid.uuid4()), "answers": {q: "satisfied" for q in QUESTIONS}}
    for replica in replicas:
        status = call(replica.port, "POST", f"/api/v1/public/surveys/{slug}/responses", body=body)[0]
        if status != 410:
            fail(f"{replica.name} answered {status} to a submission to the revoked link")
    print("ok: refused by every replica after " + ", ".join(f"{n} {s:.2f} s" for n, s in seen.items()), flush=True)


def webhooks(receiver: Receiver, pg: str) -> None:
    print("== webhook events across replicas", flush=True)

    def settled() -> bool:
        return psql(pg, "SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'delivered'") == "0"

    # A delivery claimed by the killed replica waits out its lease (twice the webhook timeout).
    wait_until(settled, 90, "webhook deliveries are still pending")
    events = set(psql(pg, "SELECT event_id FROM webhook_deliveries").split())
    received = receiver.counts()
    if not events:
        fail("no webhook event was made")
    missing = events - received.keys()
    if missing:
        fail(f"{len(missing)} of {len(events)} events were never received")
    unknown = received.keys() - events
    if unknown:
        fail(f"{len(unknown)} received events are not in the outbox")
    twice = {e: n for e, n in received.items() if n > 1}
    # At most one round of the killed replica (20 deliveries) was between sending and recording.
    if len(twice) > 20 or any(n > 2 for n in twice.values()):
        fail(f"{len(twice)} events were received more than once: {sorted(twice.values())[-5:]}")
    print(f"ok: {len(events)} events, each received; {len(twice)} received twice (sent by the killed replica "
          "before it could record them)", flush=True)


def reports_agree(replicas: list[Replica], token: str, campaign: str, load: Load) -> None:
    print("== reports through every replica agree", flush=True)
    bodies = []
    for replica in replicas:
        status, _, report = call(replica.port, "GET", f"/api/v1/campaigns/{campaign}/satisfaction/units", token)
        if status != 200:
            fail(f"{replica.name} answered {status} for the report")
        report.pop("generated_at", None)
        bodies.append(json.dumps(report, sort_keys=True))
    if len(set(bodies)) != 1:
        fail("the replicas' reports differ")
    counted = sum(cell["responses"] for cell in json.loads(bodies[0])["cells"])
    expected = len(load.acknowledged) + len(load.pushed)
    if counted != expected:
        fail(f"the report counts {counted} responses; {len(load.acknowledged)} citizens' and "
             f"{len(load.pushed)} pollster's were acknowledged")
    print(f"ok: the three replicas report the same {counted} responses (citizens' and the pollster's)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/debug/pingyi")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432",
                        help="PostgreSQL server URL without a database")
    args = parser.parse_args()
    for statement in ["DROP DATABASE IF EXISTS pingyi_replicas", "CREATE DATABASE pingyi_replicas"]:
        subprocess.run(["psql", "-X", "-q", f"{args.pg}/postgres", "-c", statement], check=True)
    pg = f"{args.pg}/pingyi_replicas"
    with tempfile.TemporaryDirectory(prefix="pingyi-replicas-") as tmp:
        tmp = Path(tmp)
        env = {"DATABASE_URL": pg, "PINGYI_JWT_SECRET": "r" * 48, "RUST_LOG": "warn",
               "PINGYI_TRUSTED_PROXIES": "127.0.0.1", "PINGYI_SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS),
               "PINGYI_WEBHOOK_ALLOW_PRIVATE": "true", "PINGYI_PUBLIC_URL": f"http://127.0.0.1:{BALANCER_PORT}"}
        replicas = [Replica(f"r{n + 1}", port, args.binary, env, tmp) for n, port in enumerate(REPLICA_PORTS)]
        balancer = Balancer(tmp, replicas)
        receiver = Receiver()
        try:
            # All three start at once on an empty database: migrations take turns.
            for replica in replicas:
                replica.start()
            for replica in replicas:
                replica.wait_ready()
            balancer.start()
            token, campaign, questionnaire, links, units, pollster = seed(args.binary, env, receiver)
            load = Load([slug for _, slug in links[:-1]], campaign, pollster, units, questionnaire)
            load.start(citizens=16)
            sigkill(replicas, balancer, load)
            rolling_restart(replicas, balancer, load)
            revocation(replicas, token, links)
            load.stop()
            check_stored_once(load, pg)
            webhooks(receiver, pg)
            reports_agree(replicas, token, campaign, load)
        except SystemExit:
            for log in [*(r.log for r in replicas), balancer.log]:
                if log.exists():
                    print(f"--- {log.name} (last lines)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
            raise
        finally:
            balancer.stop()
            for replica in replicas:
                replica.stop()
            receiver.server.shutdown()
    subprocess.run(["psql", "-X", "-q", f"{args.pg}/postgres", "-c", "DROP DATABASE pingyi_replicas"], check=True)


if __name__ == "__main__":
    main()
