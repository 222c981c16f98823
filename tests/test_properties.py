"""Property tests: the import parser and reader identity under generated input."""

from __future__ import annotations

import json
import string

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engagement.importer import RecordError, body_to_html, parse_lines, parse_record
from engagement.ingest.readers import keyed_hash

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "slug",
    "title",
    "body",
    "category",
    "published_at",
    "tags",
    "breadcrumb",
    "source",
    "image_url",
    "summary",
]


@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=len(FIELDS)) | JSON)
def test_any_json_is_a_record_or_a_clear_error(data: object) -> None:
    try:
        record = parse_record(data)
    except RecordError as exc:
        assert str(exc)
    else:
        assert record.slug and record.title and record.body_html
        assert record.published_at.tzinfo is not None


@given(st.lists(st.text(max_size=300), max_size=20))
def test_every_line_gets_an_answer(lines: list[str]) -> None:
    answered = [n for n, _ in parse_lines(lines)]
    assert answered == [i + 1 for i, line in enumerate(lines) if line.strip()]


@given(st.text(max_size=2000))
def test_bodies_never_keep_scripts_or_handlers(body: str) -> None:
    html = body_to_html(body).lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert " onerror=" not in html and " onclick=" not in html


# Text SQL can store: no NUL and no unpaired surrogate (those lines are refused).
STORABLE = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")


@given(
    slug=st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=60),
    title=st.text(STORABLE, min_size=1, max_size=80).filter(str.strip),
    body=st.text(STORABLE, min_size=1, max_size=500).filter(str.strip),
)
def test_valid_records_keep_their_fields(slug: str, title: str, body: str) -> None:
    line = json.dumps(
        {
            "slug": "a" + slug,
            "title": title,
            "body": body,
            "category": "c",
            "published_at": "2026-11-28T08:00:00+08:00",
        }
    )
    [(number, record)] = list(parse_lines([line]))
    if isinstance(record, RecordError):
        assert "body" in str(record)  # only markup that sanitizes to nothing is refused
    else:
        assert record.slug == "a" + slug and record.title == title.strip()


UNSTORABLE = st.sampled_from(["\x00", "\ud800", "\udfff"])


@given(st.tuples(st.text(STORABLE, max_size=40), UNSTORABLE, st.text(max_size=40)).map("".join))
def test_unstorable_text_is_refused_by_name(title: str) -> None:
    line = json.dumps(
        {
            "slug": "a-1",
            "title": title,
            "body": "正文",
            "category": "c",
            "published_at": "2026-11-28T08:00:00+08:00",
        }
    )
    [(_, record)] = list(parse_lines([line]))
    assert isinstance(record, RecordError) and "'title'" in str(record)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(
    address=st.ip_addresses().map(str),
    agent=st.text(max_size=200),
    day=st.integers(min_value=0, max_value=30_000),
)
def test_reader_identity_is_keyed_rotating_and_opaque(
    app: Flask, address: str, agent: str, day: int
) -> None:
    with app.test_request_context():
        today = keyed_hash(address, agent, now=day * 86400.0 + 10)
        later_same_day = keyed_hash(address, agent, now=day * 86400.0 + 80_000)
        tomorrow = keyed_hash(address, agent, now=(day + 1) * 86400.0 + 10)
    assert today == later_same_day
    assert today != tomorrow
    assert len(today) == 32 and set(today) <= set("0123456789abcdef")
    assert address not in today
