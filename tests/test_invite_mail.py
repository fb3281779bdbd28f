"""Invitations and a member's email, through the outbox and a real SMTP server (aiosmtpd): an
invite with an email is mailed with how long its link works, an expired link says whom to ask,
and Settings changes the address only once a link sent to the new one is opened."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from discussions.models import OutboxMail, Participant, Preference
from tests.test_notifications import send, smtp  # noqa: F401 (the real SMTP server's fixture)


def link_in(message):
    return re.search(r"http://127\.0\.0\.1:8000(/\S+)", message.get_content())[1]


def test_an_invite_with_an_email_is_mailed_with_how_long_its_link_works(seeded, smtp, client):  # noqa: F811
    out = StringIO()
    call_command("invite", "쯔위", "--email", "tzuyu@example.com", stdout=out)
    assert "mailed to tzuyu@example.com" in out.getvalue()
    Preference.objects.update_or_create(
        user=User.objects.get(email="tzuyu@example.com"), defaults={"email": "never"}
    )
    send()  # an account's mail goes whatever the member chose for notifications
    (message,) = smtp.messages
    assert message["To"] == "tzuyu@example.com"
    body = message.get_content()
    assert "3일" in body or "3 days" in body
    assert "쯔위" in body  # the username to log in with
    response = client.get(link_in(message), follow=True)
    assert response.context["validlink"]
    send()
    assert len(smtp.messages) == 1  # mailed once


def test_an_invite_without_an_email_mails_nothing_and_shows_the_link(seeded, smtp):  # noqa: F811
    out = StringIO()
    call_command("invite", "쯔위", stdout=out)
    assert "/accounts/reset/" in out.getvalue() and "mailed" not in out.getvalue()
    assert not OutboxMail.objects.exists()


def test_the_admins_invite_takes_each_ones_email_and_mails_the_link(staff_client, seeded, smtp):  # noqa: F811
    tzuyu, jisung = Participant.objects.get(name="쯔위"), Participant.objects.get(name="지성")
    url = reverse("admin:discussions_participant_changelist")
    chosen = {"action": "send_invites", "_selected_action": [tzuyu.pk, jisung.pk]}
    page = staff_client.post(url, chosen).content.decode()
    assert f'name="email-{tzuyu.pk}"' in page and f'name="email-{jisung.pk}"' in page
    # A bad address: nobody is invited, and the page keeps what was typed.
    bad = {
        **chosen,
        "invite": "1",
        f"email-{tzuyu.pk}": "tzuyu@example.com",
        f"email-{jisung.pk}": "not-an-email",
    }
    page = staff_client.post(url, bad).content.decode()
    assert "not-an-email" in page and 'value="tzuyu@example.com"' in page
    assert (
        not User.objects.filter(participant__in=[tzuyu, jisung]).exists() and not OutboxMail.objects.exists()
    )
    good = {**bad, f"email-{jisung.pk}": ""}
    page = staff_client.post(url, good, follow=True).content.decode()
    assert "tzuyu@example.com" in page  # mailed to her
    assert "/accounts/reset/" in page  # 지성 has no email: his link is shown to pass on
    send()
    assert [message["To"] for message in smtp.messages] == ["tzuyu@example.com"]


def test_an_expired_invite_link_tells_the_member_to_ask_staff(seeded, client, settings):
    out = StringIO()
    call_command("invite", "쯔위", stdout=out)
    path = out.getvalue().strip().splitlines()[-1].removeprefix("http://127.0.0.1:8000")
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link is past its time
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(path, follow=True).content.decode()
    assert "expired" in html and "staff" in html and "invite you again" in html


def test_settings_shows_the_email_and_changes_it_once_the_new_address_confirms(personas, client, smtp):  # noqa: F811
    alice = personas["alice"]
    User.objects.filter(pk=alice.pk).update(email="old@example.com")
    client.force_login(alice)
    assert "old@example.com" in client.get(reverse("discussions:settings")).content.decode()
    response = client.post(reverse("discussions:settings"), {"email_address": "new@example.com"}, follow=True)
    assert "new@example.com" in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == "old@example.com"  # not before the link is opened
    send()
    (message,) = smtp.messages
    assert message["To"] == "new@example.com"
    client.logout()  # the link works from the mail client's browser too
    assert "new@example.com" in client.get(link_in(message)).content.decode()
    alice.refresh_from_db()
    assert alice.email == "new@example.com"
    again = client.get(link_in(message))
    assert again.status_code == 400  # used once


@pytest.mark.parametrize(
    "address, reason",
    [("not-an-email", "valid"), ("bob@example.com", "another account"), ("x" * 250 + "@e.org", "")],
)
def test_a_refused_new_email_keeps_what_was_typed_and_sends_nothing(personas, client, address, reason):
    User.objects.filter(pk=personas["bob"].pk).update(email="bob@example.com")
    client.force_login(personas["alice"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(reverse("discussions:settings"), {"email_address": address})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{address}"' in html and reason in html
    assert not OutboxMail.objects.exists()


def test_a_confirmation_link_is_refused_when_forged_expired_or_the_address_taken_meanwhile(
    personas,
    client,
    settings,
    smtp,  # noqa: F811
):
    client.force_login(personas["alice"])
    client.post(reverse("discussions:settings"), {"email_address": "taken@example.com"})
    send()
    path = link_in(smtp.messages[0])
    assert client.get(path[:-3] + "abc/").status_code == 400
    User.objects.filter(pk=personas["bob"].pk).update(email="taken@example.com")
    assert client.get(path).status_code == 400  # someone else has it now
    User.objects.filter(pk=personas["bob"].pk).update(email="")
    settings.PASSWORD_RESET_TIMEOUT = -1  # past its time
    assert client.get(path).status_code == 400
    personas["alice"].refresh_from_db()
    assert personas["alice"].email != "taken@example.com"
