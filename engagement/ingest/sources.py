"""Where a page view came from: 搜索, 社交, 新闻客户端/聚合, 站内, 外部链接 or 直接.

Decided from what the page script sends (``document.referrer``'s host and the
page's ``utm_source`` / ``utm_medium``), and, when there is no referrer, from
the in-app browsers that announce themselves in the User-Agent (WeChat, Weibo,
Toutiao and others send no referrer). Only the class and the referring host
are kept, never the referring URL.

The tables are by registrable domain and match any subdomain; a more specific
entry wins (``tieba.baidu.com`` is social while ``baidu.com`` is search). They
are written here rather than taken from a library: the referrer-parser data
sets on PyPI are unmaintained and know few Chinese services.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SEARCH = "search"
SOCIAL = "social"
AGGREGATOR = "aggregator"
INTERNAL = "internal"
EXTERNAL = "external"
DIRECT = "direct"

HOSTS: dict[str, str] = {
    # 搜索
    **dict.fromkeys(
        "baidu.com sogou.com so.com sm.cn quark.cn chinaso.com bing.com "
        "duckduckgo.com yandex.ru yandex.com search.yahoo.com naver.com ecosia.org "
        "so.toutiao.com search.brave.com startpage.com seznam.cz".split(),
        SEARCH,
    ),
    # 社交
    **dict.fromkeys(
        "weixin.qq.com mp.weixin.qq.com wx.qq.com qzone.qq.com im.qq.com weibo.com weibo.cn "
        "t.cn douyin.com iesdouyin.com xiaohongshu.com xhslink.com zhihu.com tieba.baidu.com "
        "bilibili.com b23.tv kuaishou.com douban.com facebook.com fb.com instagram.com "
        "twitter.com x.com t.co linkedin.com lnkd.in reddit.com pinterest.com youtube.com "
        "tiktok.com t.me telegram.org vk.com whatsapp.com line.me threads.net "
        "mastodon.social bsky.app".split(),
        SOCIAL,
    ),
    # 新闻客户端/聚合
    **dict.fromkeys(
        "toutiao.com snssdk.com toutiaocdn.com news.qq.com inews.qq.com c.m.163.com "
        "3g.163.com sina.cn k.sina.cn yidianzixun.com uc.cn ucweb.com baijiahao.baidu.com "
        "mbd.baidu.com 360kuai.com qutoutiao.net myzaker.com zaker.cn news.google.com "
        "flipboard.com feedly.com inoreader.com msn.com msn.cn news.yahoo.com smartnews.com "
        "newsbreak.com apple.news".split(),
        AGGREGATOR,
    ),
}
# Search engines on country domains (google.com.hk, google.de, …).
PATTERNS = [(re.compile(r"(^|\.)google(\.com?)?\.[a-z]{2,3}$"), SEARCH)]
# utm_source / utm_medium words (lower case, compared whole).
UTM_SOURCES: dict[str, str] = {
    **dict.fromkeys(
        "baidu google bing sogou so 360 shenma sm quark yandex duckduckgo".split(), SEARCH
    ),
    **dict.fromkeys(
        "wechat weixin wx weibo qq qzone douyin xiaohongshu xhs zhihu bilibili kuaishou "
        "douban facebook fb instagram twitter x linkedin reddit telegram whatsapp line".split(),
        SOCIAL,
    ),
    **dict.fromkeys(
        "toutiao jinritoutiao yidian yidianzixun uc ucnews zaker flipboard feedly "
        "newsbreak smartnews googlenews msn".split(),
        AGGREGATOR,
    ),
}
UTM_MEDIUMS: dict[str, str] = {
    **dict.fromkeys("social social-network social-media sns".split(), SOCIAL),
    **dict.fromkeys("cpc ppc paid paidsearch search organic sem".split(), SEARCH),
    **dict.fromkeys("email newsletter referral affiliate display banner".split(), EXTERNAL),
    **dict.fromkeys("app aggregator feed rss".split(), AGGREGATOR),
}
# In-app browsers that send no referrer, by a token of their User-Agent (one
# search: the group that matched is the class).
APPS = re.compile(
    r"(?P<social>MicroMessenger|\bWeibo\b|__weibo__|\bQQ/|aweme|xhsdiscover|ZhihuHybrid)"
    r"|(?P<aggregator>NewsArticle|NewsLite|ToutiaoMicroApp|UCBrowser/.*UCNews|SogouNews)"
    r"|(?P<search>baiduboxapp|SogouSearch|Quark/)"
)
HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})*$")


def referrer_host(referrer: str) -> str:
    """The lower-case host of a referring URL, or '' when it names none."""
    try:
        parts = urlsplit(referrer.strip())
        host = (parts.hostname or "") if parts.scheme in ("http", "https") else ""
    except ValueError:
        return ""
    host = host.rstrip(".")
    return host if HOSTNAME.match(host) else ""


def by_host(host: str) -> str | None:
    labels = host.split(".")
    for i in range(len(labels) - 1):
        found = HOSTS.get(".".join(labels[i:]))
        if found:
            return found
    for pattern, kind in PATTERNS:
        if pattern.search(host):
            return kind
    return None


def classify(
    referrer: str,
    utm_source: str,
    utm_medium: str,
    own_hosts: frozenset[str] | set[str],
    agent: str = "",
) -> tuple[str, str]:
    """(source class, referring host to keep) of one page view."""
    host = referrer_host(referrer) if referrer else ""
    if host and host in own_hosts:
        return INTERNAL, ""
    tagged = UTM_SOURCES.get(utm_source.strip().lower()) or UTM_MEDIUMS.get(
        utm_medium.strip().lower()
    )
    if tagged:
        return tagged, host
    if host:
        return by_host(host) or EXTERNAL, host
    app = APPS.search(agent)
    if app and app.lastgroup:
        return app.lastgroup, ""
    return DIRECT, ""
