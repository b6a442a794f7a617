"""The console in a real browser, with the chat harness beside it: what one changes, the
other sees."""

from __future__ import annotations

import re

from web_kit import ADMIN, OWNER, link_for

from botkit.models import Channel
from botkit.testing import ADMIN as CHAT_ADMIN
from botkit.testing import MEMBER


async def sign_in(page, bot, grant=OWNER) -> str:
    link = await link_for(bot, grant)
    await page.goto(link)
    await page.get_by_role("button", name="Sign in").click()
    return link


async def test_a_link_signs_in_once(bot, page, shots) -> None:
    link = await link_for(bot, ADMIN)
    await page.goto(link)
    await page.screenshot(path=shots / "sign-in.png")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/s/500/$"))
    assert await page.get_by_role("heading", level=1).inner_text() == "Server 500"
    await page.screenshot(path=shots / "overview.png", full_page=True)
    await page.goto(link)
    assert "expired or was already used" in await page.inner_text("main")
    await page.screenshot(path=shots / "link-used.png")


async def test_switching_a_plugin_off_shows_in_chat(bot, page, shots) -> None:
    await sign_in(page, bot, ADMIN)
    await page.get_by_role("link", name="Plugins").click()
    await page.get_by_role("button", name="Switch demo off").click()
    assert "Plugin demo off here." in await page.get_by_role("status").inner_text()
    await page.screenshot(path=shots / "plugins.png", full_page=True)
    assert "`demo`  disabled here" in (await bot.send("!plugins", user=CHAT_ADMIN)).text


async def test_a_setting_saved_in_the_browser_is_what_chat_uses(bot, page, shots) -> None:
    await sign_in(page, bot, ADMIN)
    await page.goto(page.url + "plugins/demo")
    await page.get_by_label("Value of greeting").fill("good morning")
    await (
        page.locator("form", has=page.get_by_label("Value of greeting"))
        .get_by_role("button", name="Save")
        .click()
    )
    await page.get_by_label("Value of temperature").fill("7")
    await (
        page.locator("form", has=page.get_by_label("Value of temperature"))
        .get_by_role("button", name="Save")
        .click()
    )
    assert (
        "temperature must be between 0 and 1, not 7" in await page.get_by_role("alert").inner_text()
    )
    await page.screenshot(path=shots / "settings.png", full_page=True)
    assert (await bot.send("!greet")).text == "good morning"


async def test_a_rule_added_in_the_browser_refuses_in_chat(bot, page, shots) -> None:
    await sign_in(page, bot, ADMIN)
    await page.get_by_role("link", name="Rules").click()
    await page.get_by_label("Command or plugin name").fill("greet")
    await page.get_by_label("Applies to").select_option("server")
    await page.get_by_role("button", name="Add rule").click()
    assert "Rule added" in await page.get_by_role("status").first.inner_text()
    assert (await bot.send("!greet", user=MEMBER)).text == "!greet is disabled in this server."
    await page.locator("#chk-command").fill("greet")
    await page.get_by_label("User id").fill("3")
    await page.get_by_role("button", name="Check").click()
    assert "User 3 may not run !greet here" in await page.inner_text("main")
    await page.screenshot(path=shots / "rules.png", full_page=True)


async def test_the_usage_chart_after_traffic(bot, page, shots, clock) -> None:
    for day in range(6):
        for _ in range(day % 3 + 1):
            await bot.send("hello", mention=True)
        clock.now += 86_400
    await sign_in(page, bot, ADMIN)
    await page.get_by_role("link", name="Usage").click()
    chart = page.get_by_role("img", name="Messages per day")
    assert await chart.is_visible()
    bars = page.locator("svg.chart").first.locator("rect")
    assert await bars.count() == 30
    assert await page.locator("rect title", has_text="2024-06-03: 3 messages").count() == 1
    await page.screenshot(path=shots / "usage.png", full_page=True)


async def test_a_member_gets_no_link_and_an_admin_sees_only_their_server(bot, page, shots) -> None:
    replies = await bot.send("!web", user=MEMBER)
    assert "login" not in replies.text and all(s.channel_id == "600" for s in replies)
    await bot.send("!hi", channel=Channel(id="700", guild_id="501"))
    await sign_in(page, bot, ADMIN)
    response = await page.goto(page.url.replace("/s/500/", "/s/501/rules"))
    assert response is not None and response.status == 403
    assert "only the servers you administer" in await page.inner_text("main")
    await page.screenshot(path=shots / "not-yours.png")


async def test_a_narrow_screen_needs_no_sideways_scrolling(bot, page, shots) -> None:
    await bot.send("!rules add deny command greet server")
    await page.set_viewport_size({"width": 375, "height": 740})
    await sign_in(page, bot, ADMIN)
    for path in ("", "plugins", "plugins/demo", "rules", "usage", "tools", "p/demo/notes"):
        await page.goto(re.sub(r"/s/500/.*", f"/s/500/{path}", page.url))
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, path
    await page.screenshot(path=shots / "rules-375.png", full_page=True)


async def test_a_tool_switched_off_in_the_browser_is_off_in_chat(bot, page, shots) -> None:
    await sign_in(page, bot, ADMIN)
    await page.get_by_role("link", name="Tools").click()
    await page.get_by_role("button", name="Switch off: roll").click()
    assert "no longer uses roll" in await page.get_by_role("status").inner_text()
    await page.screenshot(path=shots / "tools.png", full_page=True)
    assert "`roll` (demo) off" in (await bot.send("!tools", user=CHAT_ADMIN)).text


async def test_the_keyboard_reaches_the_content_first(bot, page) -> None:
    await sign_in(page, bot, ADMIN)
    await page.wait_for_load_state("load")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
    await page.keyboard.press("Enter")
    await page.wait_for_url("**#main")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.tagName")
    assert focused in ("A", "BUTTON")
