"""Removing a question in Chromium (issue 24): 선민 cannot remove his Q8, which 정훈 answered, and
the pages say why and what he can do; staff see whose posts go with it, remove it, and restore it."""

import pytest
from playwright.sync_api import expect

from discussions.models import Answer, Question
from tests.browser.helpers import html_errors, log_in, log_out, screenshot, t

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEPT = "Others answered this; you can edit it, or ask staff to remove it."


def test_a_member_cannot_remove_a_question_others_answered_and_sees_why(site, new_page, personas):
    q8 = Question.objects.get(paper=site.paper, author__name="선민", label="Q8")
    a8 = Answer.objects.get(question=q8, author__name="정훈")
    page = new_page()
    log_in(page, site, "bob", site.paper.get_absolute_url())

    # The edit page offers no removal, and says why.
    page.locator(f"#{q8.anchor} > .actions").get_by_role("link", name=t("Edit")).click()
    expect(page).to_have_url(site.url(f"/questions/{q8.pk}/edit/"))
    expect(page.locator("main")).to_contain_text(t(KEPT))
    expect(page.get_by_role("link", name=t("Delete…"))).to_have_count(0)
    screenshot(page, "removal-1-edit-page-says-why")

    # An old link to the removal (a bookmark, a page from before 정훈 answered) says it too, names
    # his answer, and leads back to editing.
    page.goto(site.url(f"/questions/{q8.pk}/delete/"))
    expect(page.locator("[role=alert]")).to_have_text(t(KEPT))
    expect(page.locator(".removal-list")).to_contain_text(a8.signature)
    expect(page.get_by_role("button", name=t("Remove"))).to_have_count(0)
    screenshot(page, "removal-2-refused-page")
    page.get_by_role("link", name=t("Edit it")).click()
    expect(page).to_have_url(site.url(f"/questions/{q8.pk}/edit/"))
    assert Question.objects.get(pk=q8.pk).hidden_at is None

    # Staff see whose post goes with it, remove it, and bring it back from its history.
    log_out(page)
    log_in(page, site, "carol", f"/questions/{q8.pk}/delete/")
    expect(page.locator(".removal-list")).to_contain_text("정훈 · A8")
    screenshot(page, "removal-3-staff-confirmation")
    page.get_by_role("button", name=t("Remove")).click()
    expect(page).to_have_url(site.url(site.paper.get_absolute_url()))
    expect(page.locator(f"#{q8.anchor}")).to_have_count(0)
    expect(page.locator(f"#{a8.anchor}")).to_have_count(0)

    page.goto(site.url(f"/questions/{q8.pk}/history/"))
    page.get_by_role("button", name=t("Restore it to the thread, with what was removed with it")).click()
    expect(page.locator(f"#{q8.anchor}")).to_be_visible()
    expect(page.locator(f"#{a8.anchor}")).to_be_visible()
    screenshot(page, "removal-4-restored")


def test_the_removal_pages_are_valid_html(client, personas, java, tmp_path):
    from discussions import writes

    q8 = Question.objects.get(author__name="선민", label="Q8")
    q1 = Question.objects.get(label="Q1")
    files = {}
    client.force_login(personas["bob"])
    files["refused"] = client.get(f"/questions/{q8.pk}/delete/")
    files["edit, kept"] = client.get(f"/questions/{q8.pk}/edit/")
    files["refused post"] = client.post(f"/questions/{q8.pk}/delete/", {"version": q8.version})
    client.force_login(personas["carol"])
    files["staff confirmation"] = client.get(f"/questions/{q1.pk}/delete/")
    writes.remove(q1, expected_version=q1.version, user=None)
    files["history with restore"] = client.get(f"/questions/{q1.pk}/history/")
    files["removed meanwhile"] = client.post(f"/questions/{q1.pk}/edit/", {"body": "늦은 글", "version": 1})
    errors = html_errors(files, tmp_path, statuses=(200, 403, 409))
    assert not errors, "\n".join(errors)
