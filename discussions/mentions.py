"""Who a post mentions: `@쯔위`, `@쯔위님`, `@이정훈`, anywhere but in code. Pure Python.

Korean names are followed by particles and titles (`@쯔위님`, `@쯔위가`, `@정훈님께`), so a mention is
a name at the start of the word after `@`, not the whole word; the longest name that fits wins, so
`@이정훈` is 이정훈, and `@정훈` is 정훈 even when 이정훈 exists. An address
(`a@b.org`) is not a mention: the `@` must start a word.
"""

import re
import unicodedata

# Fenced code blocks, then inline code spans: what is inside is not a mention.
_FENCED = re.compile(r"^(?P<fence>```+|~~~+).*?^(?P=fence)[ \t]*$", re.M | re.S)
_INDENTED = re.compile(r"^(?: {4}|\t).*$", re.M)
_INLINE = re.compile(r"(?P<ticks>`+).+?(?P=ticks)", re.S)
_AT = re.compile(r"(?<![\w@.])@(?P<word>[^\s@`]+)")
# In rendered text a mention's word stops at punctuation too, so `(@쯔위)` links `쯔위`, not `쯔위)`.
MENTION_IN_TEXT = re.compile(r"(?<![\w@.])@(?P<word>[^\s@`()\[\]{}<>\"',.;:!?]+)")


def mentioned(text: str, names: dict[str, object]) -> list[object]:
    """The people `text` mentions, in order of first mention, each once.

    `names` maps every name a person goes by (their signature, their full name) to that person.
    """
    text = unicodedata.normalize("NFC", text)
    text = _INLINE.sub(" ", _INDENTED.sub(" ", _FENCED.sub(" ", text)))
    by_length = sorted(names, key=len, reverse=True)
    found = []
    for at in _AT.finditer(text):
        name = _name_in(at["word"], by_length)
        if name is not None and names[name] not in found:
            found.append(names[name])
    return found


def who(word: str, names: dict[str, object]) -> object | None:
    """The person a mention's word (`쯔위님께`) names, or None."""
    name = _name_in(unicodedata.normalize("NFC", word), sorted(names, key=len, reverse=True))
    return None if name is None else names[name]


def _name_in(word, by_length):
    return next((name for name in by_length if name and word.startswith(name)), None)
