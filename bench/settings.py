"""The production settings the benchmark serves with, plus a static folder and URLs of its own.

Everything comes from studygroup.settings (DEBUG, SECRET_KEY, DATABASE_URL … from the environment,
as in production); STATIC_ROOT moves to the temporary folder bench/run.py collects static files
into, so a benchmark never writes over anyone's staticfiles/; the URLs add the do-nothing view
(/bench/noop/), which production does not route; and gunicorn is reached over plain HTTP on the
loopback, with no TLS proxy in front, so nothing redirects to HTTPS.
"""

import os
from pathlib import Path

from studygroup.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
