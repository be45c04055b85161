"""Read your own writes on any cluster member: the user's Neo4j bookmarks travel with them.

Each request starts its sessions after the bookmarks the user's last requests left (`db.follow`),
whichever app server served those, and hands the newer ones back: in the signed session cookie for
the browser, and in the `X-Bookmarks` header for API clients, which send it back as they got it
(comma-separated); a request carrying a bearer token never touches the cookie session. On a single server this changes nothing; on a Neo4j cluster or Aura a read routed
to a follower waits until the follower has the user's last write, so no page shows the world from
before the user's own change. Bookmarks name transactions, not data: a forged one can only make the
sender's own reads wait (and fail), so they are not a secret.
"""

from __future__ import annotations

from flask import Flask, g, request, session

from .. import db

HEADER = "X-Bookmarks"
_KEY = "bm"
#: A bookmark is short (database, transaction id); more than a few means a client sent junk.
_MOST = 16


def _signed_in_by_cookie() -> bool:
    """A browser session with a signed-in user (flask-login keeps its user id in the session)."""
    return not _bearer() and "_user_id" in session


def _bearer() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def _sent() -> list[str]:
    values = [] if _bearer() else list(session.get(_KEY) or [])
    values += [v.strip() for v in request.headers.get(HEADER, "").split(",") if v.strip()]
    return [v for v in values if len(v) < 512][:_MOST]


def init_app(app: Flask) -> None:
    @app.before_request
    def _follow():
        g.ccms_bookmarks = _sent()
        g.ccms_bookmark_token = db.follow(g.ccms_bookmarks)

    @app.after_request
    def _hand_back(response):
        if g.get("ccms_bookmark_token") is None:
            return response
        now = db.followed()
        if now and now != g.get("ccms_bookmarks"):
            if _signed_in_by_cookie():  # nobody else gets a cookie session: a token client that kept one
                session[_KEY] = now      # would be refused on its next call (flask-login prefers the cookie)
            response.headers[HEADER] = ",".join(now)
        return response

    @app.teardown_request
    def _unfollow(_exc):
        token = g.pop("ccms_bookmark_token", None)
        if token is not None:
            db.unfollow(token)
