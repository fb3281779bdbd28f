"""Who two merged participants' full name is (the merge itself: discussions.writes.people)."""

from discussions.models import Participant


def full_name_for(target: Participant, source: Participant) -> str:
    """The source's full name, or its name when that is the target's with a family name in front.

    Files find a signer by a listed name that ends with their signature (`이정훈` → `정훈`), so a
    full name kept that way still leads back to the target on the next import.
    """
    if source.full_name:
        return source.full_name
    if source.name != target.name and source.name.endswith(target.name):
        return source.name
    return ""
