"""The site's URLs plus the benchmark's do-nothing view, routed only when bench/settings.py serves."""

from django.urls import path

from studygroup import bench_views
from studygroup.urls import handler400  # noqa: F401
from studygroup.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("bench/noop/", bench_views.noop, name="bench_noop"),  # the benchmark's yardstick
    *site_urlpatterns,
]
