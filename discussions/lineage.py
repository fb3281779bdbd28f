"""Which post of one version of a discussion file is which post of the next: pure Python.

A file's history is a list of versions (readings of it, oldest first). The maintainer edits them
by hand: adds a question, fills an answer, fixes a typo, and once restyled every file — signed
posts (`Q1 (정훈).`, `A1 (소연).`) became unsigned ones (`- Q1.`, `>- A1-1.`), answers renumbered on
the way. A label is what someone typed, not a key: a post is followed by its text, as git follows
a renamed file by its content's similarity.

Between two consecutive versions, questions are matched across the whole file, then each matched
question's answers and replies within it, in three rounds, each one-to-one:
1. the same text (after normalising its whitespace and Unicode form): the same post, whatever its
   label or signature now says; several posts of one text pair in order, the same label first;
2. similar text, greedily best pair first (difflib's ratio, or how much of the shorter text the
   longer one keeps, for a post that grew), at SIMILAR or above; ties go to the same label, then
   to the nearer place;
3. the same label and no other signer where one side is empty: an open answer filled in (or
   emptied), whose text says nothing yet; then open answers on both sides, in their order (a
   restyle renumbered them).
What is left is new in the later version (its lineage begins there) or gone from it.

Each lineage gets an import key when it begins, the key the importer would give it then
(`label|signature|n`, discussions.importer._keys), made unique among everything that thread
ever held (`~2`, `~3` …), and keeps it in every later version: a re-import by that key finds the
same row, with its creation date, history and author. Keys are local to their siblings, as the
importer's are (it prefixes an answer's key with its parent's).
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher

# A post followed into the next version keeps at least this much of its text: git's own default
# for a rename is 50%; a little more here, because posts are short and two short answers of the
# same thread ("좋네요", "좋아요") share half their letters without being one post.
SIMILAR = 0.6
# A text that grew (an answer extended) keeps all of its old text: how much of the shorter text
# the longer one holds counts, a little below an equal text, so an unchanged post still wins.
CONTAINED = 0.9
# Below this many characters, containment says little ("네." is in many answers).
CONTAINED_MIN_LENGTH = 12


@dataclass
class Lineage:
    """Per version, per post in walk order (each question, then its answers in thread order):

    ids: the lineage the post belongs to (the same number in two versions: the same post);
    keys: its import key, local to its siblings;
    authors: its signature, or the last one an earlier version of it gave (None: never signed);
    threads: (the lineage of its question, the lineage of the answer it replies to): (its own,
    None) for a question, (its question's, None) for an answer.
    born: for each lineage, the index of the version where it began."""

    ids: list[list[int]] = field(default_factory=list)
    keys: list[list[str]] = field(default_factory=list)
    authors: list[list[str | None]] = field(default_factory=list)
    threads: list[list[tuple[int, int | None]]] = field(default_factory=list)
    born: dict[int, int] = field(default_factory=dict)

    def states(self) -> dict[int, list[tuple[int, int]]]:
        """Each lineage's appearances, oldest first: (version index, walk index in that version)."""
        found = defaultdict(list)
        for version, ids in enumerate(self.ids):
            for index, lineage in enumerate(ids):
                found[lineage].append((version, index))
        return dict(found)


@dataclass
class _Node:
    post: object
    index: int  # its place in the version's walk order
    parent: _Node | None  # the answer it replies to; None for a question and an answer
    question_node: _Node | None  # the question of its thread; None for a question
    position: int  # its place among the posts it is matched with (questions, or its thread)
    text: str
    lineage: int = -1


def walk(questions):
    """The posts of a version in walk order: each question, then its answers in thread order."""
    for node in _nodes(questions):
        yield node.post


def follow(versions) -> Lineage:
    """The lineage of every post of `versions`: lists of reader.Question (or anything with
    label, author, body, answers; answers with replies), oldest first."""
    result = Lineage()
    next_id = 0
    keys_of: dict[tuple, str] = {}  # (lineage, scope) → key
    taken: dict[tuple, set[str]] = defaultdict(set)  # scope → keys ever given in it
    authors: dict[int, str | None] = {}
    previous: list[_Node] = []
    for number, questions in enumerate(versions):
        nodes = list(_nodes(questions))
        if previous:
            _match(previous, nodes)
        for node in nodes:
            if node.lineage < 0:
                node.lineage = next_id
                result.born[next_id] = number
                next_id += 1
        ids, keys, signed, threads = [], [], [], []
        bases = Counter()
        for node in nodes:
            scope = _scope(node)
            base = f"{node.post.label}|{_nfc(node.post.author or '')}"
            bases[(scope, base)] += 1
            key = keys_of.get((node.lineage, scope))
            if key is None:
                key = wanted = f"{base}|{bases[(scope, base)]}"
                suffix = 1
                while key in taken[scope]:
                    suffix += 1
                    key = f"{wanted}~{suffix}"
                taken[scope].add(key)
                keys_of[(node.lineage, scope)] = key
            if node.post.author:
                authors[node.lineage] = _nfc(node.post.author)
            ids.append(node.lineage)
            keys.append(key)
            signed.append(authors.get(node.lineage))
            question = node.question_node or node
            threads.append((question.lineage, node.parent.lineage if node.parent is not None else None))
        result.ids.append(ids)
        result.keys.append(keys)
        result.authors.append(signed)
        result.threads.append(threads)
        previous = nodes
    return result


def _scope(node: _Node) -> tuple:
    # Keys are unique among siblings: a question among questions, an answer under its question
    # (or its parent answer); lineages, not walk indexes, so the scope is the same in every version.
    if node.question_node is None:
        return ("questions",)
    return (node.question_node.lineage, node.parent.lineage if node.parent is not None else None)


def _nodes(questions):
    index = 0
    for q_position, question in enumerate(questions):
        q_node = _Node(question, index, None, None, q_position, _normalised(question.body))
        yield q_node
        index += 1
        stack = [(answer, None) for answer in reversed(question.answers)]
        position = 0
        while stack:
            answer, parent = stack.pop()
            node = _Node(answer, index, parent, q_node, position, _normalised(answer.body))
            yield node
            index += 1
            position += 1
            stack.extend((reply, node) for reply in reversed(answer.replies))


def _normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _match(previous: list[_Node], current: list[_Node]):
    """Give each post of `current` the lineage of the post of `previous` it continues, if any."""
    old_questions = [n for n in previous if n.question_node is None]
    new_questions = [n for n in current if n.question_node is None]
    for old, new in _pairs(old_questions, new_questions):
        new.lineage = old.lineage
    thread = defaultdict(list)
    for node in previous:
        if node.question_node is not None:
            thread[("old", node.question_node.lineage)].append(node)
    for node in current:
        if node.question_node is not None:
            thread[("new", node.question_node.lineage)].append(node)
    for question in new_questions:
        if question.lineage < 0:
            continue  # a new question: all its answers are new
        for old, new in _pairs(thread[("old", question.lineage)], thread[("new", question.lineage)]):
            new.lineage = old.lineage


def _pairs(old: list[_Node], new: list[_Node]):
    """One-to-one pairs (old, new) of the same post, in the three rounds the module's text says."""
    pairs = []
    left_old, left_new = list(old), list(new)

    # 1. The same text.
    by_text = defaultdict(list)
    for node in left_old:
        by_text[node.text].append(node)
    unmatched = []
    for node in left_new:
        same = by_text.get(node.text)
        if not same or not node.text:
            unmatched.append(node)
            continue
        found = next((o for o in same if o.post.label == node.post.label), same[0])
        same.remove(found)
        pairs.append((found, node))
    paired = {id(o) for o, _ in pairs}
    left_old = [o for o in left_old if id(o) not in paired]
    left_new = unmatched

    # 2. Similar text, best pair first.
    candidates = []
    for o in left_old:
        for n in left_new:
            score = similarity(o.text, n.text)
            if score >= SIMILAR:
                rank = (-score, o.post.label != n.post.label, abs(o.position - n.position), o.index, n.index)
                candidates.append((*rank, o, n))
    candidates.sort(key=lambda c: c[:5])
    used_old, used_new = set(), set()
    for *_rank, o, n in candidates:
        if id(o) in used_old or id(n) in used_new:
            continue
        used_old.add(id(o))
        used_new.add(id(n))
        pairs.append((o, n))
    left_old = [o for o in left_old if id(o) not in used_old]
    left_new = [n for n in left_new if id(n) not in used_new]

    # 3. An open answer filled in, or a text emptied: the label and signer say it. Then open
    # answers still open, renumbered by a restyle (`A9 (쯔위).` → `>- A1-9.`): in their order.
    for same_label in (True, False):
        unmatched = []
        for n in left_new:
            for o in left_old:
                if (
                    (o.post.label == n.post.label if same_label else not o.text and not n.text)
                    and (not o.text or not n.text)
                    and (not o.post.author or not n.post.author or _nfc(o.post.author) == _nfc(n.post.author))
                ):
                    left_old.remove(o)
                    pairs.append((o, n))
                    break
            else:
                unmatched.append(n)
        left_new = unmatched
    return pairs


def similarity(a: str, b: str) -> float:
    """How much two normalised texts are one text: 1.0 equal, 0.0 nothing in common."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    shorter = min(len(a), len(b))
    # An upper bound first, in linear time (the letters the two share, in any order): most pairs
    # of a rewritten file stop here, before the quadratic comparison.
    bound = matcher.quick_ratio()
    if shorter >= CONTAINED_MIN_LENGTH:
        bound = max(bound, CONTAINED * bound * (len(a) + len(b)) / (2 * shorter))
    if bound < SIMILAR:
        return 0.0
    ratio = matcher.ratio()
    if shorter >= CONTAINED_MIN_LENGTH:
        kept = sum(block.size for block in matcher.get_matching_blocks()) / shorter
        ratio = max(ratio, CONTAINED * kept)
    return ratio
