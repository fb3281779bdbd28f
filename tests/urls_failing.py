"""A URL that fails, to see the 500 page a visitor would get."""

from django.urls import include, path

from studygroup.urls import handler400, handler500  # noqa: F401  (the site's error views)


def broken(request):
    raise RuntimeError("something went wrong on purpose")


urlpatterns = [path("broken/", broken), path("", include("studygroup.urls"))]
