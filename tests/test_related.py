"""相关文章: content suggestions, stored on import, served in one query."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from engagement.extensions import db
from engagement.models import Article, ArticleTerms, RelatedArticle
from engagement.related.model import Model
from engagement.related.store import model_path
from engagement.related.text import article_terms, terms

STORIES = [
    (
        "nba-1",
        "湖人队击败凯尔特人",
        "湖人队在主场以108比99击败凯尔特人，詹姆斯拿下30分和10个篮板。球队取得三连胜。",
        "体育",
    ),
    (
        "nba-2",
        "勇士队库里三分球创纪录",
        "勇士队库里本场命中十记三分球，帮助球队击败火箭队，篮板和助攻数据出色。",
        "体育",
    ),
    (
        "nba-3",
        "凯尔特人主帅谈季后赛",
        "凯尔特人主教练表示球队季后赛目标明确，球员伤病恢复良好，篮球训练照常进行。",
        "体育",
    ),
    (
        "house-1",
        "北京二手房成交量回升",
        "北京二手房成交量本月回升，房价整体平稳，购房者入市意愿增强，房贷利率下调。",
        "房产",
    ),
    (
        "house-2",
        "上海新房供应增加",
        "上海新房供应量增加，开发商推盘积极，房价走势平稳，购房者选择更多，房贷政策放宽。",
        "房产",
    ),
    (
        "house-3",
        "房贷利率再次下调",
        "多家银行宣布房贷利率下调，购房者月供减少，二手房和新房市场成交有望回暖。",
        "房产",
    ),
    (
        "en-chip-1",
        "Chipmaker reports record quarterly revenue",
        "The chipmaker said demand for processors and graphics chips from data centers "
        "drove record revenue.",
        "Tech",
    ),
    (
        "en-chip-2",
        "New graphics processors announced",
        "A new line of graphics processors and data center chips was announced, "
        "promising faster AI training.",
        "Tech",
    ),
    (
        "en-food-1",
        "Winter soup recipes",
        "Warm winter soup recipes with carrots, potatoes and onions simmered slowly for hours.",
        "Food",
    ),
    (
        "en-food-2",
        "Slow cooker stews for cold nights",
        "Slow cooker stews with potatoes, carrots and beef make cold winter nights easier.",
        "Food",
    ),
]


def write(tmp_path: Path, stories: list[tuple[str, str, str, str]], name: str = "s.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(
        "\n".join(
            json.dumps(
                {
                    "slug": s,
                    "title": t,
                    "body": b,
                    "category": "新闻",
                    "published_at": f"2026-11-{10 + i:02d}T08:00:00+08:00",
                },
                ensure_ascii=False,
            )
            for i, (s, t, b, _) in enumerate(stories)
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def corpus(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> Flask:
    result = runner.invoke(args=["import-articles", str(write(tmp_path, STORIES))])
    assert result.exit_code == 0, result.output
    return app


def related(app: Flask, slug: str, limit: int = 2) -> list[str]:
    response = app.test_client().get(f"/api/v1/articles/{slug}/related?limit={limit}")
    assert response.status_code == 200, response.json
    return [item["slug"] for item in response.json["items"]]


def test_segmentation_understands_chinese_and_english() -> None:
    assert terms("湖人队击败凯尔特人") == ["湖人队", "击败", "凯尔特人"]
    assert "的" not in terms("球队的胜利")
    assert terms("The processors and chips") == ["processor", "chip"]
    counts = article_terms("房贷利率", "房贷利率下调")
    assert counts["房贷利率"] > counts["下调"], "title terms weigh more"


def test_english_terms_are_stemmed_and_keep_acronyms() -> None:
    assert terms("Running runners ran") == ["run", "runner", "ran"]
    assert terms("The UK's MPs and the EU") == ["uk", "mps", "eu"]
    assert terms("it is an ox") == [], "short lower-case words and stop words carry nothing"


@pytest.mark.parametrize(
    ("slug", "topic", "count"),
    [
        ("nba-1", "nba", 2),
        ("house-1", "house", 2),
        ("en-chip-1", "en-chip", 1),
        ("en-food-1", "en-food", 1),
    ],
)
def test_suggestions_follow_the_subject(corpus: Flask, slug: str, topic: str, count: int) -> None:
    found = related(corpus, slug, count)
    assert slug not in found
    assert all(s.startswith(topic) for s in found), found


def test_never_self_and_limit_honoured(corpus: Flask) -> None:
    for limit in (1, 5, 9, 20):
        found = related(corpus, "nba-2", limit)
        assert len(found) == min(limit, len(STORIES) - 1)
        assert "nba-2" not in found
        assert len(set(found)) == len(found)


def test_never_empty_while_other_articles_exist(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    unrelated = [("a", "甲", "完全不同的内容一", "x"), ("b", "乙", "毫无关系的文字二", "y")]
    assert runner.invoke(args=["import-articles", str(write(tmp_path, unrelated))]).exit_code == 0
    assert related(app, "a", 5) == ["b"]


def test_incremental_update_when_an_article_is_added(
    corpus: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    with corpus.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(RelatedArticle))
    new = [
        (
            "nba-4",
            "湖人队詹姆斯伤愈复出",
            "詹姆斯伤愈复出帮助湖人队击败凯尔特人，篮板和得分都很出色。",
            "体育",
        )
    ]
    result = runner.invoke(args=["import-articles", str(write(tmp_path, new, "new.jsonl"))])
    assert result.exit_code == 0
    assert "nba-4" in related(corpus, "nba-1", 3), "the new article reaches its neighbours' lists"
    assert all(s.startswith("nba") for s in related(corpus, "nba-4", 3))
    with corpus.app_context():
        after = db.session.scalar(sa.select(sa.func.count()).select_from(RelatedArticle))
    assert after > before


def test_the_saved_model_is_updated_and_never_trusted_when_it_does_not_match(
    corpus: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    with corpus.app_context():
        path = model_path()
        ids = {a.slug: a.id for a in db.session.scalars(sa.select(Article))}
    assert path.exists(), "the import kept the model for the next process"
    story = ("nba-5", "詹姆斯带领湖人队取胜", "湖人队詹姆斯篮板得分出色，击败凯尔特人。", "体育")
    assert runner.invoke(args=["import-articles", str(write(tmp_path, [story]))]).exit_code == 0
    assert all(s.startswith("nba") for s in related(corpus, "nba-5", 2))
    with corpus.app_context():
        assert set(Model.load(path).docs) == {*ids.values(), ids_of(["nba-5"])[0]}
    path.write_bytes(b"not a model")  # damaged: rebuilt from SQL
    story = ("house-4", "二手房成交回暖", "二手房成交回暖，购房者增多，房贷利率下调。", "房产")
    assert runner.invoke(args=["import-articles", str(write(tmp_path, [story]))]).exit_code == 0
    assert all(s.startswith("house") for s in related(corpus, "house-4", 2))
    with corpus.app_context():  # an article's terms gone behind its back: not trusted
        db.session.execute(sa.delete(ArticleTerms).where(ArticleTerms.article_id == ids["nba-3"]))
        db.session.commit()
    story = ("nba-6", "凯尔特人主场取胜", "凯尔特人主场击败湖人队，篮板球占优。", "体育")
    assert runner.invoke(args=["import-articles", str(write(tmp_path, [story]))]).exit_code == 0
    with corpus.app_context():
        assert ids["nba-3"] not in Model.load(path).docs


def ids_of(slugs: list[str]) -> list[int]:
    return list(db.session.scalars(sa.select(Article.id).where(Article.slug.in_(slugs))))


def test_rebuild_command(corpus: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["rebuild-related"])
    assert result.exit_code == 0, result.output
    assert "suggestions for 10 article(s)" in result.output


def test_api_errors_and_caching(corpus: Flask) -> None:
    client = corpus.test_client()
    for query in ("limit=0", "limit=21", "limit=x"):
        response = client.get(f"/api/v1/articles/nba-1/related?{query}")
        assert response.status_code == 400
        assert response.json["error"]["code"] == "invalid_limit"
    missing = client.get("/api/v1/articles/nope/related")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "article_not_found"
    first = client.get("/api/v1/articles/nba-1/related")
    assert first.json["article"] == "nba-1"
    assert set(first.json["items"][0]) == {"slug", "title", "url", "score"}
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(
        "/api/v1/articles/nba-1/related", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_article_page_shows_suggestions(corpus: Flask) -> None:
    html = corpus.test_client().get("/articles/house-1").get_data(as_text=True)
    section = html[html.index('id="related-title"') :]
    section = section[: section.index("</section>")]
    assert "/articles/house-2" in section or "/articles/house-3" in section
    assert "/articles/house-1" not in section


PAIR = ("nba-1", "en-food-1")


def test_readers_also_read_joins_the_suggestions(corpus: Flask) -> None:
    from tests.helpers import reader_client, view

    assert "en-food-1" not in related(corpus, "nba-1", 3)
    for i in range(30):
        reader = reader_client(corpus, address=f"198.51.100.{i}")
        assert view(reader, "nba-1").json["counted"] is True
        assert view(reader, "en-food-1").json["counted"] is True
    # The rest of the site's readers, who read other pairs: what "anyway" means.
    with corpus.app_context():
        others = [s for s in db.session.scalars(sa.select(Article.slug)) if s not in PAIR]
    for i in range(60):
        reader = reader_client(corpus, address=f"203.0.113.{i}")
        view(reader, others[i % len(others)])
        view(reader, others[(3 * i + 1) % len(others)])
    assert corpus.test_cli_runner().invoke(args=["flush-counters"]).exit_code == 0
    found = related(corpus, "nba-1", 3)
    assert "en-food-1" in found, "thirty readers of both make it a suggestion"
    assert "nba-1" in related(corpus, "en-food-1", 3)
    with corpus.app_context():
        sources = set(db.session.scalars(sa.select(RelatedArticle.source)))
    assert sources == {"content", "coview"}


def test_a_few_coreaders_are_not_enough(corpus: Flask) -> None:
    from tests.helpers import reader_client, view

    for i in range(3):
        reader = reader_client(corpus, address=f"198.51.100.{i}")
        view(reader, "nba-1")
        view(reader, "en-food-1")
    corpus.test_cli_runner().invoke(args=["flush-counters"])
    assert "en-food-1" not in related(corpus, "nba-1", 3)


def first_suggestions(app: Flask) -> dict[str, str]:
    client = app.test_client()
    with app.app_context():
        slugs = list(db.session.scalars(sa.select(Article.slug)))
    return {
        s: client.get(f"/api/v1/articles/{s}/related?limit=1").json["items"][0]["slug"]
        for s in slugs
    }


def test_after_demo_traffic_no_article_leads_a_third_of_the_suggestions(demo: Flask) -> None:
    """Co-reads that only reflect popularity must not turn 相关文章 into a
    popularity list (it did: one article was first under 13 of 14)."""
    runner = demo.test_cli_runner()
    assert runner.invoke(args=["simulate-traffic"]).exit_code == 0
    assert runner.invoke(args=["flush-counters"]).exit_code == 0
    first = first_suggestions(demo)
    leader, times = Counter(first.values()).most_common(1)[0]
    assert times <= len(first) / 3, (leader, times, first)


def test_popular_coreads_alone_are_not_readers_also_read(corpus: Flask) -> None:
    """Everyone reads the big story; that makes it no one's related article."""
    from tests.helpers import reader_client, view

    with corpus.app_context():
        slugs = [s for s in db.session.scalars(sa.select(Article.slug)) if s != "nba-1"]
    for i in range(200):
        reader = reader_client(corpus, address=f"10.{i // 250}.{i % 250}.1")
        view(reader, "nba-1")
        view(reader, slugs[i % len(slugs)])
    assert corpus.test_cli_runner().invoke(args=["flush-counters"]).exit_code == 0
    first = first_suggestions(corpus)
    assert sum(1 for s in first.values() if s == "nba-1") <= len(first) / 3
