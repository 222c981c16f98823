"""The real app plus two bench-only routes: a hello-world ceiling and a counter
of Redis round trips (every command or pipeline written to a socket is one)."""

from __future__ import annotations

import itertools

from redis.connection import AbstractConnection

from engagement import create_app

_sent = itertools.count()
_original_send = AbstractConnection.send_packed_command


def _counting_send(self, command, check_health=True):  # type: ignore[no-untyped-def]
    next(_sent)
    return _original_send(self, command, check_health)


AbstractConnection.send_packed_command = _counting_send  # type: ignore[method-assign]

app = create_app()


@app.get("/bench/hello")
def hello() -> str:
    return "hello"


@app.get("/bench/ping")
def ping() -> str:
    """Hello plus one Redis round trip: what a round trip alone costs here."""
    from engagement.extensions import redis_store

    redis_store.client.ping()
    return "pong"


@app.get("/bench/roundtrips")
def roundtrips() -> dict[str, int]:
    # Reading the counter costs one step of it; the caller subtracts that.
    return {"sent": next(_sent)}
