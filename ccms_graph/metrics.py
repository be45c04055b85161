"""The Prometheus metrics every part of the service reports into (`prometheus-client`).

Defined once, here, so the logic layer can time its own work (deconfliction) without knowing about
the web; `web/observability.py` serves them at `/metrics` with the values read at scrape time
(transaction retries, queue depth, the audit sequencer's lag). With several gunicorn workers set
`PROMETHEUS_MULTIPROC_DIR` to an empty folder and every worker's counts are summed (the client's
multiprocess mode); without it each scrape sees the process that answered.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

#: Latency buckets (seconds) from a 5 ms page to a 30 s saved query.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_SECONDS = Histogram("ccms_http_request_seconds", "HTTP request latency by route, method and status class",
                            ["method", "route", "status"], buckets=_BUCKETS)
DECONFLICTION_SECONDS = Histogram("ccms_deconfliction_seconds",
                                  "Deconfliction of records being stored, per call (create, update, import batch)",
                                  ["operation"], buckets=_BUCKETS)
TRANSACTION_RETRIES = Counter("ccms_transaction_retries_total",
                              "Managed transactions run again after a transient failure (deadlock, leader switch)",
                              ["kind"])
