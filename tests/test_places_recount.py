"""The migration that recounts stored places: posts imported before places.py knew counted places
and ranges get their chips (discussions/migrations/*_recount_places.py)."""

import importlib
from pathlib import Path

from django.apps import apps

from discussions import reader
from discussions.importer import import_discussion
from discussions.models import Answer, Question

MIGRATIONS = Path(__file__).resolve().parent.parent / "discussions" / "migrations"


def recount_places():
    # Found by its name, not its number: the number changes when branches merge.
    (path,) = MIGRATIONS.glob("*_recount_places.py")
    importlib.import_module(f"discussions.migrations.{path.stem}").recount_places(apps, None)


def test_posts_stored_before_the_new_places_get_them(db):
    text = (
        "## 토론\nQ1 (정훈). 5번 섹션과 식 (1)~(6)이 궁금합니다.\n"
        "A1 (소연). 두번째 페이지를 보세요.\nA1 (민상). 답\n"
    )
    import_discussion(reader.read(text, "p.md"), filename="p.md")
    Question.objects.update(places=[])  # as stored before
    Answer.objects.update(places=[])

    recount_places()

    assert Question.objects.get().places == [
        {"key": "section:5", "text": "5번 섹션"},
        {"key": "equation:1", "text": "식 (1)~(6)"},
    ]
    assert [answer.places for answer in Answer.objects.order_by("position")] == [
        [{"key": "page:2", "text": "두번째 페이지"}],
        [],
    ]
