"""What the operators' pages call things, in Chinese: windows, rankings,
audit actions and their details (stored as stable keys, shown as words)."""

from __future__ import annotations

import json

from ..moods import MOODS
from ..rankings.core import WINDOW_LABELS
from .blueprint import bp

METRIC_LABELS = {"views": "阅读", "reactions": "表态", "hot": "热度", "engaged": "专注时长"} | {
    m.key: m.label for m in MOODS
}
ACTIONS = {
    "exclude": "排除出排行",
    "include": "恢复参与排行",
    "pin": "置顶",
    "unpin": "取消置顶",
    "reset": "计数清零",
    "discount": "扣除可疑阅读",
    "add_site": "登记站点",
    "edit_site": "修改站点",
    "create_token": "创建 API 令牌",
    "revoke_token": "吊销 API 令牌",
    "poll_feeds": "立即抓取订阅源",
}
# The suspect bounds (store/keys.SUSPECT_RULES), as the article page names them.
RULE_LABELS = {
    "a": "同一地址新身份过多",
    "p": "阅读速度超过常人",
    "r": "同一客户端对本文表态过多",
}


def ranking_label(key: str) -> str:
    """``24h:views:all`` -> ``24小时阅读排行``."""
    window, _, rest = key.partition(":")
    metric = rest.partition(":")[0]
    if window not in WINDOW_LABELS or metric not in METRIC_LABELS:
        return key
    return f"{WINDOW_LABELS[window]}{METRIC_LABELS[metric]}排行"


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def detail_label(action: str, detail: str) -> str:
    """An audit entry's detail as a sentence instead of its stored form."""
    if not detail:
        return ""
    if action == "pin":
        key, _, position = detail.partition(" #")
        return f"{ranking_label(key)} 第 {position} 位" if position else ranking_label(key)
    if action == "unpin":
        return ranking_label(detail)
    if action == "reset":
        try:
            before = json.loads(detail)
        except ValueError:
            return detail
        if not isinstance(before, dict):
            return detail
        parts = [f"{METRIC_LABELS.get(k, k)} {v}" for k, v in before.items() if k in METRIC_LABELS]
        return "清零前：" + "，".join(parts)
    if action == "discount":
        try:
            record = json.loads(detail)
            return (
                f"{record['at']} 起一小时，{RULE_LABELS.get(record['rule'], record['rule'])}："
                f"扣除阅读 {record['views']}"
            )
        except (ValueError, KeyError, TypeError):
            return detail
    return detail


def rule_label(rule: str) -> str:
    return RULE_LABELS.get(rule, rule)


bp.add_app_template_filter(ranking_label, "ranking_label")
bp.add_app_template_filter(action_label, "action_label")
bp.add_app_template_filter(detail_label, "detail_label")
bp.add_app_template_filter(rule_label, "rule_label")
