"""The write-behind's side of Redis: pending deltas moved aside as snapshots,
the epoch marker, and giving an article its durable past back after a loss."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .counters import ArticleRef
from .keys import (
    COUNTER_FIELDS,
    PREFIX,
    counts_key,
    epoch_key,
    flushes_key,
    pending_key,
    pending_readers_key,
    readers_key,
    snapshot_keys,
)
from .scripts import scripts


@dataclass
class Snapshot:
    """Deltas and reader choices moved aside by one flush."""

    id: str
    deltas: dict[tuple[int, int, str], int]  # (article id, day, metric) -> delta
    readers: dict[tuple[int, str], tuple[str, float] | None]  # None: reaction removed


def has_epoch(client: Any) -> bool:
    return bool(client.exists(epoch_key()))


def set_epoch(client: Any, value: str) -> None:
    client.set(epoch_key(), value)


def take_snapshot(client: Any, flush_id: str) -> int:
    """Rename pending to a snapshot: 1 moved, 0 nothing pending, -1 no epoch."""
    return int(
        scripts(client).snapshot(
            keys=[pending_key(), pending_readers_key(), flushes_key(), epoch_key()],
            args=[flush_id],
        )
    )


def open_snapshots(client: Any) -> list[str]:
    return sorted(client.smembers(flushes_key()))


def _parse_deltas(raw: Mapping[str, str]) -> dict[tuple[int, int, str], int]:
    deltas: dict[tuple[int, int, str], int] = {}
    for field, value in raw.items():
        article, day, metric = field.split(":")
        if int(value):
            deltas[(int(article), int(day), metric)] = int(value)
    return deltas


def _parse_readers(raw: Mapping[str, str]) -> dict[tuple[int, str], tuple[str, float] | None]:
    readers: dict[tuple[int, str], tuple[str, float] | None] = {}
    for field, value in raw.items():
        article, reader = field.split(":", 1)
        if value == "-":
            readers[(int(article), reader)] = None
        else:
            mood, ts = value.split("|")[:2]
            readers[(int(article), reader)] = (mood, float(ts))
    return readers


def read_snapshot(client: Any, flush_id: str) -> Snapshot:
    deltas_key, readers_key_ = snapshot_keys(flush_id)
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(deltas_key)
    pipe.hgetall(readers_key_)
    deltas, readers = pipe.execute()
    return Snapshot(flush_id, _parse_deltas(deltas), _parse_readers(readers))


def drop_snapshot(client: Any, flush_id: str) -> None:
    pipe = client.pipeline(transaction=False)
    for key in snapshot_keys(flush_id):  # one key per DEL: cluster pipelines want that
        pipe.delete(key)
    pipe.srem(flushes_key(), flush_id)
    pipe.execute()


def restore_article(
    client: Any,
    ref: ArticleRef,
    totals: Mapping[str, int],
    daily: Sequence[tuple[int, str, int]],
    readers: Sequence[tuple[str, str, float]],
    now: float,
    chunk: int = 500,
) -> None:
    """Give one article its durable past back (see the two restore scripts)."""
    s = scripts(client)
    scopes = ",".join(ref.scopes)
    args: list[Any] = [PREFIX, ref.id, scopes, ref.pub_fraction, now]
    for field in COUNTER_FIELDS:
        args += [field, int(totals.get(field, 0))]
    args.append("--")
    for day, metric, value in daily:
        args += [day, metric, value]
    s.restore_counts.run(counts_key(ref.id), args, lambda done: args if done else None)
    head: list[Any] = [PREFIX, ref.id, scopes, ref.pub_fraction, now]
    for start in range(0, len(readers), chunk):
        part = list(head)
        for reader, mood, ts in readers[start : start + chunk]:
            part += [reader, mood, repr(ts)]
        s.restore_readers.run(
            readers_key(ref.id), part, lambda reply: [*head, *reply[1]] if reply[1] else None
        )
