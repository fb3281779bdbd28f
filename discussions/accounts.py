"""Logging in: by username or email, throttled by django-axes.

Members are invited (discussions.invites), so they know their username only from the invite;
their email is easier to remember, and logs them in too. Repeated failures for one account or
from one address are refused for a while (AXES_* in settings): the refusal is the login page
again with a message saying so, for the site's login and the admin's alike.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


def account_for(login):
    """The account a login names: its username, else its email when exactly one account has it."""
    User = get_user_model()
    login = (login or "").strip()
    if not login:
        return None
    try:
        return User._default_manager.get_by_natural_key(login)
    except User.DoesNotExist:
        pass
    if "@" not in login:
        return None
    # Two accounts with one email: neither is meant, so neither logs in (invites refuse to make one).
    matches = list(User._default_manager.filter(email__iexact=login)[:2])
    return matches[0] if len(matches) == 1 else None


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = account_for(username)
        if user is None:
            # Hash anyway, so a wrong name takes as long as a wrong password (as ModelBackend does).
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class UsernameOrEmail:
    """The login form's first field takes a username or an email (254 characters, an email's most)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.label = _("Username or email")
        # Django's field checks no length: a longer login would reach axes, whose attempt row
        # holds 255 characters, and fail there (on PostgreSQL) instead of as a form error.
        field.max_length = field.widget.attrs["maxlength"] = 254
        field.validators.append(MaxLengthValidator(254))


class LoginForm(UsernameOrEmail, AuthenticationForm):
    pass


class AdminLoginForm(UsernameOrEmail, AdminAuthenticationForm):
    pass


def lockout_username(request, credentials=None):
    """What axes counts failures against: the account, however it was named (username or email)."""
    given = (credentials or {}).get("username") or request.POST.get("username", "")
    user = account_for(given)
    return user.get_username() if user else given.strip().lower()[:254]  # axes keeps 255 at most


def client_ip(request):
    """The address axes counts failures against.

    Behind PROXY_COUNT proxies, the client's address is the one the outermost proxy appended to
    X-Forwarded-For, counted from the right: anything to its left the client may have written itself.
    """
    proxies = settings.PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies and forwarded[-proxies]:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def lockout_message():
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return ngettext(
        "Too many failed logins for this account or from this address. Try again in %(minutes)d minute.",
        "Too many failed logins for this account or from this address. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def locked_out(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the login page again (the admin's for the admin), with the reason.

    429 Too Many Requests, so scripts see the refusal; what was typed in the username field stays.
    """
    data = {"username": request.POST.get("username", "")}
    if request.path == reverse("admin:login"):
        form = AdminLoginForm(request, data=data)
        template = "admin/login.html"
        context = {
            **admin.site.each_context(request),
            "app_path": request.get_full_path(),
            "title": _("Log in"),
            "site_header": admin.site.site_header,
        }
    else:
        form = LoginForm(request, data=data)
        template = "registration/login.html"
        context = {}
    # Only the lockout is said: validating without a password (so without trying it) added
    # a "required" error, which goes.
    form.errors.clear()
    form.add_error(None, lockout_message())
    context.update(form=form, next=request.POST.get("next", ""))
    return render(request, template, context, status=429)
