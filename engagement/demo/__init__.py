"""The project's own demo content: articles, 特别关注 topics and the 魅力新疆 gallery."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from ..extensions import db
from ..models import Article, FeaturedLink, FeaturedTopic, GallerySlide

ARTICLES = Path(__file__).with_name("articles.jsonl")

TOPICS: dict[str, list[str]] = {
    "新疆新发展": [
        "kashi-orchard-cooperative",
        "aksu-solar-pumps",
        "border-trade-port",
        "cotton-harvest-machines",
    ],
    "兵团新发展": [
        "shache-vocational-school",
        "desert-weather-stations",
        "community-clinic-upgrade",
    ],
}

SLIDES = [
    (
        "哈萨克牧民：一场美丽而又艰辛的迁徙",
        "/static/img/gallery-migration.svg",
        "草原上，牧民赶着羊群沿山坡转场",
        "kanas-winter-tourism",
    ),
    (
        "2019：新疆喀什农村的元宵节",
        "/static/img/gallery-lantern.svg",
        "夜色中挂起三盏红灯笼",
        "muqam-heritage-center",
    ),
    (
        "穿越塔克拉玛干的沙漠公路",
        "/static/img/gallery-desert.svg",
        "黄沙之间一条公路伸向远方",
        "desert-weather-stations",
    ),
]


def seed_furniture() -> None:
    """Replace the featured topics and gallery with the demo ones (idempotent)."""
    db.session.execute(sa.delete(FeaturedLink))
    db.session.execute(sa.delete(FeaturedTopic))
    db.session.execute(sa.delete(GallerySlide))
    by_slug = {a.slug: a for a in db.session.scalars(sa.select(Article))}
    for position, (name, slugs) in enumerate(TOPICS.items()):
        topic = FeaturedTopic(name=name, position=position)
        for i, slug in enumerate(s for s in slugs if s in by_slug):
            topic.links.append(
                FeaturedLink(title=by_slug[slug].title, article=by_slug[slug], position=i)
            )
        db.session.add(topic)
    for position, (title, image, alt, slug) in enumerate(SLIDES):
        link = f"/articles/{slug}" if slug in by_slug else None
        db.session.add(
            GallerySlide(title=title, image_url=image, alt=alt, link_url=link, position=position)
        )
    db.session.commit()
