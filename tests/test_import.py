from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from engagement.extensions import db
from engagement.importer import body_to_html, sanitize_html
from engagement.models import Article, Category
from tests.conftest import CORPUS


def line(**fields: object) -> str:
    record = {
        "slug": "a-1",
        "title": "标题",
        "body": "第一段。\n\n第二段。",
        "category": "头条",
        "published_at": "2026-11-27T10:00:00+08:00",
    }
    record.update(fields)
    return json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False)


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def articles(app: Flask) -> dict[str, Article]:
    with app.app_context():
        return {a.slug: a for a in db.session.scalars(sa.select(Article))}


def test_good_lines_are_imported(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        line(
            slug="a-1",
            breadcrumb=["国家援疆"],
            tags=["援疆", "产业"],
            source="中国发展网",
            editor="高潮",
            author="记者",
            image_url="https://img.example/1.jpg",
        ),
        line(slug="a-2", category="教育", body="<p>HTML <strong>正文</strong></p>"),
    )
    result = runner.invoke(args=["import-articles", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 rejected" in result.output
    found = articles(app)
    assert found["a-1"].body_html == "<p>第一段。</p>\n<p>第二段。</p>"
    assert found["a-1"].tags == ["援疆", "产业"]
    assert found["a-1"].editor == "高潮"
    assert found["a-1"].published_at.isoformat() == "2026-11-27T02:00:00+00:00"
    assert found["a-2"].body_html == "<p>HTML <strong>正文</strong></p>"
    with app.app_context():
        head = db.session.scalar(sa.select(Category).where(Category.name == "头条"))
        assert [c.name for c in head.trail()] == ["国家援疆", "头条"]


def test_reimport_updates_by_slug(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    runner.invoke(args=["import-articles", str(write(tmp_path, line(title="旧标题")))])
    result = runner.invoke(args=["import-articles", str(write(tmp_path, line(title="新标题")))])
    assert "0 created, 1 updated" in result.output
    assert articles(app)["a-1"].title == "新标题"
    assert len(articles(app)) == 1


def test_bad_lines_reported_with_numbers_good_ones_kept(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        line(slug="ok-1"),
        "{not json",
        line(slug="bad slug!"),
        line(slug="no-title", title=None),
        line(slug="naive", published_at="2026-11-27T10:00:00"),
        line(slug="bad-date", published_at="yesterday"),
        json.dumps(["a", "list"]),
        line(slug="bad-tags", tags="one"),
        line(slug="js-image", image_url="javascript:alert(1)"),
        "",
        line(slug="ok-2"),
    )
    result = runner.invoke(args=["import-articles", str(path)])
    assert result.exit_code == 1
    assert "2 created, 0 updated, 8 rejected" in result.output
    for number, reason in [
        (2, "invalid JSON"),
        (3, "not URL-safe"),
        (4, "'title' is required"),
        (5, "UTC offset"),
        (6, "not ISO 8601"),
        (7, "JSON object"),
        (8, "list of strings"),
        (9, "image_url"),
    ]:
        assert f"in.jsonl:{number}: " in result.output
        assert reason in result.output
    assert set(articles(app)) == {"ok-1", "ok-2"}


@pytest.mark.parametrize(
    "payload",
    [
        '<p>hi</p><script>alert("x")</script>',
        '<p onclick="alert(1)" onmouseover="steal()">hi</p>',
        '<p><a href="javascript:alert(1)">hi</a></p>',
        '<p><img src="x" onerror="alert(1)">hi</p>',
        '<p>hi<iframe src="https://evil.example"></iframe></p>',
        '<p style="background:url(javascript:alert(1))">hi</p>',
    ],
)
def test_xss_is_stripped(payload: str) -> None:
    clean = sanitize_html(payload).lower()
    assert "<script" not in clean
    assert "alert" not in clean or "javascript" not in clean
    assert "javascript:" not in clean
    assert " on" not in clean.replace("noopener", "")
    assert "<iframe" not in clean
    assert "style=" not in clean
    assert "hi" in clean


def test_links_keep_safe_hrefs_and_get_rel() -> None:
    clean = sanitize_html('<a href="https://example.com/x">x</a>')
    assert 'href="https://example.com/x"' in clean
    assert 'rel="noopener noreferrer nofollow"' in clean


def test_plain_text_is_escaped_and_split() -> None:
    html = body_to_html("一 < 二\n换行\n\n\n下一段")
    assert html == "<p>一 &lt; 二<br>换行</p>\n<p>下一段</p>"


def test_xss_through_import_never_reaches_the_page(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        line(
            slug="x",
            title="<script>alert(1)</script>标题",
            body=(
                '<p onclick="x()">正文<script>alert(2)</script>'
                '<a href="javascript:alert(3)">链接</a></p>'
            ),
        ),
    )
    assert runner.invoke(args=["import-articles", str(path)]).exit_code == 0
    page = app.test_client().get("/articles/x").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)" in page
    assert "javascript:" not in page
    assert "onclick" not in page


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/data is not beside this checkout")
def test_corpus_imports_quickly(app: Flask, runner: FlaskCliRunner) -> None:
    started = time.perf_counter()
    result = runner.invoke(args=["import-articles", str(CORPUS)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output[-500:]
    assert "1000 created" in result.output
    print(f"imported 1000 articles in {elapsed:.2f}s")
    assert len(articles(app)) == 1000
