"""``!web`` in chat and ``botkit web-login`` on the command line."""

from __future__ import annotations

import re

from web_kit import Browser

from botkit.cli import main
from botkit.testing import ADMIN, MEMBER, OWNER


def link_in(text: str) -> str:
    found = re.search(r"https?://\S+/login/[\w-]+", text)
    assert found, text
    return found[0]


async def test_an_admin_gets_a_link_for_their_server_in_a_dm(bot, browser) -> None:
    replies = await bot.send("!web", user=ADMIN)
    said = {s.channel_id: s.text for s in replies}
    assert said["600"] == "I sent you a sign-in link in a direct message."
    assert "login" not in said["600"]
    page = await browser.sign_in(link_in(said["dm-2"]))
    assert page.url.endswith("/s/500/")
    assert (await browser.get("/s/501/")).status == 403


async def test_a_member_gets_no_link(bot) -> None:
    replies = await bot.send("!web", user=MEMBER)
    assert replies.text == "Only server admins (Manage Server) can use this command."
    assert all(s.channel_id == "600" for s in replies)


async def test_an_admin_in_a_dm_is_told_where_to_ask(bot) -> None:
    replies = await bot.dm("!web", user=ADMIN)
    assert replies.text.startswith("Send !web in a server you administer")


async def test_the_owner_gets_a_link_in_a_dm(bot, browser) -> None:
    replies = await bot.dm("!web", user=OWNER)
    page = await browser.sign_in(link_in(replies.text))
    assert "Your servers" in page.plain and "(owner)" in page.plain


async def test_with_the_console_off_web_says_so(botkit_harness) -> None:
    async with botkit_harness() as bot:
        replies = await bot.send("!web", user=ADMIN)
    assert replies.text == "The web console is off; the bot's owner turns it on with [web] listen."


async def test_web_login_prints_a_link_the_running_bot_accepts(
    tmp_path, capsys, monkeypatch
) -> None:
    from botkit.testing import start_harness

    config = tmp_path / "botkit.toml"
    config.write_text(
        '[bot]\nowner_ids = ["1"]\ndata_dir = "data"\n[web]\nlisten = "127.0.0.1:0"\n'
        'public_url = "http://console.test"\n'
    )
    raw = {"bot": {"owner_ids": ["1"]}, "web": {"listen": "127.0.0.1:0"}}
    async with start_harness(config=raw, data_dir=tmp_path / "data") as bot:
        assert await _cli_link(config) == 0
        link = link_in(capsys.readouterr().out)
        assert link.startswith("http://console.test/login/")
        client = Browser(bot.bot.web.base_url)
        try:
            page = await client.sign_in(link)
            assert "(owner)" in page.plain
        finally:
            await client.close()


async def _cli_link(config) -> int:
    import asyncio

    return await asyncio.to_thread(main, ["web-login", "--config", str(config)])


def test_web_login_with_the_console_off_says_how_to_turn_it_on(tmp_path, capsys) -> None:
    config = tmp_path / "botkit.toml"
    config.write_text('[bot]\ndata_dir = "data"\n')
    assert main(["web-login", "--config", str(config)]) == 2
    assert "the web console is off: set [web] listen" in capsys.readouterr().err
