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

Finer: a paper's own page does not show what is written in other papers' threads, so it is keyed
by two numbers instead: the *structure* generation, which every write moves except those within
one paper's thread (a topic renamed, a participant merged, an import, an admin save, a restore),
and the paper's own ThreadGeneration row, which writes within its thread move (an answer, an edit,
a removal, topics, a claim, the session's details). An answer in one paper then leaves every
other paper's cached page as it is; the archive-wide lists (home, topics, search, feeds, people)
keep the whole generation, which every write moves.

Finer still, within a paper: a visitor's block of one question (discussions.blocks) is keyed by the
structure generation and the question's own QuestionGeneration row, which a write within that
question's thread moves too (an answer, a fill, an edit, a removal, topics, a claim, the agenda's
mark). A paper page rendered after an answer to one question renders that block alone.

The lists of one topic and of one participant are keyed by the structure generation and their own
ListGeneration row. A write within a question's thread moves those of the question's topics
(before and after the write: they count its answers and quote it) and of the writers whose posts
it changes (an answer's, a fill's, an edit's, a claim's, everyone's under a removed post; for a
question's new text, those waiting to answer it too: their lists quote it). A session's new title
moves those of all its questions' topics and writers. The home page is keyed by the structure
generation and the thread generations of the papers it shows (of_home).

Which of these a write moves is worked out in one place, discussions.writes.core.Write, from the
rows the write changed: no write lists them.
"""

from django.db import connection, transaction
from django.db.models import F

from discussions.models import (
    Answer,
    ArchiveState,
    ListGeneration,
    Paper,
    Participant,
    Question,
    QuestionGeneration,
    TaggedQuestion,
    ThreadGeneration,
    Topic,
)

SEQUENCE = "discussions_archive_generation"
STRUCTURE_SEQUENCE = "discussions_structure_generation"


def current() -> int:
    # Read on every cached page view: plain SQL, because the ORM's overhead here is several
    # times the query's own cost.
    return _read(_counter_sql(SEQUENCE, "generation"))


def _structure_sql():
    return _counter_sql(STRUCTURE_SEQUENCE, "structure")


def _counter_sql(sequence, column):
    """The SQL of one generation: a sequence on PostgreSQL, a column of ArchiveState's row on SQLite.
    A new sequence reads last_value 1 before its first nextval() and 1 after it too: is_called
    tells the two apart, so the first write is seen."""
    if connection.vendor == "postgresql":
        return f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence}"
    return f"SELECT {column} FROM {connection.ops.quote_name(ArchiveState._meta.db_table)} WHERE id = 1"


def _read(sql) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return row[0] if row else 0


def of_paper(slug: str) -> str:
    """The key part of a paper's own pages: the structure generation and the paper's own, in one query."""
    paper = connection.ops.quote_name(Paper._meta.db_table)
    thread = connection.ops.quote_name(ThreadGeneration._meta.db_table)
    own = f"SELECT t.value FROM {paper} p JOIN {thread} t ON t.paper_id = p.id WHERE p.slug = %s"
    return _with_structure(own, [slug], "p")


def of_list(kind: str, slug: str) -> str:
    """The key part of a topic's or a participant's page (ListGeneration.Kind), in one query."""
    model = {ListGeneration.Kind.TOPIC: Topic, ListGeneration.Kind.PARTICIPANT: Participant}[kind]
    table = connection.ops.quote_name(model._meta.db_table)
    lists = connection.ops.quote_name(ListGeneration._meta.db_table)
    own = (
        f"SELECT g.value FROM {table} o JOIN {lists} g ON g.kind = %s AND g.object_id = o.id "
        "WHERE o.slug = %s"
    )
    return _with_structure(own, [kind, slug], kind)


def _with_structure(own_sql, params, tag):
    """The structure generation and one page's own (`own_sql`, a single value), in one query."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({_structure_sql()}), ({own_sql})", params)
        structure, own = cursor.fetchone()
    return f"s{structure or 0}.{tag}{own or 0}"


def of_home(number: int, per_page: int, today, upcoming: int) -> str | None:
    """The key part of the home page `number`: the structure generation, which papers it shows (its
    `per_page`, and on the first page the `upcoming` sessions to come), each one's thread generation,
    in one query. None when it shows none (an empty archive, a page past the last): such a page is
    keyed by the whole archive's generation.

    Plain SQL in the orders of Paper.objects.newest_first() and upcoming() (a test holds them to the
    page's): the ORM took ten times the query's own cost to build it on every view."""
    paper = connection.ops.quote_name(Paper._meta.db_table)
    thread = connection.ops.quote_name(ThreadGeneration._meta.db_table)
    # Read in the order of an index (migration 0023) on PostgreSQL, and joined to the thread
    # generations by the few ids alone: asked as "id IN (…) OR id IN (…)", every paper was read.
    # The papers held (PaperQuerySet.held): the sessions to come are listed apart, on page 1.
    listed = (
        f"SELECT id FROM (SELECT id FROM {paper} WHERE NOT (COALESCE(session_date >= %s, FALSE) OR "
        "(session_date IS NULL AND proposed_by_id IS NOT NULL)) ORDER BY session_date DESC NULLS LAST, "
        "session_number DESC NULLS LAST, created_at DESC, id DESC LIMIT %s OFFSET %s) AS newest"
    )
    params = [today, per_page, (number - 1) * per_page]
    if number == 1:
        listed += (
            f" UNION SELECT id FROM (SELECT id FROM {paper} WHERE session_date >= %s OR "
            "(session_date IS NULL AND proposed_by_id IS NOT NULL) "
            "ORDER BY session_date ASC NULLS LAST, created_at, id LIMIT %s) AS upcoming"
        )
        params += [today, upcoming]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ({_structure_sql()}), shown.id, t.value FROM ({listed}) AS shown "
            f"LEFT JOIN {thread} t ON t.paper_id = shown.id ORDER BY shown.id",
            params,
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    return f"s{rows[0][0] or 0}." + ".".join(f"{pk}:{own or 0}" for _, pk, own in rows)


def structure() -> int:
    """The structure generation alone (what a question's block depends on besides its thread)."""
    return _read(_structure_sql())


def move(*, own_transaction: bool, paper_id=None, question_id=None):
    """Move the generation on for the write running in this connection's transaction.

    own_transaction: the write opened the outermost transaction for itself alone, so nothing on
    this connection reads its data before the commit: moving it after the commit is enough.
    paper_id: the write stays within that paper's thread, so the other papers' pages stay cached.
    question_id: within that question's thread too, so the paper's other question blocks stay cached.
    """
    if paper_id is not None:
        # A row moved in the write's own transaction, so its pages see the number and the data
        # together; locked first by every write within the thread, so they take turns per paper.
        _increment(ThreadGeneration, "paper_id", paper_id)
    if question_id is not None:
        _increment(QuestionGeneration, "question_id", question_id)
    if connection.vendor == "postgresql":
        sequences = [SEQUENCE] if paper_id is not None else [SEQUENCE, STRUCTURE_SEQUENCE]
        if not own_transaction:
            _next(sequences)
        transaction.on_commit(lambda: _next(sequences))
        return
    moved = {"generation": F("generation") + 1}
    if paper_id is None:
        moved["structure"] = F("structure") + 1
    if not ArchiveState.objects.filter(pk=1).update(**moved):
        ArchiveState.objects.get_or_create(pk=1, defaults={"generation": 1, "structure": 1})


def move_threads(*, papers=(), questions=()):
    """Move the thread generations of more papers and questions than the one a write started in."""
    for paper_id in papers:
        _increment(ThreadGeneration, "paper_id", paper_id)
    for question_id in questions:
        _increment(QuestionGeneration, "question_id", question_id)


def move_lists(*, questions=(), topic_names=(), participants=(), quoted=(), papers=()):
    """Move the pages of the topics of `questions` (as they are now) and of the topics named
    `topic_names` (those they had before), of `participants`, of those waiting to answer a question
    of `quoted` (their lists quote it), and of every topic and writer of the questions of `papers`
    (a session's title is on all of them), in one statement, in the order of their rows: the last
    locks a write takes, so two writes never wait on each other in a cycle."""
    lists = connection.ops.quote_name(ListGeneration._meta.db_table)
    tagged = connection.ops.quote_name(TaggedQuestion._meta.db_table)
    question = connection.ops.quote_name(Question._meta.db_table)
    answer = connection.ops.quote_name(Answer._meta.db_table)
    topic_table = connection.ops.quote_name(Topic._meta.db_table)
    topic, participant = ListGeneration.Kind.TOPIC.value, ListGeneration.Kind.PARTICIPANT.value
    moved, params = ["SELECT '' AS kind, 0 AS id WHERE false"], []

    def among(values):
        params.extend(values)
        return "(" + ", ".join(["%s"] * len(values)) + ")"

    if questions:
        moved.append(f"SELECT '{topic}', tag_id FROM {tagged} WHERE content_object_id IN {among(questions)}")
    if topic_names:
        # As taggit finds a topic by name (TAGGIT_CASE_INSENSITIVE).
        upper = ", ".join(["UPPER(%s)"] * len(topic_names))
        params.extend(topic_names)
        moved.append(f"SELECT '{topic}', id FROM {topic_table} WHERE UPPER(name) IN ({upper})")
    if participants:
        moved += [f"SELECT '{participant}', %s"] * len(participants)
        params += list(participants)
    if quoted:
        moved.append(
            f"SELECT '{participant}', author_id FROM {answer} WHERE question_id IN {among(quoted)}"
            " AND body = '' AND hidden_at IS NULL AND author_id IS NOT NULL"
        )
    for paper_id in papers:
        in_paper = f"(SELECT id FROM {question} WHERE paper_id = %s)"
        moved += [
            f"SELECT '{topic}', tag_id FROM {tagged} WHERE content_object_id IN {in_paper}",
            f"SELECT '{participant}', author_id FROM {question} WHERE paper_id = %s"
            " AND author_id IS NOT NULL",
            f"SELECT '{participant}', author_id FROM {answer} WHERE question_id IN {in_paper}"
            " AND author_id IS NOT NULL",
        ]
        params += [paper_id] * 3
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {lists} (kind, object_id, value) SELECT kind, id, 1 FROM ({' UNION '.join(moved)})"
            f" AS moved WHERE true ORDER BY kind, id "
            f"ON CONFLICT (kind, object_id) DO UPDATE SET value = {lists}.value + 1",
            params,
        )


def _next(sequences):
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"nextval('{name}')" for name in sequences))


def _increment(model, column, pk):
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({column}, value) VALUES (%s, 1) "
            f"ON CONFLICT ({column}) DO UPDATE SET value = {table}.value + 1",
            [pk],
        )
