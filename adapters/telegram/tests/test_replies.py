"""Replies on Telegram: split, formatted, files, typing, streamed edits, flood control."""

from __future__ import annotations

from conftest import Long, Slow, Streaming

from botkit_testkit.telegram.entities import parse_html


def _code_reply() -> str:
    """Over 10,000 characters: prose, a long code block, prose."""
    prose = "\n".join(f"Line {i} of the explanation, plain words." for i in range(100))
    code = "\n".join(f"    value_{i} = compute({i})  # step {i}" for i in range(120))
    return f"{prose}\n```python\n{code}\n```\n{prose[:1400]}\nThe end."


async def test_ten_thousand_character_reply_arrives_whole_in_parts_of_at_most_4096(
    telegram_harness,
):
    text = _code_reply()
    assert len(text) >= 10_000
    async with telegram_harness(plugins={"chat": Long(text)}) as tg:
        replies = await tg.send("explain")
    visible = [m["text"] for m in replies.messages()]
    assert len(visible) == 3 and all(len(v) <= 4096 for v in visible)
    joined = "".join(visible)
    assert all(joined.count(f"value_{i} = compute({i})") == 1 for i in range(120))
    assert visible[-1].endswith("The end.")


async def test_a_split_code_block_is_closed_and_reopened_in_the_next_part(telegram_harness):
    async with telegram_harness(plugins={"chat": Long(_code_reply())}) as tg:
        replies = await tg.send("explain")
    with_code = [c.params["text"] for c in replies if "compute(" in c.params["text"]]
    assert len(with_code) >= 2
    for html in with_code:
        assert html.count("<pre>") + html.count("<pre><code") >= 1
        parse_html(html)  # balanced: Telegram accepted every part


async def test_markdown_is_sent_as_telegram_html(telegram_harness):
    answer = "**Bold** and `code` and [docs](https://example.com/a?b=1&c=2)"
    async with telegram_harness(plugins={"chat": Long(answer)}) as tg:
        replies = await tg.send("format")
    sent = replies[0].params
    assert sent["parse_mode"] == "HTML"
    assert sent["text"] == (
        '<b>Bold</b> and <code>code</code> and <a href="https://example.com/a?b=1&amp;c=2">docs</a>'
    )
    assert replies.text == "Bold and code and docs"


async def test_formatting_telegram_refuses_is_sent_again_as_plain_text(telegram_harness):
    async with telegram_harness(plugins={"chat": Long("**still** delivered")}) as tg:
        tg.fake.reject_entities = True
        replies = await tg.send("format")
    assert [c.status for c in replies.of("sendMessage")] == [400, 200]
    assert replies.text == "**still** delivered"
    assert "parse_mode" not in replies[0].params


async def test_flood_control_retry_after_is_waited_out_then_the_reply_sent(telegram_harness):
    async with telegram_harness() as tg:
        tg.fake.flood("sendMessage", retry_after=7)
        replies = await tg.send("/hi")
    assert [c.status for c in replies.of("sendMessage")] == [429, 200]
    assert tg.sleeps == [7]
    assert replies.text == "HI!"


async def test_a_flood_wait_longer_than_allowed_gives_up_without_sleeping(telegram_harness):
    async with telegram_harness(config={"telegram": {"max_retry_after": 5}}) as tg:
        tg.fake.flood("sendMessage", retry_after=600)
        replies = await tg.send("/hi")
    assert tg.sleeps == []
    assert replies.of("sendMessage")[0].status == 429


async def test_typing_is_shown_while_the_answer_is_made(telegram_harness):
    config = {"bot": {"typing_delay": 0}}
    async with telegram_harness(plugins={"chat": Slow("done")}, config=config) as tg:
        replies = await tg.send("think")
    assert replies.methods[:2] == ["sendChatAction", "sendMessage"]
    assert replies.of("sendChatAction")[0].params["action"] == "typing"


async def test_files_are_sent_as_documents_after_the_text(telegram_harness):
    async with telegram_harness() as tg:
        (tg.bot.config.files_dir / "notes.txt").write_text("remember the milk")
        replies = await tg.send("/getfile notes.txt")
    documents = replies.of("sendDocument")
    assert len(documents) == 1
    assert [(u.filename, u.data) for u in replies.uploads] == [("notes.txt", b"remember the milk")]


async def test_streamed_reply_in_a_group_is_posted_then_edited_to_the_full_text(
    telegram_harness,
):
    clock = iter(range(0, 1000, 5))
    pieces = ["Once ", "upon ", "a time."]
    async with telegram_harness(
        plugins={"chat": Streaming(pieces)}, clock=lambda: next(clock)
    ) as tg:
        replies = await tg.send("@botkit_test_bot story", chat=tg.group, user=tg.member)
    assert replies.text == "Once upon a time."
    assert replies.of("editMessageText")
    assert not replies.of("sendMessageDraft")


async def test_streamed_reply_in_a_private_chat_grows_in_a_draft_then_is_sent_once(
    telegram_harness,
):
    clock = iter(range(0, 1000, 5))
    pieces = ["Once ", "upon ", "a time."]
    async with telegram_harness(
        plugins={"chat": Streaming(pieces)}, clock=lambda: next(clock)
    ) as tg:
        replies = await tg.send("story")
    drafts = tg.fake.drafts  # at most one a second: the pieces here come at once
    assert [text for _, _, text in drafts] == ["Once "]
    assert replies.text == "Once upon a time."
    assert len(replies.of("sendMessage")) == 1
    assert not replies.of("editMessageText")


async def test_group_edits_wait_for_telegrams_interval(telegram_harness):
    now = [100.0]
    async with telegram_harness(clock=lambda: now[0]) as tg:
        chat = tg.group
        sent = await tg.adapter.send(_channel(chat), "one", (), None)
        await tg.adapter.edit(sent, "one two")
        now[0] += 1.0
        await tg.adapter.edit(sent, "one two three")
    assert tg.sleeps == [2.0]  # 3 s between edits in a group, 1 s of it had passed


async def test_private_chat_edits_wait_one_second(telegram_harness):
    now = [100.0]
    async with telegram_harness(clock=lambda: now[0]) as tg:
        chat = tg.dm()
        sent = await tg.adapter.send(_channel(chat), "one", (), None)
        await tg.adapter.edit(sent, "one two")
        await tg.adapter.edit(sent, "one two three")
    assert tg.sleeps == [1.0]


def _channel(chat):
    from botkit import Channel, ChannelKind

    kind = ChannelKind.DM if chat["type"] == "private" else ChannelKind.GUILD_TEXT
    return Channel(id=str(chat["id"]), kind=kind)
