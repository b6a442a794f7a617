"""Markdown to Telegram HTML: always accepted by the Bot API, never longer to read."""

from __future__ import annotations

from botkit_telegram.markdown import to_html
from hypothesis import given
from hypothesis import strategies as st

from botkit_testkit.telegram.entities import parse_html

MARKDOWN_BITS = st.sampled_from(
    [
        "**",
        "*",
        "_",
        "__",
        "~~",
        "||",
        "`",
        "```",
        "```py\n",
        "\n",
        "> ",
        "# ",
        "- ",
        "* ",
        "[a](https://x.y/z?q=1&r=2)",
        "<",
        ">",
        "&",
        "&amp;",
        '"',
        "word",
        " ",
        "é",
        "👍",
    ]
)


@given(st.lists(MARKDOWN_BITS | st.text(max_size=8), max_size=40).map("".join))
def test_any_markdown_becomes_html_telegram_accepts(text):
    visible = parse_html(to_html(text))
    assert len(visible) <= len(text)


def test_emphasis_code_and_links():
    html = to_html("**bold** _it_ ~~gone~~ `x<y` [docs](https://example.com)")
    assert html == (
        '<b>bold</b> <i>it</i> <s>gone</s> <code>x&lt;y</code> <a href="https://example.com">docs</a>'
    )


def test_code_blocks_keep_their_language_and_escape_their_text():
    assert to_html("```python\nif a < b:\n    pass\n```") == (
        '<pre><code class="language-python">if a &lt; b:\n    pass</code></pre>'
    )


def test_snake_case_words_stay_as_written():
    assert to_html("call my_function_name now") == "call my_function_name now"


def test_headings_become_bold_and_quotes_blockquotes():
    assert to_html("# Title\n> quoted\n> lines") == (
        "<b>Title</b>\n<blockquote>quoted\nlines</blockquote>"
    )


def test_crossed_delimiters_stay_properly_nested():
    html = to_html("**a *b** c*")
    parse_html(html)
    assert html == "**a <i>b** c</i>"
