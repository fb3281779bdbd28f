"""What the screens show at a desk (1280 px) and on a phone (390 px), measured in Chromium: the
header's height, the Settings page's controls beside their labels."""

import pytest

from tests.browser.helpers import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_a_members_header_takes_two_lines_at_most(site, new_page, personas, width):
    page = new_page(width=width, height=800)
    log_in(page, site, "alice", "/")
    header = page.locator(".site-header").bounding_box()
    line = page.locator(".site-nav a").first.bounding_box()["height"]
    screenshot(page, f"header-{width}")
    # The search row and one row of links (with their padding): not the four to six lines it was.
    assert header["height"] < 130, header
    assert line < 40
    # Nothing spills sideways out of the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 390])
def test_the_settings_controls_sit_beside_their_labels_and_fit_their_values(site, new_page, personas, width):
    page = new_page(width=width, height=900)
    log_in(page, site, "alice", "/settings/")
    number = page.locator("input[type=number]").bounding_box()
    assert number["width"] < 160  # a few digits, not the line's width
    checkbox = page.locator("input[type=checkbox]")
    box = checkbox.bounding_box()
    label = page.locator(f"label[for={checkbox.get_attribute('id')}]").bounding_box()
    assert abs(label["y"] - box["y"]) < 20  # on the same line
    assert 0 <= label["x"] - (box["x"] + box["width"]) < 20  # right after it
    screenshot(page, f"settings-{width}", full_page=True)
