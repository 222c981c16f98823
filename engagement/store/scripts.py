"""The Lua scripts: read from ``lua/*.lua`` once, registered per client, run by SHA.

Each script starts with a preamble written here from ``keys.py`` (grains,
lifetimes, day and hour), so a size or TTL is defined once, in Python. An
operation that touches an article's keys and ranking keys is written as two
Lua functions in one file, its article half and its rankings half (sections
marked ``-- :: name``). On one server both run in one script: atomic, one
round trip. On Redis Cluster a script may touch one slot only, so each half
runs as its own script on its own slot: the article half first, then the
rankings half with what the first returned (two round trips; a crash between
them can leave an article's own count one ahead of its ranking buckets). A
view's halves need nothing from each other and go at once (``run_apart``).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from redis.exceptions import (
    AskError,
    ClusterDownError,
    MovedError,
    NoScriptError,
    RedisError,
    TryAgainError,
)

from . import keys
from .redis_client import lane

LUA = Path(__file__).with_name("lua")
SECTIONS = ("article", "rank", "whole", "article_only", "rank_only")


def preamble() -> str:
    """Lua locals for the constants the scripts share with Python."""

    def table(grains: Sequence[keys.Grain]) -> str:
        return ", ".join(f"{{'{g.name}', {g.seconds}, {g.keep}}}" for g in grains)

    windows = ", ".join(
        f"{g.name} = {{"
        + ", ".join(
            f"{{'{w.name}', {w.count}, {w.half_life}}}" for w in keys.WINDOWS if w.grain == g.name
        )
        + "}"
        for g in keys.GRAINS
    )
    by_name = ", ".join(f"{g.name} = {{'{g.name}', {g.seconds}, {g.keep}}}" for g in keys.GRAINS)
    lines = [
        f"local GRAINS = {{{table(keys.GRAINS)}}}",
        f"local ATTENTION_GRAINS = {{{table(keys.ATTENTION_GRAINS)}}}",
        f"local GRAIN = {{{by_name}}}",
        f"local DAY, HOUR, MINUTE = {keys.DAY}, {keys.HOUR}, {keys.MINUTE}",
        *(f"local {name} = {value}" for name, value in keys.LIFETIMES.items()),
        f"local WINDOWS = {{{windows}}}",
        f"local WINDOWED = {{{', '.join(f'{m} = true' for m in keys.METRICS)}}}",
        f"local HOT_WEIGHT = {{{', '.join(f'{m} = {w}' for m, w in keys.HOT_WEIGHTS.items())}}}",
        f"local HOT_SCALE, RESCALE_AT = {keys.HOT_SCALE}, {keys.RESCALE_AT}",
    ]
    return "\n".join(lines) + "\n"


@functools.cache
def source(name: str) -> str:
    return (LUA / f"{name}.lua").read_text(encoding="utf-8")


@functools.cache
def sections(name: str) -> dict[str, str]:
    """The ``-- :: section`` parts of an operation's file."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in source(name).splitlines(keepends=True):
        if line.startswith("-- :: "):
            current = found.setdefault(line[6:].strip(), [])
        elif current is not None:
            current.append(line)
    missing = set(SECTIONS) - set(found)
    if missing:
        raise ValueError(f"lua/{name}.lua lacks the sections {sorted(missing)}")
    return {k: "".join(v) for k, v in found.items()}


def library() -> str:
    """What every script starts with: the constants, lib.lua and windows.lua."""
    return preamble() + source("lib") + source("windows")


def halves(name: str, whole_lib: Sequence[str] = ()) -> tuple[str, str, str]:
    """The one-server script, the cluster article script and the cluster rankings script."""
    part = sections(name)
    lib = library()
    extra = "".join(source(n) for n in whole_lib)
    return (
        lib + extra + part["article"] + part["rank"] + part["whole"],
        lib + part["article"] + part["article_only"],
        lib + extra + part["rank"] + part["rank_only"],
    )


def is_cluster(client: Any) -> bool:
    from redis.cluster import RedisCluster

    return isinstance(client, RedisCluster)


