"""Requests the archive refuses before any view runs."""

from django.shortcuts import render

from discussions import rules


def refuse_control_characters(get_response):
    """A path or query parameter holding a NUL or another character XML cannot hold answers 400.

    PostgreSQL cannot hold a NUL in text at all: `/search/?q=%00` or `/topics/%00/` reached the
    database as a query it refused, a 500. No address of the site has such characters, and a
    search for one finds nothing a person could type, so they are refused here, for every view
    (the admin's lists and searches too), with a page that says so.
    """

    def middleware(request):
        values = [request.path, *request.GET.keys()]
        values += [value for key in request.GET for value in request.GET.getlist(key)]
        if any(rules.NOT_XML.search(value) for value in values):
            return render(request, "400.html", {"control_character": True}, status=400)
        return get_response(request)

    return middleware
