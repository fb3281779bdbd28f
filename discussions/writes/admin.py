"""The admin's saves and deletes of any row of the archive."""

from django.utils.translation import gettext as _

from discussions.models import (
    Post,
    Question,
)
from discussions.writes.core import Conflict, _user, archive_write

# The admin


def check_version(obj, expected_version):
    """Lock an admin form's row and check nobody changed it since the form was shown.

    Called while the admin's form is validated, inside the admin's own transaction: the lock
    holds until the save, so nothing can be written between the check and the save.
    """
    current = type(obj).objects.select_for_update(no_key=True).filter(pk=obj.pk).first()
    if current is None:
        raise Conflict(_("This was deleted meanwhile."))
    if isinstance(current, Post) and current.version != expected_version:
        raise Conflict(_("Someone saved this meanwhile."), current)
    return current


def admin_save(obj, *, user, created, changed_fields):
    """An admin's save of any row of the archive (its row locked by check_version when changed).

    A form the admin did not change writes nothing: no new version, no history."""
    if not created and not changed_fields:
        return
    with archive_write():
        if isinstance(obj, Post):
            if created or "body" in changed_fields:
                # Text written in the admin is written in the app: a re-import keeps it.
                obj.written_in_app = True
            if not created:
                # A member's open edit form now sees a new version and shows the conflict.
                obj.version += 1
            if created and not obj.position:
                thread = {"paper": obj.paper} if isinstance(obj, Question) else {"question": obj.question}
                obj.position = type(obj).objects.next_position(**thread)
        obj._history_user = _user(user)
        obj.save()


def admin_delete(obj, *, user):
    with archive_write():
        obj._history_user = _user(user)
        obj.delete()