class Split:
    """One operation's scripts; ``run`` picks one trip or two by deployment.

    ``rank_args`` turns the article half's reply into the ARGV of the rankings
    half, or None when the rankings half has nothing to do.
    """

    def __init__(self, client: Any, name: str, whole_lib: Sequence[str] = ()) -> None:
        whole, article, rank = halves(name, whole_lib)
        self.cluster = is_cluster(client)
        self.lane = lane(client)
        self.whole = client.register_script(whole)
        self.article = client.register_script(article)
        self.rank = client.register_script(rank)

    def run(
        self,
        article_key: str,
        args: Sequence[Any],
        rank_args: Callable[[Any], Sequence[Any] | None],
        pipe: Any = None,
        extra_keys: Sequence[str] = (),
    ) -> Any:
        """The reply of the article half (the whole script's, on one server).

        ``extra_keys`` follow the article's key in the one-server script's KEYS.
        """
        if not self.cluster:
            all_keys = [article_key, *extra_keys]
            if pipe is None and self.lane is not None:
                return self.lane.run_script(self.whole, all_keys, args)
            return self.whole(keys=all_keys, args=args, client=pipe)
        assert not extra_keys, "a cluster script cannot reach keys of other slots"
        # Scripts cannot be queued on a cluster pipeline: both halves run now.
        reply = self.article(keys=[article_key], args=args)
        rank = rank_args(reply)
        if rank is not None:
            self.rank(keys=[keys.pub_key()], args=rank)
        return reply

    def run_apart(
        self,
        client: Any,
        article_key: str,
        article_args: Sequence[Any],
        rank_keys: Sequence[str],
        rank_args: Sequence[Any],
    ) -> tuple[Any, Any]:
        """Cluster: both halves sent at once, each to its node, then both replies
        read: one round trip's wait instead of two in sequence. A half the node
        does not take as it is (a script it lost, a slot that moved) runs again
        through the client's own routing."""
        halves = [
            (self.article, [article_key], article_args),
            (self.rank, list(rank_keys), rank_args),
        ]
        routes = [
            lane(client.get_redis_connection(client.get_node_from_key(keys_[0])))
            for _, keys_, _ in halves
        ]
        if routes[0] is routes[1] or None in routes:  # one node: one after the other
            return self.article(keys=[article_key], args=article_args), self.rank(
                keys=list(rank_keys), args=rank_args
            )
        sent = []
        for (script, script_keys, args), route in zip(halves, routes, strict=True):
            assert route is not None
            try:
                conn = route.send("EVALSHA", script.sha, len(script_keys), *script_keys, *args)
            except RedisError:
                conn = None
            sent.append(conn)
        replies = []
        for (script, script_keys, args), conn in zip(halves, sent, strict=True):
            reply: Any = None
            try:
                reply = conn.read_response() if conn is not None else None
            except (NoScriptError, MovedError, AskError, TryAgainError, ClusterDownError):
                conn = None  # nothing ran there
            if conn is None:
                reply = script(keys=script_keys, args=args)
            replies.append(reply)
        return replies[0], replies[1]


class Ranked:
    """A script whose keys all carry the rankings tag: one slot, one trip, anywhere."""

    def __init__(self, client: Any, name: str) -> None:
        self.lane = lane(client)
        self.cluster = is_cluster(client)
        self.script = client.register_script(library() + source(name))

    def __call__(self, args: Sequence[Any], pipe: Any = None) -> Any:
        route = [keys.pub_key()]
        if pipe is None and self.lane is not None:
            return self.lane.run_script(self.script, route, args)
        # A cluster pipeline cannot queue scripts: run it now there.
        return self.script(keys=route, args=args, client=None if self.cluster else pipe)


class Scripts:
    """The registered scripts of one Redis client (EVALSHA with EVAL fallback)."""

    def __init__(self, client: Any) -> None:
        self.view = Split(client, "view", whole_lib=("limit",))
        self.react = Split(client, "react", whole_lib=("limit",))
        self.restore_counts = Split(client, "restore_counts")
        self.restore_readers = Split(client, "restore_readers")
        self.reset = Split(client, "reset")
        self.snapshot = client.register_script(source("snapshot"))
        self.limit = client.register_script(source("limit") + "return {limited(1, ARGV[1])}")
        self.upkeep = Ranked(client, "upkeep")
        self.read_window = Ranked(client, "read_window")
        self.ping = Ranked(client, "ping")
        self.suspect = Ranked(client, "suspect")
        self.discount = Split(client, "discount")


_scripts: weakref.WeakKeyDictionary[Any, Scripts] = weakref.WeakKeyDictionary()


def scripts(client: Any) -> Scripts:
    found = _scripts.get(client)
    if found is None:
        found = _scripts[client] = Scripts(client)
    return found
