"""The operators' area under ``/admin``: login, dashboard, exports, editorial controls.

Every view needs a logged-in operator. Without one, a browser is sent to the
login page and a JSON client (or a ``.json`` URL) gets 401.
"""

from . import attention, auth, labels, sites, views
from .blueprint import bp

__all__ = ["attention", "auth", "bp", "labels", "sites", "views"]
