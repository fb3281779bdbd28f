"""The production settings the benchmark serves with, plus a static folder of its own.

Everything comes from studygroup.settings (DEBUG, SECRET_KEY, DATABASE_URL … from the environment,
as in production); only STATIC_ROOT moves to the temporary folder bench/run.py collects static files
into, so a benchmark never writes over anyone's staticfiles/.
"""

import os
from pathlib import Path

from studygroup.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
