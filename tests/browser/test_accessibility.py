"""axe-core (bundled by axe-playwright-python) on the main pages, light and dark:
no serious or critical violations."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/",
    "/papers/language-models-are-few-shot-learners/",
    "/topics/bias/",
    "/search/?q=%ED%9A%A8%EC%9C%A8",
    "/open/",
    "/accounts/login/",
]


def serious(results):
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_main_pages_have_no_serious_accessibility_violations(site, new_page, personas, scheme):
    axe = Axe()
    page = new_page(color_scheme=scheme)
    found = {}
    for path in PAGES:
        page.goto(site.url(path))
        if problems := serious(axe.run(page)):
            found[path] = problems
    # A member sees forms too: the fill form in the thread, their open answers.
    log_in(page, site, "alice", "/open/?mine=1")
    for path in [site.paper.get_absolute_url(), "/open/?mine=1"]:
        page.goto(site.url(path))
        if problems := serious(axe.run(page)):
            found[f"{path} (member)"] = problems
    assert not found, "\n".join(f"{path}: {problem}" for path, ps in found.items() for problem in ps)


def test_the_english_interface_has_no_serious_accessibility_violations(site, new_page):
    axe = Axe()
    page = new_page(locale="en-US")
    for path in PAGES[:2]:
        page.goto(site.url(path))
        assert not serious(axe.run(page)), path
