"""Operator accounts: password hashing, login and logout."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import TooManyRequests
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..ingest.readers import rate_limit_key
from ..models import Operator
from ..web.errors import ApiError, json_error, wants_json
from .blueprint import bp
from .login_limit import login_limit

# A hash to compare against when the username is unknown, so that a wrong
# username takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


def set_password(operator: Operator, password: str) -> None:
    """A new password also ends the operator's existing sessions."""
    operator.password_hash = generate_password_hash(password)
    end_sessions(operator)


def end_sessions(operator: Operator) -> None:
    operator.session_generation = (operator.session_generation or 0) + 1


def authenticate(username: str, password: str) -> Operator | None:
    operator = db.session.scalar(sa.select(Operator).where(Operator.username == username))
    if operator is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return operator if check_password_hash(operator.password_hash, password) else None


def current_operator() -> str | None:
    """The logged-in operator's name, checked against the account on every request:
    a deleted account, a new password or a logout anywhere ends the session."""
    if "operator" not in g:
        g.operator = _session_operator()
    return g.operator.username if g.operator else None


def _session_operator() -> Operator | None:
    name, generation = session.get("operator"), session.get("generation")
    if not name or not isinstance(generation, int):
        return None
    operator = db.session.scalar(sa.select(Operator).where(Operator.username == str(name)))
    if operator is None or operator.session_generation != generation:
        return None
    return operator


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make phishing easy."""
    if not target:
        return url_for("admin.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("admin.dashboard")
    return target


PUBLIC_ENDPOINTS = {"admin.login"}


@bp.before_request
def require_operator() -> ResponseReturnValue | None:
    if request.endpoint in PUBLIC_ENDPOINTS or current_operator():
        return None
    session.clear()  # a revoked session's cookie is dropped
    if wants_json():
        return json_error(ApiError(401, "login_required", "Log in as an operator first."))
    return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        client = rate_limit_key()
        if not login_limit().hit(client):
            raise TooManyRequests(
                "登录尝试过于频繁，请稍后再试。", retry_after=login_limit().retry_after(client)
            )
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        operator = authenticate(username, password) if username and password else None
        if operator is not None:
            session.clear()  # no session fixation
            session["operator"] = operator.username
            session["generation"] = operator.session_generation
            session.permanent = True
            operator.last_login_at = datetime.now(UTC)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        error = "用户名或密码错误。"
    status = 401 if error else 200
    return render_template("admin/login.html", error=error), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Ends this operator's sessions everywhere, not only this browser's."""
    current_operator()
    if g.operator is not None:
        end_sessions(g.operator)
        db.session.commit()
    session.clear()
    flash("已退出登录。")
    return redirect(url_for("admin.login"))
