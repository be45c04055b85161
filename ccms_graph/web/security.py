"""CSRF protection on every state-changing request and security headers on every response."""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect, generate_csrf

csrf = CSRFProtect()

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def init_app(app) -> None:
    csrf.init_app(app)

    @app.context_processor
    def _csrf():
        return {"csrf_token": generate_csrf}

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "no-referrer")
        h.setdefault("Cache-Control", "no-store")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
