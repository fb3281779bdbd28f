"""Every write to the archive, in one package (docs/writes.md).

`core` holds what every write does: the version check's `Conflict`, the one helper that writes
history (`record`), and the cache generations, moved for the pages worked out from the rows a write
changed (`Write`). The other modules hold one kind of write each: `posts`, `sessions`, `people`
(merging participants), `imports` (a file version's changes to a paper's rows), `backups` (a backup
into an empty archive) and `admin`. Callers use the names below: `writes.answer(...)`,
`writes.Conflict`."""

from discussions.writes.admin import admin_delete, admin_save
from discussions.writes.core import (
    RESUBMIT_WINDOW,
    Conflict,
    Refused,
    Write,
    archive_write,
    new_token,
    paper_of,
    question_of,
    record,
)
from discussions.writes.people import MergeError, merge_participants
from discussions.writes.posts import (
    OthersWrote,
    answer,
    ask,
    claim,
    claim_authorship,
    decide_authorship,
    fill,
    mark_discussed,
    remove,
    restore,
    save_text,
    set_authors,
    set_topics,
    unclaim,
)
from discussions.writes.sessions import (
    SESSION_FIELDS,
    attach,
    detach,
    propose,
    replace,
    save_references,
    set_page_index,
    update_session,
)
from discussions.writes.sources import exported, keep_readme, keep_source

__all__ = [
    "RESUBMIT_WINDOW",
    "SESSION_FIELDS",
    "Conflict",
    "MergeError",
    "OthersWrote",
    "Refused",
    "Write",
    "admin_delete",
    "admin_save",
    "answer",
    "archive_write",
    "ask",
    "attach",
    "claim",
    "claim_authorship",
    "decide_authorship",
    "detach",
    "exported",
    "fill",
    "keep_readme",
    "keep_source",
    "mark_discussed",
    "merge_participants",
    "new_token",
    "paper_of",
    "propose",
    "question_of",
    "record",
    "remove",
    "replace",
    "restore",
    "save_references",
    "save_text",
    "set_authors",
    "set_page_index",
    "set_topics",
    "unclaim",
    "update_session",
]
