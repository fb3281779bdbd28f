"""The admin's saves and deletes of any row of the archive.

The version a post's admin form was loaded at travels in the form (a hidden field) and is checked
here, in the write's own transaction, on the row locked for it: the admin's forms validate, they
do not lock. Each write's docstring says which rows it locks, after the archive's generation
(writes.core).
"""

from django.utils.translation import gettext as _

from discussions.models import Paper, Post, Question
from discussions.writes.core import Conflict, archive_write


def admin_save(obj, *, user, created, changed_fields, expected_version=None):
    """An admin's save of any row of the archive. Locks the row being changed.

    expected_version: the version a post's form was loaded at; a post changed since is refused
    with Conflict, carrying the row as it is now (None: a caller that is not a form, no check).
    A title or URL of a paper changed here is locked: importing its file again keeps it. A form
    the admin did not change writes nothing: no new version, no history."""
    if not created and not changed_fields:
        return
    with archive_write() as write:
        before = None if created else _locked(obj, expected_version)
        if isinstance(obj, Paper):
            # A title or URL given by hand wins over the file's on every later import.
            obj.lock(changed_fields)
            if "session_date" in changed_fields:
                obj.date_from_history = False  # a date staff gave, no longer the history's guess
        if isinstance(obj, Post):
            if created or "body" in changed_fields:
                # Text written in the admin is written in the app: a re-import keeps it.
                obj.written_in_app = True
            if not created:
                # A member's open edit form now sees a new version and shows the conflict.
                obj.version = before.version + 1
            if created and not obj.position:
                thread = {"paper": obj.paper} if isinstance(obj, Question) else {"question": obj.question}
                obj.position = type(obj).objects.next_position(**thread)
        obj.save()
        write.changed(obj, before, user=user)


def _locked(obj, expected_version):
    """The row as it is now, locked until the write commits, so nothing is written between the
    check and the save; Conflict if it is gone, or a post moved past `expected_version`."""
    current = type(obj).objects.select_for_update(no_key=True).filter(pk=obj.pk).first()
    if current is None:
        raise Conflict(_("This was deleted meanwhile."))
    if isinstance(current, Post) and expected_version is not None and current.version != expected_version:
        raise Conflict(_("Someone saved this meanwhile."), current)
    return current


def admin_delete(obj, *, user):
    """Delete a row and what it takes with it (a paper's thread), each recorded in the history as
    deleted. Locks nothing before the DELETE itself."""
    with archive_write() as write:
        write.delete([obj], user=user)
