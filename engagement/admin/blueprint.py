"""The ``admin`` blueprint: operators' pages are private and never cached.

Every view needs a logged-in operator; ``auth.require_operator`` checks it.
"""

from __future__ import annotations

from flask import Blueprint, Response

from ..web.security import NO_STORE

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.after_request
def private(response: Response) -> Response:
    response.headers["Cache-Control"] = NO_STORE
    return response
