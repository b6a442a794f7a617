"""The Tools page: the assistant's tools here, switched and set to ask first as !tools does."""

from __future__ import annotations

import logging

from web_kit import ADMIN, link_for


async def signed_in(bot, browser, grant=ADMIN):
    return await browser.sign_in(await link_for(bot, grant))


async def test_the_tools_are_listed_with_their_state(bot, browser) -> None:
    await signed_in(bot, browser)
    page = await browser.get("/s/500/tools")
    assert page.status == 200
    assert "roll demo Roll a die. on Switch off runs without asking" in " ".join(page.plain.split())


async def test_switching_a_tool_off_is_what_chat_sees(bot, browser, caplog) -> None:
    await signed_in(bot, browser)
    page = await browser.get("/s/500/tools")
    caplog.set_level(logging.INFO, "botkit.web")
    done = await browser.post(
        "/s/500/tools", {"tool": "roll", "change": "disable", "csrf": page.csrf}
    )
    assert "The assistant no longer uses roll here." in done.plain
    assert "tool roll enabled=False in 500 by user 2 (admin, web)" in caplog.text
    assert "`roll` (demo) off" in (await bot.send("!tools")).text


async def test_asking_first_set_in_chat_shows_on_the_web(bot, browser) -> None:
    await bot.send("!tools approval roll on")
    await signed_in(bot, browser)
    assert "asks first" in (await browser.get("/s/500/tools")).plain


async def test_an_unknown_tool_is_refused(bot, browser) -> None:
    await signed_in(bot, browser)
    page = await browser.get("/s/500/tools")
    refused = await browser.post(
        "/s/500/tools", {"tool": "nope", "change": "disable", "csrf": page.csrf}
    )
    assert refused.status == 422
    assert "No such tool here" in refused.plain


async def test_another_servers_admin_cannot_change_tools(bot, browser) -> None:
    page = await signed_in(bot, browser, ADMIN.__class__("2", "admin", spaces=("999",)))
    refused = await browser.post(
        "/s/500/tools", {"tool": "roll", "change": "disable", "csrf": page.csrf}
    )
    assert refused.status == 403
    assert "`roll` (demo) on" in (await bot.send("!tools")).text
