"""gunicorn settings for production: `gunicorn -c python:dps_portal.gunicorn_conf dps_portal.wsgi`.

Threaded workers (gthread): a slow client holds one thread, not a whole worker, so a handful of
slow or stalled clients cannot keep others waiting (WEB_CONCURRENCY workers × GUNICORN_THREADS
threads serve at once; 3 × 16 by default). Requests stop at `timeout` seconds (30), above the
bulk-call limit DPS_BULK_TIME_LIMIT (20) so no bulk call is killed half-done; idle keep-alive
connections close after 5 s. The command line (`--bind`, `--workers`) overrides these.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Request line and header limits (gunicorn's defaults, stated): oversized requests get 400.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Logs go to stderr for the supervisor; no access log (URLs are logged by Django where needed).
errorlog = "-"
