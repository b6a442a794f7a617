"""Sign-in links, sessions, sign-out and the form token."""

from __future__ import annotations

from web_kit import ADMIN, OWNER, link_for

from botkit.web.app import COOKIE
from botkit.web.tokens import LINK_SECONDS


async def test_a_link_signs_in_once(bot, browser) -> None:
    link = await link_for(bot, OWNER)
    first = await browser.sign_in(link)
    assert first.status == 200 and "Your servers" in first.plain
    again = await browser.sign_in(link)
    assert again.status == 410
    assert "expired or was already used" in again.plain


async def test_opening_a_link_does_not_use_it(bot, browser) -> None:
    link = await link_for(bot, OWNER)
    path = link.removeprefix(browser.base)
    assert "Sign in" in (await browser.get(path)).plain
    assert "Sign in" in (await browser.get(path)).plain  # a link preview did not spend it
    assert (await browser.sign_in(link)).status == 200


async def test_a_link_expires_after_ten_minutes(bot, browser, clock) -> None:
    link = await link_for(bot, OWNER)
    clock.now += LINK_SECONDS + 1
    assert (await browser.sign_in(link)).status == 410


async def test_an_unknown_token_is_refused(bot, browser) -> None:
    page = await browser.post("/login", {"token": "x" * 43})
    assert page.status == 410


async def test_signed_out_pages_send_you_to_sign_in(bot, browser) -> None:
    page = await browser.get("/s/500/")
    assert page.url.endswith("/") and "Sign in with a one-time link" in page.plain


async def test_signing_out_ends_the_session(bot, browser) -> None:
    page = await browser.sign_in(await link_for(bot, OWNER))
    cookie = browser.cookie(COOKIE)
    assert "Your servers" in (await browser.get_with_cookie("/", f"{COOKIE}={cookie}")).plain
    await browser.post("/logout", {"csrf": page.csrf})
    assert "Sign in with a one-time link" in (await browser.get("/")).plain
    old_copy = await browser.get_with_cookie("/", f"{COOKIE}={cookie}")
    assert "Sign in with a one-time link" in old_copy.plain


async def test_a_session_expires(bot, browser, clock) -> None:
    await browser.sign_in(await link_for(bot, OWNER))
    clock.now += 12 * 3600 + 1
    assert "Sign in with a one-time link" in (await browser.get("/")).plain


async def test_a_forged_cookie_is_no_session(bot, browser) -> None:
    await browser.sign_in(await link_for(bot, OWNER))
    session_id, _, signature = browser.cookie(COOKIE).partition(".")
    forged = await browser.get_with_cookie("/", f"{COOKIE}={session_id}.{signature[::-1]}")
    assert "Sign in with a one-time link" in forged.plain


async def test_the_cookie_is_httponly_and_lax(bot, browser) -> None:
    async with browser.http.post(
        browser.base + "/login",
        data={"token": (await link_for(bot, OWNER)).rsplit("/", 1)[1]},
        allow_redirects=False,
    ) as response:
        header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header


async def test_behind_https_the_cookie_is_secure(web_bot, tmp_path) -> None:
    from web_kit import Browser

    async with web_bot(public_url="https://bot.example.org") as bot:
        link = await link_for(bot, OWNER)
        assert link.startswith("https://bot.example.org/login/")
        client = Browser(f"http://{bot.bot.web.address[0]}:{bot.bot.web.address[1]}")
        async with client.http.post(
            client.base + "/login", data={"token": link.rsplit("/", 1)[1]}, allow_redirects=False
        ) as response:
            assert "Secure" in response.headers["Set-Cookie"]
        await client.close()


async def test_a_form_without_its_token_is_refused(bot, browser) -> None:
    await browser.sign_in(await link_for(bot, OWNER))
    page = await browser.post("/s/500/plugins/demo/switch", {"enabled": "0", "csrf": "wrong"})
    assert page.status == 403
    assert "demo" not in bot.bot.switches.off("500")


async def test_an_admin_link_opens_their_server(bot, browser) -> None:
    page = await browser.sign_in(await link_for(bot, ADMIN))
    assert page.url.endswith("/s/500/") and "Server 500" in page.plain


async def test_a_second_link_adds_a_server_to_the_session(bot, browser) -> None:
    await browser.sign_in(await link_for(bot, ADMIN))
    other = ADMIN.__class__("2", "admin", spaces=("501",))
    await browser.sign_in(await link_for(bot, other))
    assert (await browser.get("/s/500/")).status == 200
    assert (await browser.get("/s/501/")).status == 200
