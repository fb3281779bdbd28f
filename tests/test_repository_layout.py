"""The pure part of import_repository: a folder's listing laid out into sessions, its README, the
files its texts link (discussions.repolayout). No database."""

import pytest

from discussions import repolayout

IMAGES = {"img/3-1.png", "img/fig 2.png"}


def test_a_listing_becomes_sessions_numbered_by_name_or_by_the_readme():
    order = {"third one": 3}
    sessions, notes = repolayout.lay_out(
        [
            "1. Towards Some Paper.md",
            "Towards Some Paper.md",
            "2. Another Paper",
            "Third One.md",
            "README.md",
            ".gitignore",
        ],
        order,
    )
    assert {(s.number, s.title, s.name) for s in sessions.values()} == {
        (1, "Towards Some Paper", "1. Towards Some Paper.md"),
        (2, "Another Paper", "2. Another Paper"),
        (3, "Third One", "Third One.md"),
    }
    assert notes == ["Towards Some Paper.md: an older copy of “1. Towards Some Paper.md” (skipped)"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("8. RoBERTa: A Robustly Optimized.md", (8, "RoBERTa: A Robustly Optimized")),
        ("4. A Paper Without Extension", (4, "A Paper Without Extension")),
        ("12) Twelve.MD", (12, "Twelve")),
        ("GPT-3.5 notes.md", (None, "GPT-3.5 notes")),
        ("2.5 Things", (None, "2.5 Things")),
    ],
)
def test_a_file_name_gives_the_session_number_and_title(name, expected):
    assert repolayout.split_name(name) == expected


def test_the_readme_gives_full_names_and_the_order():
    readme = repolayout.read_readme(
        "# 시즌 2\n\n## 참여자\n이정훈, 김소연, 남궁민상\n\n## 논문 목록\n1. Towards Some Paper\n"
        "2. [Another  Paper](https://arxiv.org/abs/1)\n"
    )
    assert readme.full_names == ["이정훈", "김소연", "남궁민상"]
    assert readme.order == {"towards some paper": 1, "another paper": 2}
    assert repolayout.read_readme("# Just a title\n") == repolayout.Readme()


def test_the_templates_placeholder_names_in_the_readme_are_nobody():
    readme = repolayout.read_readme("## 참여자\n이정훈, 이름, 김소연, 이름2\n")
    assert readme.full_names == ["이정훈", "김소연"]


def test_summary_pdfs_find_their_session_by_number_then_title():
    sessions, _ = repolayout.lay_out(["1. Towards Some Paper.md", "Another Paper.md"])
    assert repolayout.summary_session("1. Slides.pdf", sessions) == "towards some paper"
    assert repolayout.summary_session("1.pdf", sessions) == "towards some paper"
    assert repolayout.summary_session("another-paper.pdf", sessions) == "another paper"
    assert repolayout.summary_session("9. Unknown.pdf", sessions) is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("img/3-1.png", "img/3-1.png"),
        ("./img/3-1.png", "img/3-1.png"),
        ("../season2/img/3-1.png", "img/3-1.png"),
        ("img/fig%202.png", "img/fig 2.png"),
        ("https://github.com/group/papers/blob/main/season2/img/3-1.png", "img/3-1.png"),
        ("https://github.com/group/papers/blob/main/season2/img/3-1.png?raw=true", "img/3-1.png"),
        ("https://github.com/group/papers/raw/feature/x/season2/img/3-1.png", "img/3-1.png"),
        ("https://raw.githubusercontent.com/group/papers/main/season2/img/3-1.png", "img/3-1.png"),
        # Not this folder's, or not there: stays as written.
        ("https://github.com/group/papers/blob/main/season1/img/3-1.png", None),
        ("../season1/img/3-1.png", None),
        ("img/9-9.png", None),
        ("/img/3-1.png", None),
        ("https://example.org/season2/img/3-1.png", None),
        ("../../etc/passwd", None),
    ],
)
def test_a_link_finds_the_folders_file(target, expected):
    assert repolayout.file_in_folder(target, ["season2"], IMAGES) == expected


def test_links_are_rewritten_in_markdown_and_html_and_nothing_else():
    text = (
        '![fig](img/3-1.png "Figure 3") and <img width="300" src="https://github.com/o/r/blob/main/s/img/3-1.png">'
        " and [a link](https://arxiv.org/abs/1) and img/3-1.png in prose"
    )
    new = repolayout.rewrite_links(
        text, lambda target: "/attachments/7/" if target.endswith("3-1.png") else None
    )
    assert new == (
        '![fig](/attachments/7/ "Figure 3") and <img width="300" src="/attachments/7/">'
        " and [a link](https://arxiv.org/abs/1) and img/3-1.png in prose"
    )
