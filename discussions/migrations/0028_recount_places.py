from django.db import migrations


def recount_places(apps, schema_editor):
    """Posts read before places.py knew `5번 섹션`, `두번째 페이지`, `2.1 섹션` and `식 (1)~(6)` get those
    chips now (the same function saves do); only the posts whose places change are written."""
    from discussions.places import places_in

    for name in ("Question", "Answer"):
        model = apps.get_model("discussions", name)
        changed = []
        for post in model.objects.exclude(body="").only("pk", "body", "places").iterator(chunk_size=2000):
            places = places_in(post.body)
            if places != post.places:
                post.places = places
                changed.append(post)
            if len(changed) >= 2000:
                model.objects.bulk_update(changed, ["places"])
                changed = []
        model.objects.bulk_update(changed, ["places"])


class Migration(migrations.Migration):
    dependencies = [
        ("discussions", "0027_paper_source_path_date_from_history"),
    ]

    operations = [
        migrations.RunPython(recount_places, migrations.RunPython.noop),
    ]
