"""SQL models: the articles and site furniture that Redis counters refer to."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend, stored as UTC.

    SQLite has no time zone type and would hand back naive values; PostgreSQL
    keeps ``timestamptz``. Either way the app only ever sees aware UTC values.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Category(db.Model):  # type: ignore[name-defined]
    """A section of the site; ``parent`` gives the breadcrumb (首页 > 国家援疆 > 头条)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"))
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Category | None] = relationship(remote_side=[id])

    def trail(self) -> list[Category]:
        """This category and its ancestors, outermost first."""
        chain: list[Category] = []
        node: Category | None = self
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class Article(db.Model):  # type: ignore[name-defined]
    __tablename__ = "articles"
    __table_args__ = (sa.Index("ix_articles_category_published", "category_id", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    body_html: Mapped[str] = mapped_column(sa.Text)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    source: Mapped[str | None] = mapped_column(sa.String(200))
    editor: Mapped[str | None] = mapped_column(sa.String(200))
    author: Mapped[str | None] = mapped_column(sa.String(200))
    image_url: Mapped[str | None] = mapped_column(sa.String(1000))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Editorial control: kept out of every ranking (counting goes on).
    ranking_excluded: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # A publisher's own article (feed, API, sitemap): its page lives at ``url``,
    # and every link to it goes there. ``url_key`` is ``cms.urls.key(url)``,
    # what a page's canonical link is matched against.
    site_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sites.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str | None] = mapped_column(sa.String(1000))
    url_key: Mapped[str | None] = mapped_column(sa.String(1000), index=True)

    category: Mapped[Category] = relationship(lazy="joined")
    site: Mapped[Site | None] = relationship()

    @property
    def external(self) -> bool:
        return self.url is not None


class Site(db.Model):  # type: ignore[name-defined]
    """A publisher's site with its own CMS: its origins may send reader events,
    its feeds are polled and its API tokens may write its articles."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    origins: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # An article URL with ``{slug}`` in it, e.g. https://news.example/a/{slug}.html
    url_pattern: Mapped[str | None] = mapped_column(sa.String(1000))
    default_category: Mapped[str] = mapped_column(sa.String(120), default="新闻")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    feeds: Mapped[list[Feed]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="Feed.id", lazy="selectin"
    )
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="ApiToken.id"
    )


class Feed(db.Model):  # type: ignore[name-defined]
    """An RSS or Atom feed of a site, with what its last poll found."""

    __tablename__ = "feeds"
    __table_args__ = (sa.UniqueConstraint("site_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(sa.String(1000))
    etag: Mapped[str | None] = mapped_column(sa.String(500))
    last_modified: Mapped[str | None] = mapped_column(sa.String(100))
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(default=0)
    # The last poll's outcome, as operators read it.
    status: Mapped[str] = mapped_column(sa.Text, default="")
    error: Mapped[str | None] = mapped_column(sa.Text)

    site: Mapped[Site] = relationship(back_populates="feeds")


class ApiToken(db.Model):  # type: ignore[name-defined]
    """A site's key to the article API: only a SHA-256 of it is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hint: Mapped[str] = mapped_column(sa.String(16))  # the token's first characters
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship(back_populates="tokens")


class FeaturedTopic(db.Model):  # type: ignore[name-defined]
    """One tab of the 特别关注 box (e.g. 新疆新发展) with its links."""

    __tablename__ = "featured_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    position: Mapped[int] = mapped_column(default=0)

    links: Mapped[list[FeaturedLink]] = relationship(
        order_by="FeaturedLink.position", cascade="all, delete-orphan", lazy="selectin"
    )


class FeaturedLink(db.Model):  # type: ignore[name-defined]
    __tablename__ = "featured_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("featured_topics.id"))
    title: Mapped[str] = mapped_column(sa.String(500))
    article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("articles.id"))
    url: Mapped[str | None] = mapped_column(sa.String(1000))
    position: Mapped[int] = mapped_column(default=0)

    article: Mapped[Article | None] = relationship()


class GallerySlide(db.Model):  # type: ignore[name-defined]
    """A slide of the 魅力新疆 photo carousel."""

    __tablename__ = "gallery_slides"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    image_url: Mapped[str] = mapped_column(sa.String(1000))
    alt: Mapped[str] = mapped_column(sa.String(500), default="")
    link_url: Mapped[str | None] = mapped_column(sa.String(1000))
    position: Mapped[int] = mapped_column(default=0)


class _MoodColumns:
    """Counter columns shared by the all-time and the daily stats tables."""

    views: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    reactions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    smile: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sweat: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sad: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    envy: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    angry: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    tears: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    engaged: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


class ArticleStats(_MoodColumns, db.Model):  # type: ignore[name-defined]
    """All-time counts as last flushed from Redis: the durable record."""

    __tablename__ = "article_stats"

    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ArticleDaily(_MoodColumns, db.Model):  # type: ignore[name-defined]
    """Per-article, per-UTC-day history written by the flush."""

    __tablename__ = "article_daily"

    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True, index=True)


class ReaderReaction(db.Model):  # type: ignore[name-defined]
    """Who chose which mood, so Redis can be rebuilt without double counting.

    ``reader`` is the opaque reader id (random, or a keyed hash): never an address.
    """

    __tablename__ = "reader_reactions"

    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    reader: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    mood: Mapped[str] = mapped_column(sa.String(16))
    reacted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlushLog(db.Model):  # type: ignore[name-defined]
    """One row per applied flush snapshot: applying the same one twice is refused."""

    __tablename__ = "flush_log"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fields: Mapped[int] = mapped_column(default=0)


class ArticleTerms(db.Model):  # type: ignore[name-defined]
    """An article's term counts (title weighted), kept so suggestions can be
    recomputed incrementally without segmenting every article again."""

    __tablename__ = "article_terms"

    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    terms: Mapped[dict[str, int]] = mapped_column(sa.JSON)


class RelatedArticle(db.Model):  # type: ignore[name-defined]
    """A stored suggestion: ``source`` is ``content`` or ``coview``."""

    __tablename__ = "related_articles"

    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    related_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[float] = mapped_column(sa.Float)


class Operator(db.Model):  # type: ignore[name-defined]
    """Someone who may see the dashboard; the password is kept only as a hash."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session cookie of this operator; raising it (logout, a new
    # password) ends all of them at once, since the cookie itself is stateless.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")


class AuditEntry(db.Model):  # type: ignore[name-defined]
    """One editorial action: who did what to which article, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(32))
    article_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    article: Mapped[Article | None] = relationship()


class RankingPin(db.Model):  # type: ignore[name-defined]
    """An article an editor fixed at a position of one ranking."""

    __tablename__ = "ranking_pins"
    __table_args__ = (sa.UniqueConstraint("ranking", "article_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ranking: Mapped[str] = mapped_column(sa.String(64), index=True)  # "24h:views:all"
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship()
