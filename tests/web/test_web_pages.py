"""Rights, plugin switches, settings forms, rules, usage and the page budget."""

from __future__ import annotations

import re

import pytest
from web_kit import ADMIN, OWNER, link_for

from botkit.models import Channel
from botkit.testing import ADMIN as CHAT_ADMIN
from botkit.testing import MEMBER

PAGES = ("", "plugins", "plugins/demo", "rules", "usage")


async def signed_in(bot, browser, grant=OWNER):
    return await browser.sign_in(await link_for(bot, grant))


# --- rights ---


@pytest.mark.parametrize("page", PAGES)
async def test_an_admin_sees_nothing_of_another_server(bot, browser, page) -> None:
    await bot.send("!rules add deny command greet server")  # server 500 has a rule
    other = ADMIN.__class__("2", "admin", spaces=("999",))
    await signed_in(bot, browser, other)
    refused = await browser.get(f"/s/500/{page}")
    assert refused.status == 403
    assert "greet" not in refused.plain and "500" not in refused.plain


async def test_an_admin_lists_only_their_servers(bot, browser) -> None:
    await bot.send("!rules add deny command greet server")
    await bot.send("!hi", channel=Channel(id="700", guild_id="501"))
    await bot.bot.web.usage.flush()
    page = await signed_in(bot, browser, ADMIN.__class__("2", "admin", spaces=("501",)))
    home = await browser.get("/")
    assert page.url.endswith("/s/501/")
    assert "501" in home.plain and "500" not in home.plain


async def test_the_owner_lists_every_server_but_no_direct_messages(bot, browser) -> None:
    await bot.send("!rules add deny command greet server")
    await bot.send("!hi", channel=Channel(id="700", guild_id="501"))
    await bot.dm("!hi", user=MEMBER)
    await signed_in(bot, browser)
    listed = re.findall(r'href="/s/([^/"]+)/"', (await browser.get("/")).text)
    assert listed == ["500", "501"]


async def test_direct_message_spaces_are_never_shown(bot, browser) -> None:
    await signed_in(bot, browser)
    assert (await browser.get("/s/dm%3A3/usage")).status == 403


# --- plugins ---


async def test_switching_a_plugin_off_is_what_chat_sees(bot, browser) -> None:
    await signed_in(bot, browser, ADMIN)
    page = await browser.get("/s/500/plugins")
    done = await browser.post("/s/500/plugins/demo/switch", {"enabled": "0", "csrf": page.csrf})
    assert "Plugin demo off here." in done.plain
    assert "`demo`  disabled here" in (await bot.send("!plugins")).text
    assert (await bot.send("!greet", user=CHAT_ADMIN)).text == "!greet is disabled in this server."


async def test_a_plugin_switched_on_in_chat_shows_on_the_web(bot, browser) -> None:
    await bot.send("!plugin disable demo")
    await signed_in(bot, browser, ADMIN)
    assert "off here" in (await browser.get("/s/500/plugins")).plain
    await bot.send("!plugin enable demo")
    assert "off here" not in (await browser.get("/s/500/plugins")).plain


async def test_the_host_plugin_cannot_be_switched(bot, browser) -> None:
    page = await signed_in(bot, browser, ADMIN)
    page = await browser.get("/s/500/plugins")
    done = await browser.post("/s/500/plugins/builtin/switch", {"enabled": "0", "csrf": page.csrf})
    assert done.status == 422 and "No plugin 'builtin' can be switched." in done.plain
    assert "builtin" not in bot.bot.switches.off("500")


# --- settings ---


async def save(browser, key: str, value: str, action: str = "save"):
    page = await browser.get("/s/500/plugins/demo")
    data = {"key": key, "value": value, "action": action, "csrf": page.csrf}
    return await browser.post("/s/500/plugins/demo/config", data)


async def test_a_saved_setting_is_what_the_command_uses(bot, browser) -> None:
    await signed_in(bot, browser, ADMIN)
    done = await save(browser, "greeting", "0.2")  # text stays text, not a number
    assert "[demo] greeting = '0.2' in this server." in done.plain
    assert (await bot.send("!greet")).text == "0.2"


