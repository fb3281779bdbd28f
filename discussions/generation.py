"""The archive's generation: the number that cached pages are keyed by (discussions.caching).

Every write to the archive moves it once, explicitly, from discussions.writes: an answer, an
edit, a removal, topics, an import, an admin save, a merge, a restore. A cached page is therefore
never served after the data it shows has changed, however many worker processes or servers
there are: the number lives in the database, not in any process.

On PostgreSQL the generation is a sequence: nextval() takes no lock, so writers never queue
behind each other's commits for it. A sequence is not transactional, though: a reader could see
the new number before the new data and cache the old page under it. So a write moves it after
it commits (no page rendered before then stays reachable). A write inside a transaction someone
else opened (a test, the shell, the admin's own transaction) moves it inside that transaction
too: that connection sees the new data at once and may render a page before the commit.

SQLite, single-writer and embedded, keeps it in the ArchiveState row, which is transactional.
"""

from django.db import connection, transaction
from django.db.models import F

from discussions.models import ArchiveState

SEQUENCE = "discussions_archive_generation"


def current() -> int:
    # Read on every cached page view: plain SQL, because the ORM's overhead here is several
    # times the query's own cost. A new sequence reads last_value 1 before its first nextval()
    # and 1 after it too: is_called tells the two apart, so the first write is seen.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {SEQUENCE}")
        else:
            table = connection.ops.quote_name(ArchiveState._meta.db_table)
            cursor.execute(f"SELECT generation FROM {table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def move(*, own_transaction: bool):
    """Move the generation on for the write running in this connection's transaction.

    own_transaction: the write opened the outermost transaction for itself alone, so nothing on
    this connection reads its data before the commit: moving it after the commit is enough.
    """
    if connection.vendor == "postgresql":
        if not own_transaction:
            _next()
        transaction.on_commit(_next)
    elif not ArchiveState.objects.filter(pk=1).update(generation=F("generation") + 1):
        ArchiveState.objects.get_or_create(pk=1, defaults={"generation": 1})


def _next():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval('{SEQUENCE}')")
