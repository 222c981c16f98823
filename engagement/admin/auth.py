"""Operator accounts: password hashing, login and logout."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db, limiter
from ..models import Operator
from .blueprint import bp

# A hash to compare against when the username is unknown, so that a wrong
# username takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


def set_password(operator: Operator, password: str) -> None:
    operator.password_hash = generate_password_hash(password)


def authenticate(username: str, password: str) -> Operator | None:
    operator = db.session.scalar(sa.select(Operator).where(Operator.username == username))
    if operator is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return operator if check_password_hash(operator.password_hash, password) else None


def current_operator() -> str | None:
    value = session.get("operator")
    return str(value) if value else None


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make phishing easy."""
    if not target:
        return url_for("admin.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("admin.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute;50/hour", methods=["POST"])
def login() -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        operator = authenticate(username, password) if username and password else None
        if operator is not None:
            session.clear()  # no session fixation
            session["operator"] = operator.username
            session.permanent = True
            operator.last_login_at = datetime.now(UTC)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        error = "用户名或密码错误。"
    status = 401 if error else 200
    return render_template("admin/login.html", error=error), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    session.clear()
    flash("已退出登录。")
    return redirect(url_for("admin.login"))
