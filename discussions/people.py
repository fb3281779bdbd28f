"""Who a name is: a file's signature (`정훈`), a listed or README full name (`이정훈`), a presenter.

One set of rules for the importer, a repository's README and merging:
- a name is compared composed (NFC) and trimmed: files exported on macOS carry decomposed Hangul;
- a name is the participant who signs with it, is listed under it as a full name, or was merged
  from it (an alias); a signature wins over another's full name;
- a full name no one has is the one participant whose signature ends it (`남궁민상` → `민상`), else
  a participant of its own.

The rules on names alone (`name`, `ends_a_signature`, `full_name_for`) need no database. Looking
names up, and making the participants a file brings, happens in the caller's transaction.
"""

from django.db.models import Q

from discussions.models import Participant, ParticipantAlias, nfc
from discussions.writes.core import archive_write, create, record


def name(text: str) -> str:
    """A name as the archive compares and stores it: composed (NFC), trimmed."""
    return nfc(text)


def ends_a_signature(full_name, signers) -> bool:
    """Whether a full name ends with one of these signatures (and is more than it)."""
    return any(full_name.endswith(signature) and signature != full_name for signature in signers)


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


def participants(signers, listed) -> dict[str, Participant]:
    """A file's signers and listed names → participants, made when no one has the name; a listed
    full name finds the one signer it ends with. Keyed by each name as given and as composed."""
    signers = {name(signer) for signer in signers if signer}
    known_now = known(signers | {name(each) for each in listed})
    people = {each: known_now.get(each) or _new(each) for each in sorted(signers)}
    for given in listed:
        composed = name(given)
        if composed not in people:
            people[composed] = known_now.get(composed) or by_signature(composed, signers, people)
        people[given] = people[composed]
    return people


def known(names) -> dict[str, Participant]:
    """Who these names are: the participant who signs with one, is listed under it, or was merged
    from it; in two queries however many names there are."""
    aliases = ParticipantAlias.objects.filter(name__in=names).select_related("participant")
    found = {alias.name: alias.participant for alias in aliases}
    people = list(Participant.objects.filter(Q(name__in=names) | Q(full_name__in=names)))
    found |= {person.full_name: person for person in people if person.full_name}
    found |= {person.name: person for person in people}  # a signature wins over another's full name
    return found


def by_signature(full_name, signers, people) -> Participant:
    """`남궁민상` is the one participant whose signature ends it (`민상`), else a participant of its own."""
    suffixes = {full_name[i:] for i in range(1, len(full_name))}
    candidates = {s for s in signers if s in suffixes}
    candidates |= set(Participant.objects.filter(name__in=suffixes).values_list("name", flat=True))
    if len(candidates) != 1:
        return _new(full_name)
    (signature,) = candidates
    # A signer of a file not imported yet (give_full_names) is made here, with the name they sign.
    person = people.get(signature) or Participant.objects.filter(name=signature).first() or _new(signature)
    if not person.full_name:
        person.full_name = full_name
        person.save(update_fields=["full_name"])
        record([person], None)
    return person


def presenter(given, people) -> Participant:
    """The `- 발표 :` name: a signer or listed name of the file, else someone the archive knows,
    else a participant of its own."""
    given = name(given)
    found = people.get(given) or known({given}).get(given)
    return found or _new(given)


def _new(each):
    # With its first history version; no user: a file or a README named them.
    return create(Participant(name=each), user=None)


def give_full_names(full_names, signers=frozenset(), *, only_signed=False) -> list[Participant]:
    """A list of full names (a repository's README): each becomes the full name of the participant
    whose signature ends it (`이정훈` → `정훈`), else a participant of its own. `signers`: the
    signatures the files will bring, so that a name is matched before the file signing it is
    imported; only_signed leaves out a name no signature ends (for later). Returns those written;
    names known already write nothing, and move no generation."""
    names = [name(each) for each in full_names if each.strip()]
    known_now = known(set(names))
    unknown = [each for each in dict.fromkeys(names) if each not in known_now]
    if only_signed:
        unknown = [each for each in unknown if ends_a_signature(each, signers)]
    if not unknown:
        return []
    with archive_write():
        return [by_signature(each, set(signers), {}) for each in unknown]
