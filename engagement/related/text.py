"""Turning article text into terms: rjieba word segmentation for Chinese,
Snowball-stemmed lower-case words for English, stop words and noise removed.

English words shorter than three letters are noise, except acronyms written in
capitals (UK, EU, TV, PC, MP), which name a story's subject as well as any word.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from functools import lru_cache

import rjieba
import snowballstemmer

_TAG = re.compile(r"<[^>]+>")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"^[a-z][a-z0-9'+-]*$")
_ACRONYM = re.compile(r"^[A-Z]{2,5}$")
_stem = snowballstemmer.stemmer("english").stemWord

# Function words and news boilerplate that say nothing about a story's subject.
CHINESE_STOP = frozenset(
    """
    的 了 和 是 在 也 有 就 不 人 都 一 一个 上 中 到 说 要 去 你 我 他 她
    它 们 我们 他们 她们 它们 这 那 这个 那个 这些 那些 之 与 及 或 而 并 但
    但是 因为 所以 如果 虽然 然而 以及 还是 还有 对于 已经 正在 可以 可能 没有
    不是 就是 只是 非常 十分 比较 更加 一些 一样 一种 一起 其中 其他 其它 自己
    什么 怎么 如何 为什么 因此 于是 然后 之后 之前 以后 以前 目前 当时 时候 现在
    今年 去年 明年 今天 昨天 明天 表示 认为 指出 称 记者 报道 据 日电 消息 新浪
    网友 本报 讯 通过 进行 成为 作为 相关 方面 问题 情况 工作 由于 以上 以下 之一
    其实 这样 那样 这里 那里 不过 而且 并且 不仅 同时 此外 另外 对 为 从 被 把
    让 向 给 以 于 等 等等 很 更 最 再 又 还 才 将 会 能 应 该 个 位 年 月
    日
    """.split()
)
ENGLISH_STOP = frozenset(
    """
    a an the and or but if then else of to in on at by for with from as is are was were be
    been being this that these those it its it's they them their there here we us our you
    your he him his she her i me my not no nor so than too very can could will would shall
    should may might must do does did done have has had having about above after again
    against all also am any because before below between both during each few further into
    just more most other over own same some such through under until up down out off once
    only while what which who whom why how when where said says one two new news report
    reports reported
    """.split()
)


@lru_cache(maxsize=50_000)
def normalize(token: str) -> str | None:
    """One token as a term, or None when it carries no meaning."""
    token = token.strip()
    if _ACRONYM.match(token) and token != "I":
        return token.lower()
    token = token.lower()
    if not token:
        return None
    if _CJK.search(token):
        if len(token) < 2 or token in CHINESE_STOP:
            return None
        return token
    if not _WORD.match(token) or len(token) < 3 or token in ENGLISH_STOP:
        return None
    return _stem(token.removesuffix("'s"))


def plain(text: str) -> str:
    return html.unescape(_TAG.sub(" ", text))


def terms(text: str) -> list[str]:
    out = []
    for token in rjieba.cut(plain(text)):
        term = normalize(token)
        if term:
            out.append(term)
    return out


TITLE_WEIGHT = 3


def article_terms(title: str, body: str) -> dict[str, int]:
    """Term counts of one article, the title's terms counted ``TITLE_WEIGHT`` times."""
    counts = Counter(terms(body))
    for term in terms(title):
        counts[term] += TITLE_WEIGHT
    return dict(counts)
