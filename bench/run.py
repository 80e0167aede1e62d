#!/usr/bin/env python3
"""Pingyi's benchmark: ingestion against the database's own limit, and report latency as data grows.

    python3 bench/run.py            # everything (30 to 45 minutes on a 2-core machine)
    python3 bench/run.py --quick    # 5-second runs, one round, 100k responses only
    python3 bench/run.py --units 300 --skip-reports   # ingestion into a campaign of 300 units
    python3 bench/run.py --soak 300                   # five minutes at 64 clients: memory over time, storage
    python3 bench/run.py --pages                      # page views beside /healthz only
    python3 bench/run.py --console                    # the console's pages, 300 units, 5M responses

Needs: a PostgreSQL server reachable at --pg (trust auth, may create a database), `pgbench`
and `psql` (PostgreSQL's client packages), `wrk` (Debian package `wrk`). It builds the
release binary, creates the database `pingyi_bench` (dropping an earlier one), and prints
Markdown tables; `--out FILE` also writes them to FILE.

Ingestion, per client count, in three rounds (`--rounds`) of the limit then the service, the
row being the round with the median ratio:
  * limit: pgbench, one response-shaped row (its eight answers packed as the service packs
    them) per transaction into a copy of the `responses` table (same columns and indexes; no
    foreign keys, like the service's table on PostgreSQL);
  * service: wrk posting citizens' responses (a fresh submission id, eight answers, one of
    20 links, one per unit (`--units`), one of 5,000 source addresses) to the release build,
    which acknowledges each only after its commit (synchronous_commit on; SQLite in WAL mode
    with synchronous=FULL). Beside wrk's latencies, the share of submissions that took the
    service itself over 25 ms (its own histogram, from /metrics): what is left of wrk's p99
    is the load generator's and the kernel's, on the same two cores.
  A second table lists every round in the order run, with the limit's own p99 and the share of
  CPU time the hypervisor stole during the limit's and the service's runs (a round that is
  slow for both, or with time stolen, is the machine's) and, on SQLite, what held its single
  writer during the service's run (group commits, folds, the log's restarts).
Reports: wrk reading the per-unit and per-unit × dimension reports of a campaign holding
100k, 1M and 5M responses of eight answers each, loaded with SQL, with nothing arriving (the
replica serves the reports it keeps) and while citizens answer at 20 responses/s (each
report rolled up afresh with the pending responses); for comparison, the time of the GROUP
BY over the answers that the reports would otherwise run.
Page views (`--pages`, instead of the rounds and the reports): wrk at the largest client count
reading `/healthz`, then the answer page, the public questionnaire, a QR code and a poster of
one link, as a browser asks (gzip and brotli accepted), each after a short warm-up; the table
gives each one's rate as a share of `/healthz`'s in the same run, and its p99.
Console (`--console`, PostgreSQL only, instead of the rounds and the reports): a campaign of
300 district key units (`--units`) with a link each and 5M responses (`--sizes`, its largest)
loaded with SQL, taken to its assessment phase with a scoring session open and a result
computed; then wrk with 4 connections signed in to the console reading each of its pages for
a year's work, after a short warm-up, with p50, p95 and p99; before the runs, one burst check
of the campaign through the console (it reads every response), timed.
Soak (`--soak SECONDS`, instead of the rounds and the reports): one run of that length at the
largest client count, the service's resident and anonymous memory sampled every 15 s, then
the bytes stored per response (PostgreSQL: the responses table with its indexes; SQLite: the
database file).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the service stores per response besides the keys: eight answers, packed as it packs them.
PACKED_ANSWERS = json.dumps(
    [{"question_key": q, "dimension": q, "option_key": "satisfied", "weight": 0.8}
     for q in ["lawful_duty", "fair_enforcement", "government_openness", "efficiency", "work_style", "integrity", "overall"]]
    + [{"question_key": "suggestions", "text": "希望延长办公时间"}],
    ensure_ascii=False,
)
BINARY = ROOT / "target" / "release" / "pingyi"
PORT = 8088
BASE = f"http://127.0.0.1:{PORT}"
DATABASE = "pingyi_bench"
PASSWORD = "benchmark-password-1"
# Units of the campaign, each with one web link (`--units`).
UNITS = 20
# Responses per second sent while reports are read in the "live" report run.
LIVE_RATE = 20
# The links' ballot controls for the run: the rate limit far above what 5,000 sources reach,
# no daily cap, and no duplicate window (random answers from one source may repeat).
CONTROLS = {"rate_limit_per_hour": 100000, "daily_cap": None, "duplicate_window_seconds": 0, "requires_invitation": False}


def run(cmd: list[str], **kwargs) -> str:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs).stdout


def require(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: on Debian, apt-get install wrk postgresql-client")


# --- the service -------------------------------------------------------------------------


class Service:
    """The release binary, started with `env`, with its peak RSS sampled while it runs. Its log
    (`RUST_LOG=warn`) goes to `log`; `stop` prints the warnings and errors in it, so that a round
    with errors can be told apart from a round on a slow machine."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env = {**os.environ, "PINGYI_BIND": f"127.0.0.1:{PORT}", "RUST_LOG": "warn", "NO_COLOR": "1", **env}
        self.log = log
        self.process: subprocess.Popen | None = None
        self.peak_kib = 0
        self._sampling = False

    def cli(self, *args: str) -> None:
        run([str(BINARY), *args], env={**self.env, "PINGYI_ADMIN_PASSWORD": PASSWORD})

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([str(BINARY)], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{BASE}/readyz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        sys.exit("the service did not become ready")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        logged = [line for line in lines if re.search(r"\b(WARN|ERROR)\b", line)]
        if logged:
            print(f"the service logged {len(logged)} lines of warnings or errors; the first ones:", flush=True)
            print("\n".join(f"    {line}" for line in logged[:10]), flush=True)

    def rss_kib(self) -> int:
        assert self.process
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))

    def sample_peak(self):
        """Context manager: the peak RSS while the block runs lands in `self.peak_kib`."""
        service = self

        class Sampler:
            def __enter__(self):
                service.peak_kib = service.rss_kib()
                service._sampling = True
                self.thread = threading.Thread(target=self.loop, daemon=True)
                self.thread.start()

            def loop(self):
                while service._sampling:
                    service.peak_kib = max(service.peak_kib, service.rss_kib())
                    time.sleep(0.1)

            def __exit__(self, *exc):
                service._sampling = False
                self.thread.join()

        return Sampler()


