"""The way WordPress-style counters work, for comparison only: every view is an
SQL UPDATE of the post's total plus an upsert into a per-day summary table, and
"most read in 24 hours" is an ORDER BY over that table. PostgreSQL, psycopg."""

from __future__ import annotations

import os

from flask import Flask
from psycopg_pool import ConnectionPool

app = Flask(__name__)
pool = ConnectionPool(os.environ["PEER_DATABASE_URL"], min_size=2, max_size=8, open=False)


@app.post("/view/<int:post_id>")
def view(post_id: int) -> tuple[str, int]:
    if pool.closed:
        pool.open()
    with pool.connection() as conn:
        conn.execute("UPDATE engagement_peer.posts SET views = views + 1 WHERE id = %s", (post_id,))
        conn.execute(
            "INSERT INTO engagement_peer.daily (post_id, day, views) "
            "VALUES (%s, current_date, 1) "
            "ON CONFLICT (post_id, day) DO UPDATE SET views = daily.views + 1",
            (post_id,),
        )
    return "", 202
