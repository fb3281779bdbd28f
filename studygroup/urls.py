from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from studygroup import bench_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    # Visitors' pages are cached whole (discussions/caching.py), so a CSRF token in them would be
    # another visitor's: the language switcher posts without one. Forcing a language is harmless.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("bench/noop/", bench_views.noop, name="bench_noop"),  # the benchmark's do-nothing yardstick
    path("", include("discussions.urls")),
]
