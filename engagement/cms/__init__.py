"""Articles from a publisher's own CMS: sites, their feeds, the article API and sitemaps.

A site registered here may put our script tag on its own pages: its origins
may send reader events, its feeds are polled, its tokens write its articles,
and its articles link to their own URLs wherever we list them.
"""