async def test_a_choice_and_a_switch_are_saved(bot, browser) -> None:
    await signed_in(bot, browser, ADMIN)
    await save(browser, "loud", "true")
    await save(browser, "mode", "long")
    assert (await bot.send("!greet")).text == "HELLO"
    assert "`mode` = 'long'" in (await bot.send("!config demo")).text


async def test_a_bad_value_gets_the_class_own_message(bot, browser) -> None:
    await signed_in(bot, browser, ADMIN)
    page = await save(browser, "temperature", "3")
    assert page.status == 422
    assert "temperature must be between 0 and 1, not 3" in page.plain
    assert 'aria-invalid="true"' in page.text
    assert "`temperature` = 0.5" in (await bot.send("!config demo")).text


async def test_a_value_set_in_chat_shows_in_the_form(bot, browser) -> None:
    await bot.send("!config demo temperature 0.9")
    await signed_in(bot, browser, ADMIN)
    page = await browser.get("/s/500/plugins/demo")
    assert 'value="0.9"' in page.text and "now changed in this server" in page.plain


async def test_reset_goes_back_to_the_default(bot, browser) -> None:
    await bot.send("!config demo greeting hey")
    await signed_in(bot, browser, ADMIN)
    done = await save(browser, "greeting", "", action="reset")
    assert "is back to the bot's default here" in done.plain
    assert (await bot.send("!greet")).text == "hello"


async def test_owner_only_settings_are_hidden_from_admins(bot, browser) -> None:
    await signed_in(bot, browser, ADMIN)
    page = await browser.get("/s/500/plugins/demo")
    assert "api.example.org" not in page.text
    assert "Only the bot's owner can see and change this setting." in page.plain
    refused = await save(browser, "base_url", "https://evil.example.org")
    assert "can be changed only by the bot's owner" in refused.plain


async def test_the_owner_sees_owner_only_settings_with_credentials_masked(bot, browser) -> None:
    await signed_in(bot, browser)
    page = await browser.get("/s/500/plugins/demo")
    assert "api.example.org" in page.text and "hunter2" not in page.text


async def test_file_only_settings_have_no_form(bot, browser) -> None:
    await signed_in(bot, browser)
    page = await browser.get("/s/500/plugins/demo")
    assert "api_key_env" not in page.text
    refused = await save(browser, "api_key_env", "OTHER")
    assert "can be changed only in the configuration file" in refused.plain


async def test_every_field_has_a_label(bot, browser) -> None:
    await signed_in(bot, browser)
    fields = 0
    for page in PAGES:
        text = (await browser.get(f"/s/500/{page}")).text
        ids = re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', text)
        labelled = set(re.findall(r'<label for="([^"]+)"', text))
        assert set(ids) <= labelled, page
        assert len(ids) == len(set(ids)), page
        fields += len(ids)
    assert fields > 10


# --- rules ---


async def add_rule(browser, **fields: str):
    page = await browser.get("/s/500/rules")
    return await browser.post("/s/500/rules/add", {**fields, "csrf": page.csrf})


async def test_a_rule_added_on_the_web_refuses_in_chat(bot, browser) -> None:
    await signed_in(bot, browser, ADMIN)
    done = await add_rule(browser, action="deny", target="command", name="greet", scope="server")
    assert "Rule added: deny command greet in this server." in done.plain
    assert (await bot.send("!greet", user=MEMBER)).text == "!greet is disabled in this server."


async def test_a_bad_rule_is_explained(bot, browser) -> None:
    await signed_in(bot, browser, ADMIN)
    page = await add_rule(
        browser, action="deny", target="command", name="greet", scope="user", who="bob"
    )
    assert page.status == 422
    assert "'bob' is not a user: mention one (@alice or 1234) or an id." in page.plain


async def test_the_rules_commands_cannot_be_ruled(bot, browser) -> None:
    await signed_in(bot, browser, ADMIN)
    page = await add_rule(browser, action="deny", target="command", name="rules", scope="server")
    assert "The rules commands have no rules" in page.plain


async def test_a_rule_is_removed_by_its_number(bot, browser) -> None:
    await bot.send("!rules add deny command greet server")
    await signed_in(bot, browser, ADMIN)
    page = await browser.get("/s/500/rules")
    rule = "deny command greet in this server"
    done = await browser.post(
        "/s/500/rules/remove", {"number": "1", "rule": rule, "csrf": page.csrf}
    )
    assert f"Rule removed: {rule}." in done.plain
    assert (await bot.send("!greet", user=MEMBER)).text == "hello"


