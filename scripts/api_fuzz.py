"""Run schemathesis against a live server's /api/v1/openapi.json as an agent, a supervisor, an analyst and an auditor.

Usage (after `make run`, which serves the sandbox seed on 127.0.0.1:8000):

    .venv/bin/python scripts/api_fuzz.py http://127.0.0.1:8000 [--users agent,supervisor,...] [--max-examples 50]

Each user signs in through the API (session + CSRF), creates a short-lived personal token, and schemathesis
runs with that token; the tokens are revoked at the end. Usernames default to the sandbox seed's; the
password defaults to CCMS_SANDBOX_PASSWORD or the sandbox default. Exits non-zero if any run finds a 5xx,
an undocumented status or content type, or a response that breaks its schema.

Serve with 8 KiB request lines (gunicorn `--limit-request-line 8190`): with gunicorn's default 4094, a search
whose documented 500-character text is fully percent-encoded is refused by gunicorn itself with an HTML 414
before the app can answer, which schemathesis rightly reports as an undocumented content type.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import requests

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def sign_in_token(base: str, username: str, password: str) -> tuple[requests.Session, dict]:
    s = requests.Session()
    csrf = s.get(f"{base}/api/v1/auth/csrf", timeout=30).json()["csrf_token"]
    s.headers["X-CSRFToken"] = csrf
    r = s.post(f"{base}/api/v1/auth/session", json={"username": username, "password": password,
                                                     "acknowledge": True}, timeout=30)
    if r.status_code != 201:
        sys.exit(f"cannot sign in as {username}: {r.status_code} {r.text[:300]}")
    # Signing in starts a fresh session, so it needs a fresh CSRF token.
    s.headers["X-CSRFToken"] = s.get(f"{base}/api/v1/auth/csrf", timeout=30).json()["csrf_token"]
    r = s.post(f"{base}/api/v1/auth/tokens", json={"name": "api_fuzz", "expires_in_days": 1}, timeout=30)
    r.raise_for_status()
    return s, r.json()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("base_url", help="e.g. http://127.0.0.1:8000")
    p.add_argument("--users", default=os.environ.get("CCMS_FUZZ_USERS", "agent_garcia,sup_miami,analyst_miami,auditor"),
                   help="comma-separated usernames to run as (one per role)")
    p.add_argument("--password", default=os.environ.get("CCMS_SANDBOX_PASSWORD", "sandbox-pass-2026"))
    p.add_argument("--max-examples", type=int, default=50)
    args, extra = p.parse_known_args()
    base = args.base_url.rstrip("/")
    st = Path(sys.executable).with_name("schemathesis")
    failed = 0
    for username in [u.strip() for u in args.users.split(",") if u.strip()]:
        session, token = sign_in_token(base, username, args.password)
        try:
            print(f"== schemathesis as {username}", flush=True)
            cmd = [str(st), "run", f"{base}/api/v1/openapi.json", "--url", base,
                   "--checks", CHECKS, "--max-examples", str(args.max_examples),
                   "--header", f"Authorization: Bearer {token['token']}", *extra]
            failed |= subprocess.call(cmd) != 0
        finally:
            session.delete(f"{base}/api/v1/auth/tokens/{token['uid']}", timeout=30)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
