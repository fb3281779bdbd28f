"""What the browser scenarios share: interface text, logging in, screenshots."""

import re
from pathlib import Path
from urllib.parse import quote

from django.utils import translation

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PAPER_TITLE = "Language Models are Few-Shot Learners"


def t(msgid, language="ko"):
    """The interface text the app shows for `msgid` in `language`."""
    with translation.override(language):
        return translation.gettext(msgid)


def screenshot(page, name, full_page=False):
    """Saved under tests/artifacts/ (git-ignored), to look at what the scenario saw."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    filename = re.sub(r"[^\w.-]+", "-", name) + ".png"
    page.screenshot(path=str(ARTIFACTS / filename), full_page=full_page)


def log_in(page, site, username, next_path="/"):
    """Through the real login form, as a member would."""
    page.goto(site.url(f"/accounts/login/?next={quote(next_path)}"))
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(next_path.split("#")[0]) + r"(#.*)?$"))


def log_out(page):
    page.locator(".site-header form[action$='/logout/'] button").click()
    page.wait_for_load_state()