def api(method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{BASE}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        sys.exit(f"{method} {path}: {err.code} {err.read().decode()}")


def seed(service: Service, year: int) -> dict:
    """An admin, a campaign in its survey phase, `UNITS` units each with a web link; returns ids."""
    service.cli("create-admin", f"bench{year}")
    token = login(year)
    campaign = api("POST", "/api/v1/campaigns", token, {"year": year, "title": f"benchmark {year}"})["id"]
    api("POST", f"/api/v1/campaigns/{campaign}/phase", token, {"phase": "survey"})
    draft = api("POST", f"/api/v1/campaigns/{campaign}/questionnaires", token, {"category": "government"})["id"]
    questionnaire = api("POST", f"/api/v1/questionnaires/{draft}/publish", token, {})
    links = []
    for number in range(UNITS):
        unit = {"code": f"b{year}u{number:02}", "name": f"单位 {number}", "category": "government", "kind": "department"}
        unit_id = api("POST", "/api/v1/units", token, unit)["id"]
        link_body = {"unit_id": unit_id, "channel": "web", "controls": CONTROLS}
        link = api("POST", f"/api/v1/questionnaires/{draft}/links", token, link_body)
        links.append({"id": link["id"], "slug": link["slug"], "unit_id": unit_id})
    return {"year": year, "token": token, "campaign": campaign, "questionnaire": questionnaire, "links": links}


def login(year: int) -> str:
    """A fresh admin token (tokens last 15 minutes; loading 5M responses takes longer)."""
    body = {"grant_type": "password", "username": f"bench{year}", "password": PASSWORD}
    return api("POST", "/api/v1/auth/token", body=body)["access_token"]


# --- load generators -----------------------------------------------------------------------


def wrk(script: str, clients: int, seconds: int, env: dict[str, str]) -> dict:
    output = run(
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(ROOT / "bench" / script), BASE],
        env={**os.environ, **env},
    )
    fields = dict(pair.split("=") for pair in re.search(r"RESULT (.*)", output).group(1).split())
    numbers = {key: int(value) for key, value in fields.items()}
    numbers["rps"] = numbers["requests"] / (numbers["duration_us"] / 1e6)
    numbers["errors"] = numbers["non2xx"] + numbers["socket_errors"]
    return numbers


# The route citizens submit to, as the service's metrics label it.
SUBMIT_ROUTE = "/api/v1/public/surveys/{slug}/responses"
# The p99 target (seconds), one of the service's histogram bounds.
TARGET_P99 = 0.025
OVER_TARGET = f"over {TARGET_P99 * 1000:.0f} ms in the service"


def scrape() -> str:
    """The service's `/metrics`."""
    with urllib.request.urlopen(f"{BASE}/metrics", timeout=5) as response:
        return response.read().decode()


def submit_latencies(metrics: str) -> dict[float, int]:
    """The service's own histogram of submission latencies so far (from a `scrape`): each
    bucket's upper bound in seconds and the count at or under it. It times a request from
    its arrival in the service to its response, so beside wrk's figures it tells the
    service's share of a latency from the load generator's and the kernel's."""
    bucket = re.compile(
        r'pingyi_http_request_duration_seconds_bucket\{method="POST",route="' + re.escape(SUBMIT_ROUTE) + r'",le="([^"]+)"\} (\d+)'
    )
    return {float(bound): int(count) for bound, count in bucket.findall(metrics)}


def share_over_target(before: dict[float, int], after: dict[float, int]) -> float:
    """Of the submissions between two readings of `submit_latencies`, the percentage that
    took the service longer than `TARGET_P99`."""
    total = after[float("inf")] - before.get(float("inf"), 0)
    within = after[TARGET_P99] - before.get(TARGET_P99, 0)
    return 100 * (total - within) / max(total, 1)


# SQLite's holders of the single write turn, as the service's metrics label them.
HOLDERS = ("responses", "fold", "log_restart")


def write_turn_holds(metrics: str) -> dict[str, tuple[int, float]]:
    """SQLite only (empty on PostgreSQL): per holder of the write turn, how many holds so far
    and their total seconds (`pingyi_sqlite_write_turn_hold_seconds`)."""
    holds = {}
    for holder in HOLDERS:
        label = f'{{holder="{holder}"}}'
        count = re.search(rf"pingyi_sqlite_write_turn_hold_seconds_count{re.escape(label)} (\S+)", metrics)
        total = re.search(rf"pingyi_sqlite_write_turn_hold_seconds_sum{re.escape(label)} (\S+)", metrics)
        if count and total:
            holds[holder] = (int(float(count.group(1))), float(total.group(1)))
    return holds


def holds_between(before: dict[str, tuple[int, float]], after: dict[str, tuple[int, float]]) -> dict[str, tuple[int, float]]:
    """Per holder, the holds between two readings of `write_turn_holds`: how many, and their mean in ms."""
    between = {}
    for holder, (count, total) in after.items():
        earlier_count, earlier_total = before.get(holder, (0, 0.0))
        held = count - earlier_count
        between[holder] = (held, 1000 * (total - earlier_total) / max(held, 1))
    return between


