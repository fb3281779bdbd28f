"""Markdown → HTML at save time: math as MathML, highlighted code, and nothing that can run."""

import re

import pytest

from discussions import writes
from discussions.rendering import render_markdown


def test_it_renders_the_groups_inline_math_as_mathml():
    html = render_markdown(r"점수는 $Score=\frac {\log P} {T}$ 로 정의합니다.")
    assert html.startswith("<p>점수는 ")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert "<mfrac><mrow><mi>log</mi><mi>P</mi></mrow><mrow><mi>T</mi></mrow></mfrac>" in html
    assert "$" not in html and r"\frac" not in html


def test_it_renders_escaped_braces_and_set_symbols():
    html = render_markdown(r"$r\in R \cup \{\phi\}$")
    assert "<mo>∈</mo>" in html and "<mo>∪</mo>" in html
    assert '<mo stretchy="false">{</mo><mi>ϕ</mi><mo stretchy="false">}</mo>' in html


def test_display_math_on_its_own_lines_is_a_block():
    html = render_markdown("위 식은\n\n$$\n\\sum_{i=1}^n x_i\n$$\n\n입니다.")
    assert '<div class="math block">' in html
    assert 'display="block"' in html
    assert "<munderover><mo>∑</mo>" in html


def test_display_math_inside_a_sentence_keeps_the_paragraph_whole():
    html = render_markdown("그래서 $$a+b$$ 가 됩니다.")
    assert html.startswith("<p>") and html.strip().endswith("</p>")
    assert (
        '<span class="math display"><math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in html
    )


@pytest.mark.parametrize("text", ["가격은 $5 and $10 입니다.", "$ x $ 는 수식이 아닙니다", "US$ 100"])
def test_dollar_signs_in_prose_stay_text(text):
    html = render_markdown(text)
    assert "<math" not in html
    assert "$" in html


@pytest.mark.parametrize("latex", [r"x^", r"\left( x", r"\begin{matrix} a"])
def test_malformed_latex_shows_its_source_instead_of_failing(latex):
    html = render_markdown(f"식: ${latex}$ 끝")
    assert "<math" not in html
    assert f'<code class="math-source">{latex.replace("<", "&lt;")}</code>' in html
    assert html.endswith("끝</p>\n")


@pytest.mark.django_db
def test_a_body_with_malformed_latex_still_saves(seeded):
    from discussions.models import Answer

    answer = Answer.objects.filter(body="").first()
    assert writes.save_text(answer, r"아마도 $\left( x^$ 일까요", expected_version=answer.version, user=None)
    answer.refresh_from_db()
    assert 'class="math-source"' in answer.body_html
    assert "아마도" in answer.body_html


def test_fenced_code_is_highlighted_with_pygments_classes():
    html = render_markdown("```python\ndef f(x):\n    return x  # 주석\n```")
    assert html.startswith('<pre class="highlight"><code>')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">f</span>' in html
    assert '<span class="c1"># 주석</span>' in html


@pytest.mark.parametrize("fence", ["```", "```not-a-language"])
def test_code_without_a_known_language_is_escaped_plain_text(fence):
    html = render_markdown(f"{fence}\n<b>x</b> & $y$\n```")
    assert html == '<pre class="highlight"><code>&lt;b&gt;x&lt;/b&gt; &amp; $y$\n</code></pre>\n'


def test_math_inside_inline_code_stays_code():
    assert render_markdown("`$x$`") == "<p><code>$x$</code></p>\n"


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>안녕",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">링크</a>',
        '<math href="javascript:alert(1)"><mi>x</mi></math>',
        '<math><maction actiontype="statusline"><mi>x</mi><mtext>y</mtext></maction></math>',
        '<p style="position:fixed" onclick="alert(1)">글</p>',
        '<svg><script>alert(1)</script></svg><iframe src="https://example.com"></iframe>',
    ],
)
def test_nothing_typed_into_a_body_can_run(text):
    html = render_markdown(text)
    lowered = html.lower()
    assert "<script" not in lowered and "<iframe" not in lowered and "<svg" not in lowered
    assert "javascript:" not in lowered
    assert not re.search(r"\son\w+=", lowered)
    assert (
        "style=" not in lowered
        and "maction" not in lowered
        and "href=" not in lowered.replace('rel="nofollow noopener noreferrer"', "")
    )


def test_a_body_cannot_borrow_the_sites_own_classes():
    html = render_markdown('<span class="waiting skip-link k">x</span><div class="question">y</div>')
    assert '<span class="k">x</span>' in html
    assert "waiting" not in html and "skip-link" not in html and "question" not in html


def test_links_and_korean_text_still_render_as_before():
    html = render_markdown("(** https://arxiv.org/abs/1911.03064)\n두 번째 줄")
    assert '<a href="https://arxiv.org/abs/1911.03064" rel="nofollow noopener noreferrer">' in html
    assert "<br>" in html and "두 번째 줄" in html


def test_an_empty_body_renders_as_nothing():
    assert render_markdown("  \n") == ""


# A body's text never disappears from its rendering (issue 11).


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<!-- 이건 주석이 아니라 본문입니다", "&lt;!-- 이건 주석이 아니라 본문입니다"),
        ("<!-- 첫 줄\n\n둘째 문단도 보여야 합니다", "둘째 문단도 보여야 합니다"),
        ("앞부분 <!-- 가운데\n뒷부분도 남습니다", "뒷부분도 남습니다"),
        ("앞부분 <!-- 닫힌 주석 --> 뒷부분", "&lt;!-- 닫힌 주석 --&gt; 뒷부분"),
        ("a < b 이고 <c 는 태그가 아닙니다", "a &lt; b 이고 &lt;c 는 태그가 아닙니다"),
        ("<div\n다음 줄", "다음 줄"),
        ("<?php echo 1; ?> 끝", "&lt;?php echo 1; ?&gt; 끝"),
        ("<![CDATA[ 안 ]]> 끝", "&lt;![CDATA[ 안 ]]&gt; 끝"),
    ],
)
def test_a_comment_or_a_stray_angle_bracket_shows_as_text(text, shown):
    assert shown in render_markdown(text)


def test_whole_tags_around_text_are_still_html():
    assert render_markdown("x <sub>2</sub> 와 <b>굵게</b>") == "<p>x <sub>2</sub> 와 <b>굵게</b></p>\n"


LINK_PAYLOADS = [
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript&#58;alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "ftp://example.com/x",
]


@pytest.mark.parametrize("url", LINK_PAYLOADS)
@pytest.mark.parametrize(
    "template",
    ["[클릭]({url})", "![그림]({url})", '<a href="{url}">클릭</a>', '<img src="{url}">', "<{url}>"],
)
def test_no_link_in_a_body_leaves_the_allowed_schemes(url, template):
    html = render_markdown(template.format(url=url))
    targets = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert all(target.startswith(("http://", "https://", "mailto:", "/", "#")) for target in targets)
    assert "ftp:" not in "".join(targets)


def test_allowed_and_relative_links_still_link():
    html = render_markdown("[a](https://x.org) [b](mailto:a@b.c) [c](/papers/gpt-3/#q4)")
    assert re.findall(r'href="([^"]*)"', html) == ["https://x.org", "mailto:a@b.c", "/papers/gpt-3/#q4"]
