#!/usr/bin/env python3
"""How fast, and how evenly, this machine's disk makes a small write durable: appends 4 KiB
and calls fdatasync, over and over, for the given seconds (60 by default), in the current
directory, and prints how many it made, their p50, p99 and longest, and how many took over
50, 100 and 250 ms.

    python3 bench/fsync_probe.py          # run it with nothing else running
    python3 bench/fsync_probe.py 120

Every SQLite commit of the service ends with such a sync (WAL, synchronous=FULL), one batch of
responses at a time, so a sync that takes 200 ms holds every citizen in flight for as long:
the probe tells a disk that stalls now and then (the machine's tail) from the service's own.
"""

import os
import sys
import time

BLOCK = 4096
# The file starts over now and then, so that the probe does not fill the disk.
SYNCS_PER_FILE = 20_000


def probe(seconds: float, path: str) -> list[float]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    block = os.urandom(BLOCK)
    took = []
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.monotonic()
            os.write(fd, block)
            os.fdatasync(fd)
            took.append(time.monotonic() - started)
            if len(took) % SYNCS_PER_FILE == 0:
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
    finally:
        os.close(fd)
        os.unlink(path)
    return sorted(took)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    took = probe(seconds, f"fsync-probe-{os.getpid()}.bin")
    ms = lambda value: f"{value * 1000:.2f}"  # noqa: E731
    over = lambda limit: sum(t > limit for t in took)  # noqa: E731
    print(
        f"{len(took)} syncs in {seconds:.0f} s ({len(took) / seconds:.0f}/s): p50 {ms(took[len(took) // 2])} ms, "
        f"p99 {ms(took[int(len(took) * 0.99)])} ms, longest {ms(took[-1])} ms; "
        f"over 50 ms {over(0.05)}, over 100 ms {over(0.1)}, over 250 ms {over(0.25)}"
    )


if __name__ == "__main__":
    main()
