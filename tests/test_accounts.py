"""Accounts: invites that never capture an account through a name, logging in by username or
email, and login throttling (django-axes)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from discussions import reader
from discussions.importer import import_discussion
from discussions.models import Participant

User = get_user_model()


def import_signed(name):
    text = f"Q1 ({name}). 질문입니다\nA1 (정훈). 답입니다\n"
    import_discussion(reader.read(text, "attack.md"), filename="attack.md")
    return Participant.objects.get(name=name)


def invite(*args):
    out = StringIO()
    call_command("invite", *args, stdout=out)
    return out.getvalue()


def user_of_link(link):
    uidb64 = link.rstrip("/").split("/")[-2]
    return User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))


def account(user):
    user.refresh_from_db()
    return (user.username, user.email, user.password, user.is_staff, user.is_superuser)


def log_in(client, login, password, **extra):
    return client.post(reverse("login"), {"username": login, "password": password}, **extra)


# Invites


def test_a_file_signed_with_the_superusers_username_does_not_get_its_account(db):
    admin = User.objects.create_superuser("staff", "admin@example.com", "pw-admin")
    before = account(admin)
    participant = import_signed("staff")

    out = invite("staff", "--email", "attacker@example.com")

    assert account(admin) == before  # not linked, not re-mailed, its password untouched
    participant.refresh_from_db()
    new = participant.user
    assert new != admin and new.username == "staff-2" and not new.is_staff and not new.is_superuser
    assert new.email == "attacker@example.com" and not new.has_usable_password()
    assert user_of_link(out.splitlines()[-1]) == new
    assert "logs in as staff-2" in out


def test_a_name_that_differs_only_in_letter_case_gets_a_username_of_its_own(db):
    admin = User.objects.create_superuser("Staff", "admin@example.com", "pw-admin")
    User.objects.create_user("staff-2")
    import_signed("staff")
    invite("staff")
    user = Participant.objects.get(name="staff").user
    assert user.username == "staff-3" and user != admin


def test_a_name_that_is_another_accounts_email_does_not_become_a_username(client, db):
    User.objects.create_user("bob", "bob@example.com", "pw-bob")
    import_signed("bob@example.com")
    invite("bob@example.com")
    assert Participant.objects.get(name="bob@example.com").user.username == "bob@example.com-2"
    assert log_in(client, "bob@example.com", "pw-bob").status_code == 302  # still bob's login


def test_the_admins_invite_action_never_links_an_account_by_name(staff_client, staff):
    before = account(staff)
    participant = import_signed("curator")  # the `staff` fixture's superuser is called curator
    data = {"action": "send_invites", "index": 0, "_selected_action": [participant.pk], "invite": "1"}
    response = staff_client.post(reverse("admin:discussions_participant_changelist"), data, follow=True)
    participant.refresh_from_db()
    assert participant.user != staff and participant.user.username == "curator-2"
    assert account(staff) == before
    html = response.content.decode()
    assert (
        "logs in as curator-2 and can set a password once at: http://127.0.0.1:8000/accounts/reset/" in html
    )


def test_inviting_again_reuses_the_linked_account_and_updates_its_email(db):
    import_signed("쯔위")
    invite("쯔위")
    user = Participant.objects.get(name="쯔위").user
    out = invite("쯔위", "--email", "tzuyu@example.com")
    assert User.objects.count() == 1 and user_of_link(out.splitlines()[-1]) == user
    user.refresh_from_db()
    assert user.email == "tzuyu@example.com"
    assert "쯔위 logs in as 쯔위 (or tzuyu@example.com)" in out


def test_a_staff_account_linked_to_the_participant_by_staff_is_the_one_invited(personas):
    carol = personas["carol"]  # staff linked her account to 정훈 in the admin
    out = invite("정훈")
    assert user_of_link(out.splitlines()[-1]) == carol and "logs in as carol" in out


def test_someone_in_no_file_yet_is_added_with_their_full_name(db):
    out = invite("새사람", "--full-name", "김새사람", "--email", "new@example.com")
    participant = Participant.objects.get(name="새사람")
    assert participant.full_name == "김새사람"
    assert participant.user.username == "새사람" and participant.user.email == "new@example.com"
    assert out.startswith("added 새사람 (김새사람) as a new participant")


def test_an_unknown_name_without_a_full_name_is_refused_and_adds_nobody(db):
    with pytest.raises(CommandError, match="--full-name"):
        invite("오타난이름")
    assert not Participant.objects.exists() and not User.objects.exists()


def test_a_name_too_long_for_a_participant_is_refused(db):
    with pytest.raises(CommandError, match="101 characters long; 100 at most"):
        invite("새" * 101, "--full-name", "김새사람")
    with pytest.raises(CommandError, match="--full-name is 101 characters long"):
        invite("새사람", "--full-name", "김" * 101)
    assert not Participant.objects.exists()


def test_an_email_another_account_has_is_refused_and_changes_nothing(db):
    other = User.objects.create_user("other", "Shared@Example.com", "pw")
    with pytest.raises(CommandError, match="already the email of another account"):
        invite("새사람", "--full-name", "김새사람", "--email", "shared@example.com")
    assert not Participant.objects.exists() and list(User.objects.all()) == [other]
    participant = import_signed("쯔위")
    with pytest.raises(CommandError, match="already the email of another account"):
        invite("쯔위", "--email", "shared@example.com")
    participant.refresh_from_db()
    assert participant.user is None and User.objects.count() == 1


def test_a_malformed_email_is_refused(db):
    import_signed("쯔위")
    with pytest.raises(CommandError, match="not an email address"):
        invite("쯔위", "--email", "not-an-email")
    assert not User.objects.exists()


def test_an_invite_finds_a_participant_by_a_name_they_had_before_a_merge(db):
    participant = import_signed("이정훈")
    participant.aliases.create(name="정훈이")
    invite("정훈이")
    participant.refresh_from_db()
    assert participant.user.username == "이정훈"


def test_the_set_password_page_says_the_username(client, db):
    import_signed("staff")
    User.objects.create_user("staff")
    link = invite("staff").splitlines()[-1]
    response = client.get(link.removeprefix("http://127.0.0.1:8000"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Your username is <strong>staff-2</strong>" in response.content.decode()


# Logging in with a username or an email


def test_a_member_logs_in_with_their_email_in_any_letter_case(client, db):
    User.objects.create_user("쯔위", "Tzuyu@Example.com", "pw-tzuyu")
    response = log_in(client, "tzuyu@EXAMPLE.com", "pw-tzuyu")
    assert response.status_code == 302
    assert client.get("/").context["user"].username == "쯔위"


def test_an_email_two_accounts_share_logs_in_neither(client, db):
    User.objects.create_user("one", "same@example.com", "pw-same")
    User.objects.create_user("two", "same@example.com", "pw-same")
    response = log_in(client, "same@example.com", "pw-same", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    assert log_in(client, "one", "pw-same").status_code == 302  # the username still works


def test_the_login_form_says_username_or_email(client, db):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Username or email" in html and 'maxlength="254"' in html
    assert "사용자 이름 또는 이메일" in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize("url", [reverse("login"), reverse("admin:login")])
def test_a_login_too_long_to_be_an_email_is_a_form_error_not_a_server_error(client, db, url):
    response = client.post(url, {"username": "x" * 400 + "@example.com", "password": "pw"})
    assert response.status_code == 200
    assert "254" in response.content.decode()  # Ensure this value has at most 254 characters


def test_staff_log_in_to_the_admin_with_their_email(client, staff):
    response = client.post(
        reverse("admin:login"),
        {"username": "CURATOR@example.com", "password": "pw-curator", "next": "/admin/"},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"


# Login throttling


@pytest.fixture
def member(db):
    return User.objects.create_user("bob", "bob@example.com", "pw-bob")


def fail(client, login, times, address="10.0.0.1"):
    for _ in range(times):
        response = log_in(client, login, "wrong", REMOTE_ADDR=address)
    return response


def test_after_too_many_failures_the_right_password_is_refused_with_a_message(client, member, settings):
    fail(client, "bob", settings.AXES_FAILURE_LIMIT)
    response = log_in(client, "bob", "pw-bob", REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    html = response.content.decode()
    assert "로그인 실패가 너무 많습니다" in html and "15분 뒤에 다시 시도해 주세요" in html
    assert 'class="site-header"' in html and 'value="bob"' in html  # the site's page, what was typed kept
    assert "_auth_user_id" not in client.session


def test_the_lockout_message_is_in_english_for_an_english_reader(client, member, settings):
    fail(client, "bob", settings.AXES_FAILURE_LIMIT)
    response = log_in(client, "bob", "pw-bob", REMOTE_ADDR="10.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
    assert "Too many failed logins for this account or from this address. Try again in 15 minutes." in (
        response.content.decode()
    )


def test_fewer_failures_than_the_limit_still_let_the_member_in(client, member, settings):
    fail(client, "bob", settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, "bob", "pw-bob", REMOTE_ADDR="10.0.0.1").status_code == 302


def test_after_the_cool_off_the_right_password_works_again(client, member, settings):
    from axes.models import AccessAttempt

    fail(client, "bob", settings.AXES_FAILURE_LIMIT)
    assert log_in(client, "bob", "pw-bob", REMOTE_ADDR="10.0.0.1").status_code == 429
    # The cool-off passes: the failures are dated back by it (no waiting in a test).
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
        attempt.save()
    assert log_in(client, "bob", "pw-bob", REMOTE_ADDR="10.0.0.1").status_code == 302


def test_another_account_from_another_address_is_not_locked(client, member, settings):
    User.objects.create_user("alice", "alice@example.com", "pw-alice")
    fail(client, "bob", settings.AXES_FAILURE_LIMIT)
    assert log_in(client, "alice", "pw-alice", REMOTE_ADDR="10.0.0.2").status_code == 302


def test_the_account_is_locked_from_any_address(client, member, settings):
    fail(client, "bob", settings.AXES_FAILURE_LIMIT)
    assert log_in(client, "bob", "pw-bob", REMOTE_ADDR="10.9.9.9").status_code == 429


def test_the_address_is_locked_for_any_account(client, member, settings):
    User.objects.create_user("alice", "alice@example.com", "pw-alice")
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess{n}", "wrong", REMOTE_ADDR="10.0.0.1")
    assert log_in(client, "alice", "pw-alice", REMOTE_ADDR="10.0.0.1").status_code == 429


def test_failures_by_email_and_by_username_count_for_the_same_account(client, member, settings):
    fail(client, "BOB@example.com", settings.AXES_FAILURE_LIMIT - 1, address="10.0.0.1")
    fail(client, "bob", 1, address="10.0.0.2")
    assert log_in(client, "bob", "pw-bob", REMOTE_ADDR="10.0.0.3").status_code == 429


def test_the_admin_login_is_throttled_too_with_the_admins_page(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("admin:login"), {"username": "curator", "password": "wrong"}, REMOTE_ADDR="10.0.0.1"
        )
    response = client.post(
        reverse("admin:login"),
        {"username": "curator", "password": "pw-curator"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed logins" in html and 'id="login-form"' in html
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_behind_a_proxy_the_client_address_is_the_one_the_proxy_added(client, member, settings):
    settings.PROXY_COUNT = 1
    User.objects.create_user("alice", "alice@example.com", "pw-alice")
    for n in range(settings.AXES_FAILURE_LIMIT):
        # An attacker writes an address of their own on the left; the proxy appends the real one.
        log_in(
            client,
            f"guess{n}",
            "wrong",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.1.1.{n}, 203.0.113.9",
        )
    locked = log_in(client, "alice", "pw-alice", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert locked.status_code == 429
    # Another client behind the same proxy is not locked by it.
    other = log_in(client, "alice", "pw-alice", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert other.status_code == 302
