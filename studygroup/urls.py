from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from discussions.accounts import AdminLoginForm, LoginForm

# Members log in with their username or their email (discussions.accounts), here and in the admin.
admin.site.login_form = AdminLoginForm


def favicon(request):
    # Browsers ask for /favicon.ico whatever the page says; the icon is an SVG among the static files.
    return redirect(static("favicon.svg"), permanent=True)


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(form_class=LoginForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Visitors' pages are cached whole (discussions/caching.py), so a CSRF token in them would be
    # another visitor's: the language switcher posts without one. Forcing a language is harmless.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("", include("discussions.urls")),
]

# Django's own 400 view renders without the request, so the page could not show the site's header.
handler400 = "discussions.errors.bad_request"
handler500 = "discussions.errors.server_error"
