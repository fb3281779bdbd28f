"""A paper's answers as threads, walked without recursion: a reply chain may be a thousand deep.

A thread is a flat list in reading order (an answer, then its replies, depth first). Each item
carries `depth`, `has_replies` and `closes` (how many reply lists end after it), so a template
writes the nested lists with one loop instead of including itself once per level.
"""

from discussions import access


def arrange(questions, answers, user):
    """Give each question `.thread` and `.rights`, and each answer `.rights` and its place."""
    member = access.member_of(user)
    children = {}
    for answer in sorted(answers, key=lambda a: (a.position, a.pk)):
        answer.rights = access.rights(user, answer, member=member)
        children.setdefault((answer.question_id, answer.parent_id), []).append(answer)
    for question in questions:
        question.rights = access.rights(user, question, member=member)
        question.thread = flatten(children.get((question.pk, None), []), children)
        # For the table of contents: how many answers, how many still waiting.
        question.open_total = sum(1 for a in question.thread if a.is_open)
        question.answer_total = len(question.thread) - question.open_total


def flatten(roots, children):
    """`roots` and everything under them in reading order, with each item's place in the lists."""
    flat, stack = [], [(answer, 0) for answer in reversed(roots)]
    while stack:
        answer, depth = stack.pop()
        replies = children.get((answer.question_id, answer.pk), [])
        answer.depth, answer.has_replies = depth, bool(replies)
        flat.append(answer)
        stack.extend((reply, depth + 1) for reply in reversed(replies))
    for here, after in zip(flat, [*flat[1:], None], strict=False):
        # An answer with replies opens a list; one without closes its own item and the lists
        # of every level between it and the next answer.
        next_depth = after.depth if after is not None else 0
        here.closes = range(0 if here.has_replies else here.depth - next_depth)
    return flat
