"""Telegram messages become botkit messages: chats, commands, mentions, replies, topics."""

from __future__ import annotations

import json

from conftest import Commands, EchoChat, Observer

from botkit import ChannelKind


async def test_hi_is_answered_with_a_reply_to_the_command(telegram_harness):
    async with telegram_harness() as tg:
        replies = await tg.send("/hi")
    assert replies.text == "HI!"
    reply = json.loads(replies[0].params["reply_parameters"])
    assert reply["message_id"] == replies[0].result["reply_to_message"]["message_id"]


async def test_command_addressed_to_this_bot_by_name_is_answered(telegram_harness):
    async with telegram_harness() as tg:
        replies = await tg.send("/hi@botkit_test_bot", chat=tg.group, user=tg.member)
    assert replies.text == "HI!"


async def test_a_command_reaches_the_host_as_typed_and_runs_by_name(telegram_harness):
    seen = Observer()
    async with telegram_harness(plugins={"seen": seen}) as tg:
        replies = await tg.send("/hi@botkit_test_bot", chat=tg.group, user=tg.member)
    assert replies.text == "HI!"
    assert [m.content for m in seen.messages] == ["/hi@botkit_test_bot"]


async def test_command_addressed_to_another_bot_is_ignored(telegram_harness):
    async with telegram_harness() as tg:
        replies = await tg.send("/hi@some_other_bot", chat=tg.group, user=tg.member)
    assert replies.methods == []


async def test_prefix_commands_work_too(telegram_harness):
    async with telegram_harness() as tg:
        replies = await tg.send("!hi")
    assert replies.text == "HI!"


async def test_help_lists_every_plugins_commands(telegram_harness):
    async with telegram_harness(plugins={"tools": Commands()}) as tg:
        replies = await tg.send("/help")
    assert "tools" in replies.text
    for name in ("hi", "help", "train start", "wipe", "whoami"):
        assert f"!{name} " in replies.text


async def test_start_shows_help_when_no_plugin_has_a_start_command(telegram_harness):
    async with telegram_harness() as tg:
        replies = await tg.send("/start")
    assert "!hi Say hello." in replies.text


async def test_underscored_command_reaches_the_command_with_a_space(telegram_harness):
    async with telegram_harness(plugins={"tools": Commands()}) as tg:
        replies = await tg.send("/train_start cats and dogs")
    assert replies.text == "training on cats and dogs"


async def test_private_message_gets_a_chat_answer(telegram_harness):
    async with telegram_harness(plugins={"chat": EchoChat()}) as tg:
        replies = await tg.send("hello there")
    assert replies.text == "you said: hello there"


async def test_group_message_without_mention_or_reply_is_not_answered(telegram_harness):
    async with telegram_harness(plugins={"chat": EchoChat()}) as tg:
        replies = await tg.send("hello everyone", chat=tg.group, user=tg.member)
    assert replies.methods == []


async def test_group_message_mentioning_the_bot_is_answered_without_the_mention(
    telegram_harness,
):
    async with telegram_harness(plugins={"chat": EchoChat()}) as tg:
        replies = await tg.send("@botkit_test_bot what is up", chat=tg.group, user=tg.member)
    assert replies.text == "you said: what is up"


async def test_group_reply_to_the_bot_is_answered_with_the_replied_text(telegram_harness):
    async with telegram_harness(plugins={"chat": EchoChat()}) as tg:
        first = await tg.send("@botkit_test_bot ping", chat=tg.group, user=tg.member)
        bot_message = first[0].result["message_id"]
        replies = await tg.send("and more", chat=tg.group, user=tg.member, reply_to=bot_message)
    assert replies.text == "you said: and more (about: you said: ping)"


async def test_group_reply_to_someone_else_is_not_answered(telegram_harness):
    async with telegram_harness(plugins={"chat": EchoChat()}) as tg:
        _, said = await tg.fake.say(tg.group, tg.admin, "I said something")
        replies = await tg.send(
            "me too", chat=tg.group, user=tg.member, reply_to=said["message_id"]
        )
    assert replies.methods == []


async def test_forum_topic_is_a_thread_and_the_answer_stays_in_it(telegram_harness):
    tools = Commands()
    async with telegram_harness(plugins={"tools": tools}) as tg:
        forum = tg.fake.group("forum", forum=True)
        topic = tg.fake.topic(forum, "Support", tg.admin)
        replies = await tg.send("/whoami", chat=forum, user=tg.member, topic=topic)
    channel = tools.seen[0].channel
    assert channel.kind is ChannelKind.THREAD
    assert (channel.id, channel.name, channel.parent_id) == (
        f"{forum['id']}/{topic}",
        "Support",
        str(forum["id"]),
    )
    assert tools.seen[0].reference is None  # the topic header is no reply
    assert replies[0].params["message_thread_id"] == str(topic)


async def test_group_admin_status_comes_from_get_chat_member(telegram_harness):
    async with telegram_harness(plugins={"tools": Commands()}) as tg:
        admin = await tg.send("/wipe", chat=tg.group, user=tg.admin)
        member = await tg.send("/wipe", chat=tg.group, user=tg.member)
    assert admin.text == "wiped"
    assert member.text.startswith("Only server admins")


async def test_admin_status_is_looked_up_once_per_user_and_group(telegram_harness):
    async with telegram_harness(plugins={"tools": Commands()}) as tg:
        first = await tg.send("/whoami", chat=tg.group, user=tg.admin)
        second = await tg.send("/whoami", chat=tg.group, user=tg.admin)
    assert first.of("getChatMember") and not second.of("getChatMember")
    assert second.text == "Ada admin=True owner=False"


async def test_configured_owner_id_makes_the_owner(telegram_harness):
    async with telegram_harness(plugins={"tools": Commands()}) as tg:
        replies = await tg.send("/whoami")
    assert replies.text == "Olga admin=True owner=True"


async def test_ignored_group_chatter_costs_no_api_call(telegram_harness):
    async with telegram_harness(plugins={"chat": EchoChat()}) as tg:
        replies = await tg.send("just talking", chat=tg.group, user=tg.admin)
    assert replies.methods == []


async def test_getfile_with_a_path_out_of_the_files_directory_sends_nothing(telegram_harness):
    async with telegram_harness() as tg:
        replies = await tg.send("/getfile ../../etc/passwd")
    assert replies.of("sendDocument") == []
    assert replies.uploads == []
    assert replies.text  # a refusal the user can read
