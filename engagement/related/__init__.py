"""相关文章: related-article suggestions.

Content similarity (TF-IDF over word-segmented Chinese and English text, the
title weighted) blended with shared category and tags and a freshness
preference, plus co-views ("readers of this article also read") once an article
has enough of them. Computed when articles are imported (incrementally) and
stored in SQL, so serving is one query.
"""