async def test_a_stale_remove_removes_nothing(bot, browser) -> None:
    await bot.send("!rules add deny command greet server")
    await signed_in(bot, browser, ADMIN)
    page = await browser.get("/s/500/rules")
    await bot.send("!rules remove 1")
    await bot.send("!rules add deny command hi server")
    stale = await browser.post(
        "/s/500/rules/remove",
        {"number": "1", "rule": "deny command greet in this server", "csrf": page.csrf},
    )
    assert "nothing removed" in stale.plain
    assert "deny command hi" in (await bot.send("!rules")).text


async def test_who_may_run_asks_the_gate(bot, browser) -> None:
    await bot.send("!rules add deny command greet server")
    await bot.send("!rules add allow command greet role 77")
    await signed_in(bot, browser, ADMIN)
    member = await browser.get("/s/500/rules", params={"command": "greet", "user": "3"})
    assert "User 3 may not run !greet here: !greet is disabled in this server." in member.plain
    trainer = await browser.get(
        "/s/500/rules", params={"command": "!greet", "user": "4", "roles": "77"}
    )
    assert "User 4 may run !greet here. Rule 2 (allow command greet to role <@&77>)" in (
        trainer.plain
    )
    owner = await browser.get("/s/500/rules", params={"command": "greet", "user": "1"})
    assert "the bot's owners are never refused by rules" in owner.plain


async def test_admin_only_commands_are_refused_to_members(bot, browser) -> None:
    await signed_in(bot, browser, ADMIN)
    page = await browser.get("/s/500/rules", params={"command": "plugins", "user": "3"})
    assert "User 3 may not run !plugins here" in page.plain


async def test_a_cooldown_set_on_the_web_holds_in_chat(bot, browser) -> None:
    await signed_in(bot, browser, ADMIN)
    page = await browser.get("/s/500/rules")
    done = await browser.post(
        "/s/500/cooldowns",
        {"command": "greet", "rate": "1/60", "bucket": "user", "csrf": page.csrf},
    )
    assert "!greet cooldown in this server: 1/60s per user." in done.plain
    assert (await bot.send("!greet", user=MEMBER)).text == "hello"
    assert "cooling down" in (await bot.send("!greet", user=MEMBER)).text


async def test_a_bad_cooldown_is_explained(bot, browser) -> None:
    await signed_in(bot, browser, ADMIN)
    page = await browser.get("/s/500/rules")
    done = await browser.post(
        "/s/500/cooldowns",
        {"command": "greet", "rate": "often", "bucket": "user", "csrf": page.csrf},
    )
    assert done.status == 422
    assert "Give the cooldown as uses/seconds (1/30), off or reset; not 'often'." in done.plain


# --- usage ---


async def test_usage_counts_messages_and_tokens_per_day(bot, browser, clock) -> None:
    await bot.send("hello", mention=True)
    await bot.send("!hi")
    clock.now += 86_400
    await bot.send("again", mention=True)
    await bot.bot.web.usage.flush()
    await signed_in(bot, browser, ADMIN)
    page = await browser.get("/s/500/usage")
    assert "<title>2024-06-01: 2 messages</title>" in page.text
    assert "<title>2024-06-02: 1 messages</title>" in page.text
    assert "<title>2024-06-01: 42 tokens</title>" in page.text
    assert ">Messages per day</title>" in page.text and "day (UTC)" in page.text


async def test_usage_not_yet_stored_is_shown(bot, browser) -> None:
    await bot.send("hello", mention=True)
    await signed_in(bot, browser, ADMIN)
    assert "<title>2024-06-01: 1 messages</title>" in (await browser.get("/s/500/usage")).text


async def test_direct_messages_are_not_counted(bot) -> None:
    await bot.dm("hello", user=MEMBER)
    assert bot.bot.web.usage.pending == {}


# --- every page ---


@pytest.mark.parametrize("page", PAGES)
async def test_pages_are_small_and_have_no_script(bot, browser, page) -> None:
    await bot.send("hello", mention=True)
    await signed_in(bot, browser)
    found = await browser.get(f"/s/500/{page}")
    assert found.status == 200
    assert len(found.text.encode()) < 100_000
    assert "<script" not in found.text
