"""Functions the RQ worker runs: the result goes to PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import os
import time

import psycopg


def add(job_id: str, a: int, b: int, seconds: float = 0) -> int:
    """a + b, after `seconds` (a job still running when the worker is told to stop)."""
    time.sleep(seconds)
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        conn.execute("INSERT INTO results (job_id, value, release, worker) VALUES (%s, %s, %s, %s)",
                     (job_id, a + b, os.environ.get("RELEASE_ID", ""),
                      f"{os.environ.get('PROCESS_TYPE', '?')}.{os.environ.get('PROCESS_INDEX', '?')}"))
    return a + b
