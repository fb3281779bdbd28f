"""gunicorn's settings for production: `gunicorn studygroup.wsgi -c studygroup/gunicorn.conf.py`.

Threaded workers (gthread), so that slow clients cannot stall the site. A sync worker serves one
connection from its first byte to its last: two clients that send their headers a byte a second
held both of the old two workers, and every other visitor waited. A gthread worker keeps idle and
kept-alive connections in one poller, gives a connection a thread only once it has sent data, and
serves with THREADS threads: it now takes WORKERS × THREADS slow clients at once (16 by default)
to make a visitor wait. On the open internet, put a buffering proxy (nginx) in front as well: it
holds slow clients for a few kilobytes each and hands gunicorn whole requests (docs/operations.md).

Settings from the environment: WEB_CONCURRENCY (worker processes, default 2, one per core),
GUNICORN_THREADS (threads per worker, default 8), GUNICORN_TIMEOUT (seconds, default 30).
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Pages are rendered with the GIL held, so more threads do not render faster; they are there to
# wait for slow networks. Each thread keeps its own database connection (CONN_MAX_AGE), so
# WORKERS × THREADS must stay under PostgreSQL's max_connections (100 by default).
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Kept-alive connections wait in the poller, not in a thread; a few seconds is what browsers need.
keepalive = 5