def submit_run(clients: int, seconds: int, env: dict[str, str]) -> dict:
    """wrk posting responses (`submit.lua`), with the share of them the service itself took
    over the target (`over_target`, see `share_over_target`) and, on SQLite, the write turn's
    holds meanwhile (`holds`, see `holds_between`)."""
    before = scrape()
    result = wrk("submit.lua", clients, seconds, env)
    after = scrape()
    return {
        **result,
        "over_target": share_over_target(submit_latencies(before), submit_latencies(after)),
        "holds": holds_between(write_turn_holds(before), write_turn_holds(after)),
    }


def pgbench_limit(pg: str, seed_ids: dict, clients: int, seconds: int, workdir: Path) -> dict:
    """pgbench's rate (`tps`) and its transactions' p99 (`p99_us`), from a log of one
    transaction in ten, which costs pgbench less than logging every one."""
    link = seed_ids["links"][0]
    script = workdir / "limit.sql"
    script.write_text(
        "INSERT INTO limit_responses (id, submission_id, body_hash, link_id, questionnaire_id, campaign_id, "
        "unit_id, channel, submitted_hour, excluded, answers) VALUES (gen_random_uuid(), gen_random_uuid(), "
        "md5(random()::text) || md5(random()::text), "
        f"'{link['id']}', '{seed_ids['questionnaire']['id']}', '{seed_ids['campaign']}', '{link['unit_id']}', "
        f"'web', date_trunc('hour', now()), false, '{PACKED_ANSWERS}');\n"
    )
    logs = workdir / "pgbench-log"
    for leftover in workdir.glob("pgbench-log*"):
        leftover.unlink()
    output = run(["pgbench", "-n", "-M", "prepared", f"-c{clients}", "-j2", f"-T{seconds}", "-f", str(script),
                  "--log", "--sampling-rate=0.1", f"--log-prefix={logs}", f"{pg}/{DATABASE}"])
    # Each log line: client, transaction, latency (µs), script, epoch seconds, µs.
    latencies = [int(line.split()[2]) for log in workdir.glob("pgbench-log*") for line in log.read_text().splitlines()]
    return {"tps": float(re.search(r"tps = ([\d.]+)", output).group(1)), "p99_us": p99(latencies)}


def p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else 0.0


def sqlite_limit(seconds: int, workdir: Path) -> dict:
    """One response-shaped row per transaction, WAL and synchronous=FULL, as the service runs SQLite:
    the rate (`tps`) and the transactions' p99 (`p99_us`). SQLite has one writer, so the figures
    do not depend on the number of clients."""
    path = workdir / "limit.db"
    for leftover in workdir.glob("limit.db*"):
        leftover.unlink()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE responses (id TEXT PRIMARY KEY, submission_id TEXT NOT NULL, body_hash TEXT NOT NULL, "
        "link_id TEXT NOT NULL, questionnaire_id TEXT NOT NULL, campaign_id TEXT NOT NULL, unit_id TEXT NOT NULL, "
        "channel TEXT NOT NULL, submitted_hour TEXT NOT NULL, excluded INTEGER NOT NULL, answers TEXT NOT NULL)"
    )
    ids = [str(uuid.uuid4()) for _ in range(4)]
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    try:
        return _insert_until(db, deadline, ids, started)
    finally:
        db.close()


def _insert_until(db: sqlite3.Connection, deadline: float, ids: list[str], started: float) -> dict:
    latencies = []
    while time.monotonic() < deadline:
        began = time.monotonic()
        db.execute("BEGIN")
        db.execute(
            "INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, 'web', '2026-11-28 10:00:00+00:00', 0, ?)",
            (str(uuid.uuid4()), str(uuid.uuid4()), "0" * 64, *ids, PACKED_ANSWERS),
        )
        db.execute("COMMIT")
        latencies.append(1e6 * (time.monotonic() - began))
    return {"tps": len(latencies) / (time.monotonic() - started), "p99_us": p99(latencies)}


# --- ingestion -----------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User and system CPU time each process has used so far."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended in between
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU time used between two readings by the processes alive at the second."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def cpu_ticks() -> tuple[int, int]:
    """The machine's CPU time so far, in ticks: stolen by the hypervisor, and in all."""
    fields = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is already within user)
    return fields[7], sum(fields[:8])


def steal_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Of the CPU time between two readings of `cpu_ticks`, the percentage the hypervisor took:
    a machine that is slow for a minute shows it here, whatever the service does."""
    return 100 * (after[0] - before[0]) / max(after[1] - before[1], 1)


def postgres_pids() -> list[int]:
    return [int(pid) for pid in subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout.split()]


def submit_env(ids: dict) -> dict[str, str]:
    """What `submit.lua` reads: the seeded links' slugs and the size of the source pool."""
    return {"BENCH_SLUGS": ",".join(link["slug"] for link in ids["links"]), "BENCH_SOURCES": "5000"}


