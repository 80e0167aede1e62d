#!/usr/bin/env python3
"""Pages of write-ahead log, and time, per batch of responses on SQLite, for the `responses`
table's index layouts before migration 10, since it, since migration 13 (the submission id
without an index of its own), since migration 14 (no (link, hour) index on SQLite), and with
strictly increasing response ids (what the primary key's random placement costs; the service
cannot have them, see docs/operations.md).

    python3 bench/sqlite_pages.py              # 200,000 rows loaded, then 600 batches of 32
    python3 bench/sqlite_pages.py 1000000 300

Mimics the service's writer without the service: the same columns and indexes, WAL mode with
synchronous=FULL, batches of 32 responses (one of 20 links and units each, eight answers
packed) and the batch's pending record, each batch one transaction. The log is never copied
back during the run, so its growth is what the batches wrote. Only the layouts differ between
the lines it prints; run it a few times, as the time per batch moves with the machine.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

BY_UNIT = "CREATE INDEX by_campaign ON responses (campaign_id, unit_id)"
BY_HOUR = "CREATE INDEX by_campaign ON responses (campaign_id, submitted_hour)"
# Each layout: the index by campaign, whether the submission id has a unique index, whether
# responses are indexed by (link, hour) (what the daily cap counted through until migration
# 14; PostgreSQL keeps it), and whether response ids increase (each batch's entries together
# at the end of the primary key's index) rather than land at random places.
LAYOUTS = {
    "(campaign, unit), before migration 10": (BY_UNIT, True, True, False),
    "(campaign, hour), since migration 10": (BY_HOUR, True, True, False),
    "no submission id index, migration 13": (BY_HOUR, False, True, False),
    "no (link, hour) index either, since migration 14": (BY_HOUR, False, False, False),
    "and strictly increasing response ids (not buildable)": (BY_HOUR, False, False, True),
}
UNITS = 20
BATCH = 32
PAGE_SIZE = 4096
WAL_FRAME = PAGE_SIZE + 24
ANSWERS = json.dumps(
    [{"question_key": f"q{i}", "dimension": "service", "option_key": "satisfied", "weight": 0.8, "text": None} for i in range(8)]
)


def create(path: Path, by_campaign: str, unique_submissions: bool, by_link: bool) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute(
        f"CREATE TABLE responses (id TEXT PRIMARY KEY, submission_id TEXT {'UNIQUE' if unique_submissions else ''} NOT NULL, "
        "body_hash TEXT NOT NULL, "
        "link_id TEXT NOT NULL, questionnaire_id TEXT NOT NULL, campaign_id TEXT NOT NULL, unit_id TEXT NOT NULL, "
        "channel TEXT NOT NULL, submitted_hour TEXT NOT NULL, excluded INTEGER NOT NULL, answers TEXT NOT NULL)"
    )
    db.execute(by_campaign)
    if by_link:
        db.execute("CREATE INDEX by_link ON responses (link_id, submitted_hour)")
    db.execute("CREATE TABLE pending (id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, response_ids TEXT NOT NULL)")
    db.execute("CREATE INDEX pending_by_campaign ON pending (campaign_id)")
    return db


class Responses:
    def __init__(self, ids_in_order: bool) -> None:
        self.campaign, self.questionnaire = str(uuid.uuid4()), str(uuid.uuid4())
        self.places = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(UNITS)]
        self.ids_in_order = ids_in_order
        self.made = 0

    def next_id(self) -> str:
        """A random id, or one whose leading half counts up (the rest random)."""
        self.made += 1
        if not self.ids_in_order:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=(self.made << 64) | random.getrandbits(64)))

    def rows(self, count: int, hour: str) -> list[tuple]:
        rows = []
        for _ in range(count):
            link, unit = random.choice(self.places)
            rows.append((self.next_id(), str(uuid.uuid4()), "0" * 64, link, self.questionnaire, self.campaign,
                         unit, "web", hour, 0, ANSWERS))
        return rows


def measure(path: Path, layout: tuple[str, bool, bool, bool], loaded: int, batches: int) -> tuple[float, float]:
    """Log pages and milliseconds per batch."""
    by_campaign, unique_submissions, by_link, ids_in_order = layout
    db = create(path, by_campaign, unique_submissions, by_link)
    responses = Responses(ids_in_order)
    insert = "INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    db.execute("BEGIN")
    for start in range(0, loaded, 10_000):
        db.executemany(insert, responses.rows(min(10_000, loaded - start), "2026-11-28 09:00:00+00:00"))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = Path(f"{path}-wal")
    before, started = wal.stat().st_size, time.monotonic()
    for _ in range(batches):
        batch = responses.rows(BATCH, "2026-11-28 10:00:00+00:00")
        db.execute("BEGIN")
        db.executemany(insert, batch)
        db.execute("INSERT INTO pending VALUES (?, ?, ?)", (str(uuid.uuid4()), responses.campaign, json.dumps([r[0] for r in batch])))
        db.execute("COMMIT")
    elapsed = time.monotonic() - started
    pages = (wal.stat().st_size - before) / WAL_FRAME
    db.close()
    return pages / batches, 1000 * elapsed / batches


def main() -> None:
    loaded = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    with tempfile.TemporaryDirectory(prefix="pingyi-pages-") as tmp:
        for number, (name, layout) in enumerate(LAYOUTS.items()):
            pages, ms = measure(Path(tmp) / f"layout{number}.db", layout, loaded, batches)
            print(f"{name}: {pages:.0f} pages of log per batch of {BATCH} ({pages / BATCH:.1f} per response), "
                  f"{ms:.2f} ms per batch", flush=True)


if __name__ == "__main__":
    main()
