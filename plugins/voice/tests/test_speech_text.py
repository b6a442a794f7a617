"""Chat text made fit to be read aloud."""

from __future__ import annotations

from botkit_voice.speech_text import CUT_NOTE, cut, speakable


def test_markdown_code_and_mentions_are_not_read_aloud():
    text = "**Hi** <@123>, see [the docs](https://x.y/z) and:\n```py\nprint(1)\n```\n`x` done"
    assert speakable(text) == "Hi , see the docs and: (code in the chat) x done"


def test_bare_links_are_called_a_link():
    assert speakable("go to https://example.com/a?b=c now") == "go to a link now"


def test_short_text_is_not_cut():
    assert cut("short text", 100) == ("short text", False)


def test_long_text_is_cut_at_a_word_with_a_note():
    assert cut("alpha beta gamma delta", 13) == (f"alpha beta {CUT_NOTE}", True)
