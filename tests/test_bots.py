"""Each layer of the User-Agent check (``engagement/ingest/bots.py``), each entry
of our own list, and the browsers readers use, which must all count."""

from __future__ import annotations

import pytest

from engagement.ingest import bots

WEBKIT = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) "
BROWSERS = [
    # Desktop and phone browsers, current and a few years old.
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; 23127PN0CC) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/118.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; WOW64; Trident/6.0)",
    # Chinese browsers and in-app browsers (WeChat, QQ, UC, Baidu, Quark, Huawei).
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800322e) NetType/WIFI "
    "Language/zh_CN",
    "Mozilla/5.0 (Linux; Android 13; V2254A; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 MQQBrowser/6.2 TBS/046 QQ/9.0.70",
    "Mozilla/5.0 (Linux; U; Android 12; zh-CN; PFJM10) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/100.0.4896.58 UCBrowser/16.1.2.1301 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; HMA-AL00) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/76.0.3809.89 Mobile Safari/537.36 T7/13.50 baiduboxapp/13.50.0.10",
    "Mozilla/5.0 (Linux; U; Android 13; zh-CN; 22081212C) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/100.0.4896.58 Quark/6.11.0.531 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; NOH-AN00) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/99.0.4844.88 HuaweiBrowser/14.0.5.302 Mobile Safari/537.36",
    # A phone whose brand ends in "bot".
    "Mozilla/5.0 (Linux; Android 13; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Mobile Safari/537.36",
]


@pytest.mark.parametrize("agent", BROWSERS)
def test_readers_browsers_count(agent: str) -> None:
    assert bots.layer(agent) is None


@pytest.mark.parametrize(
    "agent, layer",
    [
        ("", "empty"),
        ("   ", "empty"),
        # Shape rules: a URL, an e-mail address, a library, a tool, a forged shape.
        ("Mozilla/5.0 (compatible; Shareaholic/1.0; +http://www.shareaholic.com/)", "rules"),
        ("SaferSoftwashLeadGen/2.2 (andrewfegan@local.example)", "rules"),
        ("python-requests/2.32.3", "rules"),
        ("Go-http-client/1.1", "rules"),
        ("okhttp/4.12.0", "rules"),
        ("curl/8.5.0", "rules"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/120.0.0.0 Safari/537.36",
            "rules",
        ),
        ("Mozilla/5.0 (compatible; Crusader/1.0)", "rules"),
        ("Mozilla/5.0 (Morningscore/1.0)", "rules"),
        ("Mozilla/5.0 Keydrop", "rules"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
            "(KHTML, like Gecko; Google-Sites-Thumbnails) Chrome/120.0.6099.71 Safari/537.36",
            "rules",
        ),
        ("Grafana/11.1.0", "rules"),
        ("Mozilla/5.0 (compatible; AhrefsBot/7.0)", "rules"),
    ],
)
def test_each_layer(agent: str, layer: str) -> None:
    assert bots.layer(agent) == layer
    assert bots.is_bot(agent)


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; MSIE 7.0; Windows NT 5.1) 360JK yunjiankong 427691",
        "Mozilla/5.0 (Windows NT 6.1; rv:77.0) Gecko/20100101 Firefox/77.0 Time/1710630666672",
        "recon-engine/0.4 (cluster-8w; contact ops)",
        WEBKIT + "Chrome/1 LeadGen/2",
        WEBKIT + "Chrome/1 LeadRadar/4",
        WEBKIT + "KarnoProspectingStudio/0.1",
        WEBKIT + "Chrome/1 Keydrop/1",
        WEBKIT + "Chrome/1 OnlyScans/1",
        WEBKIT + "project_patchwatch/1",
        WEBKIT + "Chrome/123 Functionize",
        WEBKIT + "Chrome/60 Assetnote/1.0.0",
        WEBKIT + "Chrome/140 CybaaAgent",
        WEBKIT + "Chrome/75 Convertify",
        "Mozilla/5.0 (Macintosh) AppleWebKit/537.36 (KHTML, like Gecko) Sparkler/0.2.0-SNAPSHOT",
        "Apache/2.2.2 (Fedora) (internal dummy connection)",
    ],
)
def test_each_entry_of_our_own_list(agent: str) -> None:
    assert bots.layer(agent) == "own", agent


@pytest.mark.parametrize(
    "agent, layer",
    [
        ("Mozilla/4.0 (compatible; Netcraft Web Server Survey)", "crawler-user-agents"),
        ("Mozilla/5.0 (Java) outbrain", "crawler-user-agents"),
        ("Barracuda Sentinel (EE)", "crawlerdetect"),
        (
            "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.0; baidu Transcoder;)",
            "crawlerdetect",
        ),
    ],
)
def test_the_maintained_lists_are_layers_too(agent: str, layer: str) -> None:
    """What the shape rules let through, the two lists still know."""
    assert bots.layer(agent) == layer