def ingestion(service: Service, ids: dict, clients: list[int], seconds: int, rounds: int, limit, pg: str | None) -> list[dict]:
    """Per client count, `rounds` rounds of the limit then the service; the row is the round
    with the median ratio (the machine's speed drifts, so each ratio compares two figures
    taken a few seconds apart), with errors, peak RSS and the worst p99 over every round.
    `pg`: the PostgreSQL server the service writes to, or None on SQLite."""
    env = submit_env(ids)
    wrk("submit.lua", 16, 3, env)  # warm-up: connections, caches, the writer
    rows = []
    for count in clients:
        in_order = [ingestion_round(service, env, count, seconds, limit, pg) for _ in range(rounds)]
        runs = sorted(in_order, key=lambda r: r["rps"] / r["limit"])
        row = {**runs[len(runs) // 2], "ratios": [r["rps"] / r["limit"] for r in runs],
               "worst_p99_us": max(r["p99_us"] for r in runs), "errors": sum(r["errors"] for r in runs),
               "rss_mib": max(r["rss_mib"] for r in runs), "rounds": in_order}
        rows.append(row)
        print(f"  {count} clients: limit {row['limit']:.0f}/s, service {row['rps']:.0f}/s", flush=True)
    return rows


def ingestion_round(service: Service, env: dict, count: int, seconds: int, limit, pg: str | None) -> dict:
    settle(pg)
    ticks = cpu_ticks()
    limit_result = limit(count)
    limit_steal = steal_share(ticks, cpu_ticks())
    # Otherwise the checkpoint that the limit's WAL brings on lands in the service's run.
    settle(pg)
    database_pids = postgres_pids if pg is not None else list
    before = cpu_seconds([service.process.pid]), cpu_seconds(database_pids())
    ticks = cpu_ticks()
    with service.sample_peak():
        result = submit_run(count, seconds, env)
    steal = steal_share(ticks, cpu_ticks())
    after = cpu_seconds([service.process.pid]), cpu_seconds(database_pids())
    used = cpu_used(before[0], after[0]), cpu_used(before[1], after[1])
    per_response = [1e6 * seconds_used / max(result["requests"], 1) for seconds_used in used]
    return {"clients": count, "limit": limit_result["tps"], "limit_p99_us": limit_result["p99_us"],
            "limit_steal": limit_steal, **result, "steal": steal, "rss_mib": service.peak_kib / 1024,
            "service_cpu_us": per_response[0], "postgres_cpu_us": per_response[1] if pg is not None else None}


def settle(pg: str | None) -> None:
    """Starts a measured run on PostgreSQL from a fresh checkpoint."""
    if pg is not None:
        psql(pg, "CHECKPOINT;")


def ingestion_table(title: str, rows: list[dict]) -> str:
    lines = [
        f"### {title}, {UNITS} units",
        "",
        "| clients | limit (tx/s) | service (responses/s) | ratio | every round's ratio | p50 (ms) | p99 (ms) "
        f"| worst p99 (ms) | {OVER_TARGET} (%) | errors | peak RSS (MiB) | CPU µs per response: service / PostgreSQL |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        database_cpu = "—" if r["postgres_cpu_us"] is None else f"{r['postgres_cpu_us']:.0f}"
        ratios = " ".join(f"{ratio:.2f}" for ratio in r["ratios"])
        lines.append(
            f"| {r['clients']} | {r['limit']:.0f} | {r['rps']:.0f} | {r['rps'] / r['limit']:.2f} | {ratios} | "
            f"{r['p50_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} | {r['worst_p99_us'] / 1000:.1f} | {r['over_target']:.2f} | {r['errors']} | "
            f"{r['rss_mib']:.0f} | {r['service_cpu_us']:.0f} / {database_cpu} |"
        )
    return "\n".join(lines)


def rounds_table(title: str, rows: list[dict]) -> str:
    """Every round in the order run, to tell a slow machine from a slow service: the limit's
    own p99, the share of CPU time the hypervisor stole while the limit and the service ran,
    and on SQLite what held the single writer (count × mean)."""
    sqlite = bool(rows and rows[0]["rounds"][0]["holds"])
    holds_header = " | writer held: group commits / folds / log restarts (count × ms)" if sqlite else ""
    lines = [
        f"#### {title}: every round",
        "",
        "| clients | round | limit (tx/s) | limit p99 (ms) | stolen during the limit (%) | service (responses/s) "
        f"| ratio | p99 (ms) | {OVER_TARGET} (%) | stolen during the service (%){holds_header} |",
        "|---:" * (11 if sqlite else 10) + "|",
    ]
    for row in rows:
        for number, r in enumerate(row["rounds"], start=1):
            held = ""
            if sqlite:
                held = " | " + " / ".join(f"{r['holds'][h][0]} × {r['holds'][h][1]:.1f}" for h in HOLDERS if h in r["holds"])
            lines.append(
                f"| {r['clients']} | {number} | {r['limit']:.0f} | {r['limit_p99_us'] / 1000:.1f} | {r['limit_steal']:.1f} | "
                f"{r['rps']:.0f} | {r['rps'] / r['limit']:.2f} | {r['p99_us'] / 1000:.1f} | {r['over_target']:.2f} | "
                f"{r['steal']:.1f}{held} |"
            )
    return "\n".join(lines)


# --- staying power ---------------------------------------------------------------------------

# How often the soak samples the service's memory.
SOAK_SAMPLE_SECONDS = 15


def memory_mib(pid: int) -> tuple[int, int]:
    """Resident and anonymous memory of `pid`, in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    return tuple(int(fields[name].split()[0]) // 1024 for name in ("Rss", "Anonymous"))


def soak(service: Service, ids: dict, clients: int, seconds: int) -> dict:
    """One long run of wrk at `clients`, the service's memory sampled as it goes."""
    env = submit_env(ids)
    samples, stop, started = [], threading.Event(), time.monotonic()

    def sample() -> None:
        while not stop.is_set():
            samples.append((time.monotonic() - started, *memory_mib(service.process.pid)))
            stop.wait(SOAK_SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = submit_run(clients, seconds, env)
    stop.set()
    sampler.join()
    samples.append((time.monotonic() - started, *memory_mib(service.process.pid)))  # as the load ends
    return {**result, "samples": samples}


def soak_section(title: str, service: Service, ids: dict, clients: int, seconds: int, storage) -> str:
    """The soak's table; `storage()` gives the bytes the responses take and how many there are."""
    result = soak(service, ids, clients, seconds)
    return soak_table(title, clients, result, *storage())


def soak_table(title: str, clients: int, result: dict, stored_bytes: int, stored: int) -> str:
    rss = [s[1] for s in result["samples"]]
    lines = [
        f"### {title}: {clients} clients for {result['duration_us'] / 1e6:.0f} s, {UNITS} units",
        "",
        f"{result['rps']:.0f} responses/s ({stored:,} stored), p50 {result['p50_us'] / 1000:.1f} ms, "
        f"p99 {result['p99_us'] / 1000:.1f} ms ({result['over_target']:.2f} % {OVER_TARGET}), "
        f"errors {result['errors']}; RSS {min(rss)}–{max(rss)} MiB; "
        f"{stored_bytes / max(stored, 1):,.0f} bytes stored per response",
        "",
        "| time (s) | RSS (MiB) | anonymous (MiB) |",
        "|---:|---:|---:|",
    ]
    lines += [f"| {at:.0f} | {resident} | {anonymous} |" for at, resident, anonymous in result["samples"]]
    return "\n".join(lines)


def sqlite_storage(database: Path) -> tuple[int, int]:
    """The database file's size and the responses it holds."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        stored = db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    return database.stat().st_size, stored


# --- reports as data grows -----------------------------------------------------------------


def psql(pg: str, sql: str) -> str:
    return run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", f"{pg}/{DATABASE}"], input=sql)


def load_sql(ids: dict, count: int) -> str:
    """Adds `count` responses of eight answers (seven ratings and a suggestion) to the campaign,
    spread over its `UNITS` units and the last 30 days, and adds them to the running totals (raising
    the campaign's `totals_version`, as the service does)."""
    campaign, questionnaire = ids["campaign"], ids["questionnaire"]["id"]
    slots = ", ".join(f"({i}, '{l['id']}'::uuid, '{l['unit_id']}'::uuid)" for i, l in enumerate(ids["links"]))
    ratings = [q for q in ids["questionnaire"]["questions"] if q.get("options")]
    questions = ", ".join(f"('{q['key']}', '{q['dimension']}')" for q in ratings)
    options = ", ".join(
        f"({i}, '{o['key']}', {'NULL' if o.get('weight') is None else o['weight']}::double precision)"
        for i, o in enumerate(ratings[0]["options"])
    )
    option_count = len(ratings[0]["options"])
    counters = "COUNT(*), COUNT(weight), COALESCE(SUM(weight), 0)"
    add = "answers = {t}.answers + excluded.answers, valid = {t}.valid + excluded.valid, weight_sum = {t}.weight_sum + excluded.weight_sum"
    return f"""
BEGIN;
CREATE TEMP TABLE new_responses ON COMMIT DROP AS
  SELECT gen_random_uuid() AS id, gen_random_uuid() AS submission_id, (g % {UNITS}) AS slot,
         date_trunc('hour', now() - random() * interval '30 days') AS hour
  FROM generate_series(1, {count}) AS g;
CREATE TEMP TABLE slots (slot int, link_id uuid, unit_id uuid) ON COMMIT DROP;
INSERT INTO slots VALUES {slots};
CREATE TEMP TABLE new_answers ON COMMIT DROP AS
  SELECT r.id AS response_id, q.key AS question_key, s.unit_id, q.dimension, o.key AS option_key, o.weight, r.hour
  FROM new_responses r JOIN slots s USING (slot)
  CROSS JOIN (VALUES {questions}) AS q(key, dimension)
  JOIN (VALUES {options}) AS o(n, key, weight) ON o.n = abs(hashtext(r.id::text || q.key)) % {option_count};
CREATE TEMP TABLE packed ON COMMIT DROP AS
  SELECT response_id, (jsonb_agg(jsonb_strip_nulls(jsonb_build_object('question_key', question_key,
           'dimension', dimension, 'option_key', option_key, 'weight', weight)))
         || '[{{"question_key": "suggestions", "text": "希望延长办公时间"}}]'::jsonb)::text AS answers
  FROM new_answers GROUP BY response_id;
INSERT INTO responses (id, submission_id, body_hash, link_id, questionnaire_id, campaign_id, unit_id, channel, submitted_hour, excluded, answers)
  SELECT r.id, r.submission_id, md5(r.id::text) || md5(r.submission_id::text), s.link_id, '{questionnaire}', '{campaign}',
         s.unit_id, 'web', r.hour, false, p.answers
  FROM new_responses r JOIN slots s USING (slot) JOIN packed p ON p.response_id = r.id;
-- The totals are packed per unit (and per unit and hour); the counts are kept narrow in
-- scratch tables of the benchmark's own, and the campaign's packed rows rebuilt from them.
CREATE TABLE IF NOT EXISTS bench_totals (unit_id uuid, dimension text, option_key text,
  answers bigint, valid bigint, weight_sum double precision, PRIMARY KEY (unit_id, dimension, option_key));
INSERT INTO bench_totals (unit_id, dimension, option_key, answers, valid, weight_sum)
  SELECT unit_id, dimension, option_key, {counters} FROM new_answers GROUP BY unit_id, dimension, option_key
  ON CONFLICT (unit_id, dimension, option_key) DO UPDATE SET {add.format(t='bench_totals')};
CREATE TABLE IF NOT EXISTS bench_hourly_totals (unit_id uuid, answered_at timestamptz, option_key text,
  answers bigint, valid bigint, weight_sum double precision, PRIMARY KEY (unit_id, answered_at, option_key));
INSERT INTO bench_hourly_totals (unit_id, answered_at, option_key, answers, valid, weight_sum)
  SELECT unit_id, hour, option_key, {counters} FROM new_answers WHERE dimension = 'overall'
  GROUP BY unit_id, hour, option_key
  ON CONFLICT (unit_id, answered_at, option_key) DO UPDATE SET {add.format(t='bench_hourly_totals')};
DELETE FROM satisfaction_totals WHERE campaign_id = '{campaign}';
INSERT INTO satisfaction_totals (campaign_id, source, unit_id, channel, counts)
  SELECT '{campaign}', 'citizen_link', unit_id, 'web',
         json_agg(json_build_array(json_build_array(dimension, option_key), answers, valid, weight_sum))::text
  FROM bench_totals GROUP BY unit_id;
DELETE FROM satisfaction_hourly_totals WHERE campaign_id = '{campaign}';
INSERT INTO satisfaction_hourly_totals (campaign_id, source, unit_id, answered_at, counts)
  SELECT '{campaign}', 'citizen_link', unit_id, answered_at,
         json_agg(json_build_array(option_key, answers, valid, weight_sum))::text
  FROM bench_hourly_totals GROUP BY unit_id, answered_at;
-- As the service does with every change to the totals: reports kept before are stale.
UPDATE campaigns SET totals_version = totals_version + 1 WHERE id = '{campaign}';
COMMIT;
ANALYZE responses;
"""


def group_by_ms(pg: str, campaign: str) -> float:
    """The median time of the GROUP BY a per-unit report would run without running totals
    (over the overall answer unpacked from each response)."""
    sql = (
        "\\timing on\n"
        + "SELECT unit_id, a->>'option_key', COUNT(*), SUM((a->>'weight')::float8) FROM responses, "
        "jsonb_array_elements(answers::jsonb) a WHERE campaign_id = "
        f"'{campaign}' AND NOT excluded AND a->>'dimension' = 'overall' GROUP BY 1, 2;\n" * 3
    )
    times = [float(t) for t in re.findall(r"Time: ([\d.]+) ms", psql(pg, sql))]
    return statistics.median(times)


class Trickle:
    """Context manager: citizens answering at `rate` responses per second (one thread, each
    response with a fresh submission id) while the block runs; `sent` counts the 201s."""

    def __init__(self, ids: dict, rate: float):
        self.slugs = [link["slug"] for link in ids["links"]]
        self.questions = [q["key"] for q in ids["questionnaire"]["questions"] if q.get("options")]
        self.rate, self.sent, self._running = rate, 0, False

    def __enter__(self):
        self._running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()
        return self

    def loop(self):
        next_at = time.monotonic()
        while self._running:
            answers = {question: "satisfied" for question in self.questions}
            body = {"submission_id": str(uuid.uuid4()), "answers": answers}
            slug = self.slugs[self.sent % len(self.slugs)]
            api("POST", f"/api/v1/public/surveys/{slug}/responses", body=body)
            self.sent += 1
            next_at += 1 / self.rate
            time.sleep(max(0.0, next_at - time.monotonic()))

    def __exit__(self, *exc):
        self._running = False
        self.thread.join()


def load(pg: str, ids: dict, size: int, loaded: int = 0) -> None:
    """Loads responses until the campaign holds `size`, then settles the database: measure the
    steady state, not beside the autovacuum and checkpoint the load brings on."""
    while loaded < size:
        step = min(500_000, size - loaded)
        psql(pg, load_sql(ids, step))
        loaded += step
    psql(pg, "VACUUM (ANALYZE) responses; VACUUM (ANALYZE) satisfaction_totals; CHECKPOINT;")


def reports(pg: str, ids: dict, sizes: list[int], seconds: int) -> list[dict]:
    rows, loaded = [], 0
    for size in sizes:
        load(pg, ids, size, loaded)
        loaded = size
        row = {"responses": size, "group_by_ms": group_by_ms(pg, ids["campaign"])}
        token = login(ids["year"])
        path = lambda kind: {"BENCH_PATH": f"/api/v1/campaigns/{ids['campaign']}/satisfaction/{kind}", "BENCH_TOKEN": token}  # noqa: E731
        for kind in ["units", "dimensions"]:
            row[kind] = wrk("read.lua", 4, seconds, path(kind))
        # While citizens answer, responses are pending most of the time, so reports are rolled
        # up afresh (from kept totals, plus the pending responses) instead of served as kept.
        with Trickle(ids, LIVE_RATE):
            row["live"] = wrk("read.lua", 4, seconds, path("dimensions"))
        rows.append(row)
        print(f"  {size} responses: units p50 {row['units']['p50_us'] / 1000:.2f} ms", flush=True)
    return rows


def page_views(ids: dict, clients: int, seconds: int) -> list[dict]:
    """wrk reading each public page of one link, `/healthz` first as the yardstick."""
    slug = ids["links"][0]["slug"]
    paths = [
        ("`/healthz`", "/healthz"),
        ("answer page", f"/s/{slug}"),
        ("public questionnaire (JSON)", f"/api/v1/public/surveys/{slug}"),
        ("QR code (PNG)", f"/s/{slug}/qr.png"),
        ("poster (PNG)", f"/s/{slug}/poster.png"),
    ]
    rows = []
    for name, path in paths:
        env = {"BENCH_PATH": path, "BENCH_ENCODING": "gzip, deflate, br"}
        wrk("read.lua", clients, 2, env)
        rows.append({"name": name, **wrk("read.lua", clients, seconds, env)})
    return rows


def console_cookie(user: str) -> str:
    """A console session of `user`, as the Cookie header a browser would send."""
    with urllib.request.urlopen(f"{BASE}/console/sign-in", timeout=10) as response:
        page = response.read().decode()
        form_cookie = response.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf": csrf, "username": user, "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{BASE}/console/sign-in", data=form, method="POST")
    request.add_header("Cookie", form_cookie)

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(Stay).open(request, timeout=10)
    except urllib.error.HTTPError as err:
        if err.code != 303:
            sys.exit(f"console sign-in: {err.code}")
        cookies = [value.split(";")[0] for key, value in err.headers.items() if key.lower() == "set-cookie"]
        session = [c for c in cookies if c.startswith("pingyi_console=")]
        if session:
            return session[0]
    sys.exit("console sign-in gave no session")


def console_post(cookie: str, path: str) -> None:
    """Posts a console form that carries only its token, as the signed-in browser would."""
    page = urllib.request.urlopen(urllib.request.Request(f"{BASE}/console/", headers={"Cookie": cookie}), timeout=60)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.read().decode()).group(1)
    form = urllib.parse.urlencode({"csrf": csrf}).encode()
    request = urllib.request.Request(f"{BASE}{path}", data=form, method="POST", headers={"Cookie": cookie})

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(Stay).open(request, timeout=600)
    except urllib.error.HTTPError as err:
        if err.code != 303:
            sys.exit(f"console {path}: {err.code}")


def console_pages(ids: dict, seconds: int) -> tuple[list[dict], float]:
    """wrk signed in to the console, reading each page of a year's work on the campaign; and
    how long the burst check (which reads every response) took."""
    token = login(ids["year"])
    campaign = ids["campaign"]
    cookie = console_cookie(f"bench{ids['year']}")
    link = ids["links"][0]["id"]
    questionnaire = ids["questionnaire"]["id"]
    for unit in ids["links"]:
        api("POST", f"/api/v1/campaigns/{campaign}/units", token, {"unit_id": unit["unit_id"], "role": "district_key"})
    for phase in ["rectification", "assessment"]:
        api("POST", f"/api/v1/campaigns/{campaign}/phase", token, {"phase": phase})
    session = api("POST", f"/api/v1/campaigns/{campaign}/conference/sessions", token, {"mode": "overall"})["id"]
    result = api("POST", f"/api/v1/campaigns/{campaign}/results", token, {})["id"]
    started = time.monotonic()
    console_post(cookie, f"/console/campaigns/{campaign}/integrity/check")
    check_seconds = time.monotonic() - started
    print(f"  burst check: {check_seconds:.1f} s", flush=True)
    paths = [
        ("campaigns", "/console/"),
        ("dashboard (live samples of every unit)", f"/console/campaigns/{campaign}"),
        ("units register (tree)", "/console/units"),
        ("scoring settings", f"/console/campaigns/{campaign}/settings"),
        ("units evaluated", f"/console/campaigns/{campaign}/members"),
        ("questionnaires", f"/console/campaigns/{campaign}/questionnaires"),
        ("questionnaire preview", f"/console/questionnaires/{questionnaire}/preview"),
        ("links and posters (every link)", f"/console/campaigns/{campaign}/links"),
        ("a link's settings", f"/console/links/{link}"),
        ("conference", f"/console/campaigns/{campaign}/conference"),
        ("a scoring session", f"/console/conference/{session}"),
        ("supervision and violations", f"/console/campaigns/{campaign}/supervision"),
        ("bursts to review (after a check)", f"/console/campaigns/{campaign}/integrity"),
        ("rectification board", f"/console/campaigns/{campaign}/rectification"),
        ("result versions", f"/console/campaigns/{campaign}/results"),
        ("a result's review", f"/console/results/{result}"),
        ("accounts", "/console/accounts"),
        ("API clients", "/console/clients"),
        ("audit log", "/console/audit"),
    ]
    rows = []
    for name, path in paths:
        env = {"BENCH_PATH": path, "BENCH_COOKIE": cookie, "BENCH_ENCODING": "gzip, deflate, br"}
        wrk("read.lua", 4, 2, env)
        row = {"name": name, **wrk("read.lua", 4, seconds, env)}
        rows.append(row)
        print(f"  {name}: p95 {row['p95_us'] / 1000:.1f} ms, {row['errors']} errors", flush=True)
    return rows, check_seconds


def console_table(units: int, responses: int, rows: list[dict], check_seconds: float) -> str:
    lines = [
        f"### Console pages (PostgreSQL, {units} units, {responses:,} responses, 4 connections)",
        "",
        "| page | reads/s | p50 / p95 / p99 (ms) | errors |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['rps']:,.0f} | {r['p50_us'] / 1000:.1f} / {r['p95_us'] / 1000:.1f} / "
            f"{r['p99_us'] / 1000:.1f} | {r['errors']} |"
        )
    lines += ["", f"The burst check (one request, reading every response, before the runs) took {check_seconds:.1f} s."]
    return "\n".join(lines)


def page_views_table(title: str, clients: int, rows: list[dict]) -> str:
    health = rows[0]["rps"]
    lines = [
        f"### {title} ({clients} clients)",
        "",
        "| what | reads/s | share of `/healthz` | p50 / p99 (ms) | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['rps']:,.0f} | {r['rps'] / health:.2f} | "
            f"{r['p50_us'] / 1000:.2f} / {r['p99_us'] / 1000:.2f} | {r['errors']} |"
        )
    return "\n".join(lines)


def reports_table(rows: list[dict]) -> str:
    lines = [
        "### Reports (PostgreSQL, 4 concurrent readers)",
        "",
        "| responses (× 8 answers) | per unit p50 / p99 (ms) | per unit × dimension p50 / p99 (ms) | "
        f"per unit × dimension while {LIVE_RATE} responses/s arrive, p50 / p99 (ms) | reads/s (per unit) | errors | "
        "GROUP BY over the answers (ms) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        u, d, live = r["units"], r["dimensions"], r["live"]
        lines.append(
            f"| {r['responses']:,} | {u['p50_us'] / 1000:.2f} / {u['p99_us'] / 1000:.2f} | "
            f"{d['p50_us'] / 1000:.2f} / {d['p99_us'] / 1000:.2f} | {live['p50_us'] / 1000:.2f} / {live['p99_us'] / 1000:.2f} | "
            f"{u['rps']:.0f} | {u['errors'] + d['errors'] + live['errors']} | {r['group_by_ms']:.0f} |"
        )
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    global UNITS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="server URL without database")
    parser.add_argument("--seconds", type=int, default=15, help="length of each measured run")
    parser.add_argument("--clients", default="8,32,64")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of limit and service per client count")
    parser.add_argument("--sizes", default="100000,1000000,5000000", help="responses for the report runs")
    parser.add_argument("--quick", action="store_true", help="5-second runs and 100k responses")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--skip-reports", action="store_true", help="ingestion only")
    parser.add_argument("--databases", default="postgres,sqlite", help="which of postgres and sqlite to run")
    parser.add_argument("--out", type=Path, help="also write the tables to this file")
    parser.add_argument("--units", type=int, default=UNITS, help="units in each campaign, one web link each")
    parser.add_argument("--pages", action="store_true", help="instead of the rounds: page views beside /healthz")
    parser.add_argument("--console", action="store_true",
                        help="instead of the rounds: the console's pages at 300 units (unless --units) and 5M responses")
    parser.add_argument("--soak", type=int, default=0, metavar="SECONDS",
                        help="instead of the rounds: one run this long at the largest client count, "
                             "memory sampled every 15 s, then the bytes stored per response")
    args = parser.parse_args()
    if args.console:
        args.databases = "postgres"
        if args.units == UNITS:
            args.units = 300
    UNITS = args.units
    if args.quick:
        args.seconds, args.sizes, args.rounds = 5, "100000", 1
    args.clients = [int(c) for c in args.clients.split(",")]
    args.sizes = [int(s) for s in args.sizes.split(",")]
    require("wrk", "pgbench", "psql")
    if not args.skip_build:
        subprocess.run(["cargo", "build", "--release", "-p", "pingyi-api"], cwd=ROOT, check=True)

    sections = []

    def done(section: str) -> None:
        sections.append(section)
        print("\n" + section + "\n", flush=True)

    with tempfile.TemporaryDirectory(prefix="pingyi-bench-") as tmp:
        workdir = Path(tmp)
        common = {"PINGYI_TRUSTED_PROXIES": "127.0.0.1/32", "PINGYI_JWT_SECRET": "b" * 48}
        if "postgres" in args.databases:
            postgres_runs(args, common, workdir, done)
        if "sqlite" in args.databases:
            sqlite_runs(args, common, workdir, done)

    report = "\n\n".join(sections)
    if args.out:
        args.out.write_text(report + "\n")


def postgres_runs(args, common: dict, workdir: Path, done) -> None:
    run(["psql", "-X", "-q", f"{args.pg}/postgres", "-c", f"DROP DATABASE IF EXISTS {DATABASE}"])
    run(["psql", "-X", "-q", f"{args.pg}/postgres", "-c", f"CREATE DATABASE {DATABASE}"])
    print(f"PostgreSQL: {'soak' if args.soak else 'ingestion'}", flush=True)
    service = Service(
        {**common, "DATABASE_URL": f"{args.pg}/{DATABASE}", "PINGYI_DATA_DIR": str(workdir / "pg")},
        workdir / "service-postgres.log",
    )
    service.cli("migrate")
    psql(args.pg, "CREATE TABLE limit_responses (LIKE responses INCLUDING ALL);")
    service.start()
    try:
        ids = seed(service, 2026)
        if args.console:
            load(args.pg, ids, max(args.sizes))
            rows, check_seconds = console_pages(ids, min(args.seconds, 10))
            done(console_table(UNITS, max(args.sizes), rows, check_seconds))
            return
        if args.pages:
            done(page_views_table("Page views, PostgreSQL", max(args.clients), page_views(ids, max(args.clients), args.seconds)))
            return
        if args.soak:
            sql = "SELECT pg_total_relation_size('responses'), COUNT(*) FROM responses;"
            storage = lambda: map(int, psql(args.pg, sql).split("|"))  # noqa: E731
            done(soak_section("Soak, PostgreSQL", service, ids, max(args.clients), args.soak, storage))
            return
        limit = lambda count: pgbench_limit(args.pg, ids, count, args.seconds, workdir)  # noqa: E731
        rows = ingestion(service, ids, args.clients, args.seconds, args.rounds, limit, args.pg)
        done(ingestion_table("Ingestion, PostgreSQL", rows) + "\n\n" + rounds_table("Ingestion, PostgreSQL", rows))
        if not args.skip_reports:
            print("PostgreSQL: reports", flush=True)
            done(reports_table(reports(args.pg, seed(service, 2027), args.sizes, min(args.seconds, 10))))
    finally:
        service.stop()


def sqlite_runs(args, common: dict, workdir: Path, done) -> None:
    print(f"SQLite: {'soak' if args.soak else 'ingestion'}", flush=True)
    service = Service({**common, "PINGYI_DATA_DIR": str(workdir / "sqlite")}, workdir / "service-sqlite.log")
    service.start()
    try:
        ids = seed(service, 2026)
        if args.pages:
            done(page_views_table("Page views, SQLite", max(args.clients), page_views(ids, max(args.clients), args.seconds)))
            return
        if args.soak:
            storage = lambda: sqlite_storage(workdir / "sqlite" / "pingyi.db")  # noqa: E731
            done(soak_section("Soak, SQLite", service, ids, max(args.clients), args.soak, storage))
            return
        # SQLite has one writer: its limit does not depend on the client count, but is taken
        # again each round like PostgreSQL's, so that every ratio compares figures from the same minute.
        limit = lambda count: sqlite_limit(args.seconds, workdir)  # noqa: E731
        rows = ingestion(service, ids, args.clients, args.seconds, args.rounds, limit, None)
        done(ingestion_table("Ingestion, SQLite (the default)", rows) + "\n\n" + rounds_table("Ingestion, SQLite", rows))
    finally:
        service.stop()


if __name__ == "__main__":
    main()
