"""Pages plugins add with ``botkit_web_pages``: rights, form tokens, actions logged, escaping,
downloads."""

from __future__ import annotations

import logging

import pytest
from web_kit import ADMIN, OWNER, Browser, link_for

from botkit import hookimpl
from botkit.testing import start_harness
from botkit.web.pages import WebPage


async def signed_in(bot, browser, grant=ADMIN):
    return await browser.sign_in(await link_for(bot, grant))


async def test_a_plugins_page_is_in_the_servers_navigation(bot, browser) -> None:
    page = await signed_in(bot, browser)
    assert 'href="/s/500/p/demo/notes"' in page.text
    shown = await browser.get("/s/500/p/demo/notes")
    assert shown.status == 200
    assert "Signed in as admin (admin)." in shown.plain


async def test_an_action_changes_the_plugins_data_and_is_logged_with_who(
    bot, browser, caplog
) -> None:
    page = await signed_in(bot, browser)
    caplog.set_level(logging.INFO, "botkit.web")
    done = await browser.post("/s/500/p/demo/notes/add", {"text": "<b>bold</b>", "csrf": page.csrf})
    assert "Note added: <b>bold</b>" in done.plain
    assert "<b>bold</b>" not in done.text  # escaped, never markup
    assert "demo/notes/add in 500 by user 2 (admin, web)" in caplog.text
    assert await bot.bot.plugin_handle("demo").get_value("500", "notes") == ["<b>bold</b>"]


async def test_an_action_refused_by_the_plugin_says_why(bot, browser) -> None:
    page = await signed_in(bot, browser)
    refused = await browser.post("/s/500/p/demo/notes/add", {"text": " ", "csrf": page.csrf})
    assert refused.status == 422
    assert "Write a note first." in refused.plain


async def test_an_action_without_the_form_token_is_refused(bot, browser) -> None:
    await signed_in(bot, browser)
    refused = await browser.post("/s/500/p/demo/notes/add", {"text": "x", "csrf": "forged"})
    assert refused.status == 403
    assert await bot.bot.plugin_handle("demo").get_value("500", "notes") is None


async def test_another_servers_admin_cannot_see_or_change_it(bot, browser) -> None:
    page = await signed_in(bot, browser, ADMIN.__class__("2", "admin", spaces=("999",)))
    assert (await browser.get("/s/500/p/demo/notes")).status == 403
    posted = await browser.post("/s/500/p/demo/notes/add", {"text": "x", "csrf": page.csrf})
    assert posted.status == 403
    assert await bot.bot.plugin_handle("demo").get_value("500", "notes") is None


async def test_an_owner_only_page_is_hidden_from_admins(bot, browser) -> None:
    page = await signed_in(bot, browser)
    assert "p/demo/secret" not in page.text
    assert (await browser.get("/s/500/p/demo/secret")).status == 404


async def test_the_owner_sees_the_owner_only_page(bot, browser) -> None:
    await signed_in(bot, browser, OWNER)
    shown = await browser.get("/s/500/p/demo/secret")
    assert "Signed in as owner (owner)." in shown.plain


async def test_a_download_is_the_plugins_file(bot, browser) -> None:
    page = await signed_in(bot, browser)
    await browser.post("/s/500/p/demo/notes/add", {"text": "one", "csrf": page.csrf})
    async with browser.http.get(browser.base + "/s/500/p/demo/notes/file/notes.txt") as got:
        assert got.headers["Content-Disposition"] == 'attachment; filename="notes.txt"'
        assert await got.text() == "one"
    assert (await browser.get("/s/500/p/demo/notes/file/other.txt")).status == 404


def test_a_page_slug_must_fit_in_an_address() -> None:
    async def render(view):
        return ""

    with pytest.raises(ValueError, match="lower-case letters"):
        WebPage("Bad Slug/..", "Bad", render)


class Broken:
    """A plugin whose page fails, and one whose hook returns the wrong thing."""

    @hookimpl
    def botkit_web_pages(self) -> list[WebPage]:
        async def render(view):
            raise RuntimeError("the page's database is gone")

        return [WebPage("broken", "Broken", render)]


class Wrong:
    @hookimpl
    def botkit_web_pages(self) -> list[str]:
        return ["not a page"]


async def test_a_failing_page_is_logged_and_shows_no_details(tmp_path, clock, caplog) -> None:
    config = {"bot": {"owner_ids": ["1"]}, "web": {"listen": "127.0.0.1:0"}}
    async with start_harness(
        {"broken": Broken()}, config=config, data_dir=tmp_path, wall_clock=clock
    ) as bot:
        browser = Browser(bot.bot.web.base_url)
        try:
            await signed_in(bot, browser)
            failed = await browser.get("/s/500/p/broken/broken")
        finally:
            await browser.close()
    assert failed.status == 500
    assert "The broken plugin failed; the details are in the bot's log." in failed.plain
    assert "database is gone" not in failed.plain
    assert "web: plugin broken failed in page broken" in caplog.text


async def test_a_plugin_returning_no_pages_is_marked_with_why(tmp_path, clock) -> None:
    config = {"bot": {"owner_ids": ["1"]}, "web": {"listen": "127.0.0.1:0"}}
    async with start_harness(
        {"wrong": Wrong()}, config=config, data_dir=tmp_path, wall_clock=clock, strict=False
    ) as bot:
        status = bot.bot.plugins.statuses["wrong"]
    assert status.state == "error"
    assert "botkit.web.WebPage objects" in status.error
