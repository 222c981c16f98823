"""The ``admin`` blueprint and the rule that every view needs an operator."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..web.errors import wants_json

bp = Blueprint("admin", __name__, url_prefix="/admin")
PUBLIC_ENDPOINTS = {"admin.login"}


@bp.before_request
def require_operator() -> Response | BaseResponse | tuple[Response, int] | None:
    from .auth import current_operator

    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if current_operator():
        return None
    session.clear()  # a revoked session's cookie is dropped
    if wants_json():
        body = {"error": {"code": "login_required", "message": "Log in as an operator first."}}
        return jsonify(body), 401
    return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))


@bp.after_request
def private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response
