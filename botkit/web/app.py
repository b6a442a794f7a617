"""The console's pages: sign-in, servers, overview, plugins and settings, rules, usage (and
the plugins' own pages, :mod:`botkit.web.plugin_pages`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import select

from botkit.commands import Bucket, Command, Cooldown, UsageError, tokenize
from botkit.config import ConfigError
from botkit.context import CommandError
from botkit.metrics import adapter_connected
from botkit.models import Channel, Message, User
from botkit.permissions.commands import ORDER, known_target
from botkit.permissions.rules import PLUGIN, Permissions, RuleError, loaded, parse_rule
from botkit.storage import guild_settings
from botkit.web import forms
from botkit.web.chart import bar_chart
from botkit.web.html import (
    choice,
    csrf_field,
    e,
    layout,
    notice,
    space_url,
    table,
    text_input,
)
from botkit.web.plugin_pages import PluginPages
from botkit.web.tokens import ROWS as WEB_ROWS
from botkit.web.tokens import Session
from botkit.web.tools_page import ToolsPage

if TYPE_CHECKING:
    from botkit.web.console import Console

log = logging.getLogger("botkit.web")

COOKIE = "botkit_session"
SESSION = web.RequestKey("session", object)
_RATE = re.compile(r"(\d{1,6})\s*/\s*(\d{1,7}(?:\.\d+)?)s?")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",  # a sign-in link never leaves in a Referer header
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def make_app(console: Console) -> web.Application:
    pages = Pages(console)
    app = web.Application(middlewares=[pages.middleware], client_max_size=64 * 1024)
    app.add_routes(
        [
            web.get("/", pages.home),
            web.get("/open", pages.open_space),
            web.get("/login/{token}", pages.login_page),
            web.post("/login", pages.login),
            web.post("/logout", pages.logout),
            web.get("/s/{space}/", pages.overview),
            web.get("/s/{space}/plugins", pages.plugins),
            web.post("/s/{space}/plugins/{plugin}/switch", pages.switch),
            web.get("/s/{space}/plugins/{plugin}", pages.settings),
            web.post("/s/{space}/plugins/{plugin}/config", pages.configure),
            web.get("/s/{space}/rules", pages.rules),
            web.post("/s/{space}/rules/add", pages.rule_add),
            web.post("/s/{space}/rules/remove", pages.rule_remove),
            web.post("/s/{space}/cooldowns", pages.cooldown),
            web.get("/s/{space}/usage", pages.usage),
            *pages.tools_page.routes(),
            *pages.plugin_pages.routes(),
        ]
    )
    return app


class Pages:
    """Request handlers over one console; every server page checks the session's rights."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bot = console.bot
        self.vault = console.vault
        self.plugin_pages = PluginPages(self)
        self.tools_page = ToolsPage(self)

    # --- plumbing ---

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        request[SESSION] = await self.vault.find(request.cookies.get(COOKIE))
        if request.method == "POST" and request.path != "/login":
            session = request[SESSION]
            form = await request.post()
            if session is None or not session.csrf_ok(_one(form, "csrf")):
                log.warning(
                    "web: refused a %s without a valid session and form token", request.path
                )
                response: web.StreamResponse = html(
                    layout(
                        "Refused",
                        notice(
                            "This form is stale or not yours: reload the page and try again.",
                            error=True,
                        ),
                        session,
                    ),
                    403,
                )
                response.headers.update(SECURITY_HEADERS)
                return response
        response = await handler(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def _space(self, request: web.Request) -> tuple[Session, str]:
        """The session and the server of a server page; refused the same way whether or not
        the server exists when the session may not see it."""
        session: Session | None = request[SESSION]
        space = request.match_info["space"]
        if session is None:
            raise web.HTTPSeeOther("/")
        if not session.grant.may_see(space) or space.startswith("dm:"):
            log.warning("web: user %s refused server %s", session.grant.user_id, space[:40])
            raise web.HTTPForbidden(
                text=layout(
                    "Not yours",
                    "<p>You can see only the servers you administer. "
                    'Go back to <a href="/">your servers</a>.</p>',
                    session,
                ),
                content_type="text/html",
                headers=SECURITY_HEADERS,
            )
        return session, space

    def _layout(
        self, title: str, body: str, session: Session, space: str, current: str = ""
    ) -> str:
        """A server's page, its navigation including the plugins' pages."""
        more = [("tools", "Tools"), *self.plugin_pages.nav(session)]
        return layout(title, body, session, space, current, more)

    def _who(self, session: Session) -> str:
        grant = session.grant
        return f"user {grant.user_id} ({grant.name or 'no name'}, web)"

    # --- signing in and out ---

    async def home(self, request: web.Request) -> web.Response:
        session: Session | None = request[SESSION]
        if session is None:
            return html(
                layout(
                    "Sign in",
                    "<p>Sign in with a one-time link: the bot's owner runs "
                    "<code>botkit web-login</code>; a server's admin sends "
                    f"<code>{e(self.bot.prefix)}web</code> in their server and gets the link "
                    "in a direct message.</p>",
                )
            )
        spaces = sorted(await self._spaces(session))
        if spaces:
            items = "".join(f'<li><a href="{space_url(s)}">{e(s)}</a></li>' for s in spaces)
            listing = f"<ul>{items}</ul>"
        else:
            listing = "<p>No server has used the bot yet.</p>"
        body = f"<h2>Servers</h2>{listing}"
        if session.grant.owner:
            body += (
                '<form method="get" action="/open"><div class="row">'
                + text_input("space", "Open a server by its id", required=True)
                + "<div><button>Open</button></div></div></form>"
            )
        return html(layout("Your servers", body, session))

    async def open_space(self, request: web.Request) -> web.StreamResponse:
        """The owner's "open a server by its id" form."""
        space = request.query.get("space", "").strip()
        return _see_other(space_url(space) if space else "/")

    async def _spaces(self, session: Session) -> set[str]:
        if not session.grant.owner:
            return set(session.grant.spaces)
        query = select(guild_settings.c.guild_id).where(
            guild_settings.c.guild_id != "", guild_settings.c.plugin != WEB_ROWS
        )
        async with self.bot.storage.session() as db:
            found = set((await db.execute(query.distinct())).scalars())
        found |= {space for space, _ in self.console.usage.pending}
        return {s for s in found if not s.startswith("dm:")}

    async def login_page(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not await self.vault.usable(token):
            return self._used_link()
        return html(
            layout(
                "Sign in",
                '<form method="post" action="/login">'
                f'<input type="hidden" name="token" value="{e(token)}">'
                "<p>This link signs you in to the bot's web console, once.</p>"
                "<button>Sign in</button></form>",
            )
        )

    def _used_link(self) -> web.Response:
        prefix = e(self.bot.prefix)
        return html(
            layout(
                "Link not valid",
                notice("This sign-in link has expired or was already used.", error=True)
                + f"<p>Ask for a new one: <code>{prefix}web</code> in your server, or "
                "<code>botkit web-login</code> for the bot's owner.</p>",
            ),
            410,
        )

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        grant = await self.vault.redeem(_one(form, "token") or "")
        if grant is None:
            log.warning("web: a used, expired or unknown sign-in link was refused")
            return self._used_link()
        old: Session | None = request[SESSION]
        if old is not None and old.grant.user_id == grant.user_id:
            grant = old.grant.merged(grant)
            await self.vault.close(old)
        seconds = self.console.settings.session_hours * 3600
        session, cookie = await self.vault.open(grant, seconds)
        log.info("web: %s signed in", self._who(session))
        target = space_url(grant.spaces[0]) if len(grant.spaces) == 1 and not grant.owner else "/"
        response = _see_other(target)
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=int(seconds),
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self.console.base_url.startswith("https://"),
        )
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session: Session = request[SESSION]
        await self.vault.close(session)
        log.info("web: %s signed out", self._who(session))
        response = _see_other("/")
        response.del_cookie(COOKIE, path="/")
        return response

    # --- overview ---

    async def overview(self, request: web.Request) -> web.Response:
        session, space = self._space(request)
        bot = self.bot
        from botkit.adapters.registry import names

        figures = bot.plugins.watchdog.figures()
        ready = bot.ready.is_set()
        connected = adapter_connected(bot.adapter)
        health = [
            ("Started", _yes(ready)),
            (f"Adapter {e(bot.adapter.name)}", "connected" if connected else "disconnected"),
            ("Installed adapters", e(", ".join(names()) or "none")),
            ("Event loop lag (last, largest)", f"{figures.last:.3f} s, {figures.max:.3f} s"),
            ("Event loop stalls", str(figures.stalls)),
        ]
        off = bot.switches.off(space)
        rows = []
        for s in bot.plugins.statuses.values():
            state = "off here" if s.name in off and s.state == "ok" else s.state
            rows.append(
                [
                    e(s.name),
                    e(s.version),
                    e(state) + (f": {e(s.error)}" if s.error else ""),
                    str(s.failures),
                    str(s.timeouts),
                    str(s.bad_results),
                ]
            )
        body = (
            "<h2>Health</h2>"
            + table(("", "now"), ([name, value] for name, value in health), "The bot right now")
            + "<h2>Plugins</h2>"
            + table(
                ("plugin", "version", "state", "failures", "time-outs", "bad results"),
                rows,
                "Failures and time-outs since the bot started (every server together)",
            )
        )
        return html(self._layout(f"Server {space}", body, session, space, ""))

    # --- plugins and their settings ---

    async def plugins(self, request: web.Request, message: str = "", error: bool = False) -> Any:
        session, space = self._space(request)
        bot = self.bot
        off = bot.switches.off(space)
        rows = []
        for s in bot.plugins.statuses.values():
            if s.state != "ok":
                rows.append([e(s.name), e(s.state), "cannot be switched", ""])
                continue
            on = s.name not in off
            if s.distribution == "botkit":
                switch = "part of the host"
            else:
                label = f"Switch {s.name} {'off' if on else 'on'}"
                switch = (
                    f'<form method="post" action="{space_url(space, f"plugins/{s.name}/switch")}">'
                    f'{csrf_field(session)}<input type="hidden" name="enabled" '
                    f'value="{"0" if on else "1"}"><button aria-label="{e(label)}">'
                    f"{'Switch off' if on else 'Switch on'}</button></form>"
                )
            settings = (
                f'<a href="{space_url(space, f"plugins/{s.name}")}">settings</a>'
                if s.name in bot.settings
                else ""
            )
            rows.append([e(s.name), "on" if on else "off here", switch, settings])
        body = notice(message, error) + table(
            ("plugin", "in this server", "switch", "settings"), rows, "Plugins in this server"
        )
        return html(self._layout("Plugins", body, session, space, "plugins"), 422 if error else 200)

    async def switch(self, request: web.Request) -> web.Response:
        session, space = self._space(request)
        name = request.match_info["plugin"]
        form = await request.post()
        status = self.bot.plugins.statuses.get(name)
        if status is None or status.state != "ok" or status.distribution == "botkit":
            return await self.plugins(request, f"No plugin {name[:40]!r} can be switched.", True)
        enabled = _one(form, "enabled") == "1"
        await self.bot.switches.set(space, name, enabled)
        log.info(
            "web: plugin %s %s in %s by %s",
            name,
            "enabled" if enabled else "disabled",
            space,
            self._who(session),
        )
        return await self.plugins(request, f"Plugin {name} {'on' if enabled else 'off'} here.")

    async def settings(
        self,
        request: web.Request,
        message: str = "",
        errors: dict[str, str] | None = None,
    ) -> web.Response:
        session, space = self._space(request)
        name = request.match_info["plugin"]
        base = self.bot.settings.get(name)
        if base is None:
            raise web.HTTPNotFound(text=f"No plugin {name[:40]!r} has settings.")
        config = self.bot.server_config
        merged = config.merged(name, base, space)
        changed = set(config.values.get((name, space), {}))
        errors = errors or {}
        owner = session.grant.owner
        visible = {f.name for f in forms.fields(type(base), config.changeable(type(base), owner))}
        elsewhere = " ".join(v for k, v in errors.items() if k not in visible)
        body = (
            notice(message)
            + notice(elsewhere, error=True)
            + forms.render(name, space, base, merged, owner, session, changed, errors)
        )
        status = 422 if errors else 200
        return html(self._layout(f"[{name}] settings", body, session, space, "plugins"), status)

    async def configure(self, request: web.Request) -> web.Response:
        session, space = self._space(request)
        name = request.match_info["plugin"]
        if name not in self.bot.settings:
            raise web.HTTPNotFound(text=f"No plugin {name[:40]!r} has settings.")
        form = await request.post()
        key = _one(form, "key") or ""
        owner = session.grant.owner
        config = self.bot.server_config
        try:
            if _one(form, "action") == "reset":
                found = await config.reset(name, space, key, owner=owner)
                done = (
                    f"[{name}] {key} is back to the bot's default here."
                    if found
                    else (f"[{name}] {key} was not changed here.")
                )
                what = "reset"
            else:
                listed = forms.fields(type(self.bot.settings[name]), [key])
                if not listed:
                    config.check_right(name, key, owner)  # raises, naming what is wrong
                text = forms.as_toml(listed[0], _one(form, "value") or "")
                merged = await config.set(name, space, key, text, owner=owner)
                done = f"[{name}] {key} = {getattr(merged, key)!r} in this server."
                what = "set"
        except ConfigError as exc:
            log.info(
                "web: config %s.%s refused in %s for %s: %s",
                name,
                key,
                space,
                self._who(session),
                exc,
            )
            return await self.settings(request, errors={key: str(exc)})
        log.info("web: config %s.%s %s in %s by %s", name, key, what, space, self._who(session))
        return await self.settings(request, forms.mask_credentials(done))

    # --- rules and cooldowns (the permissions plugin's, at the console's own addresses) ---

    async def _permissions(self) -> Permissions:
        return await loaded(self.bot.plugin_handle(PLUGIN))

    async def rules(self, request: web.Request, message: str = "", error: bool = False) -> Any:
        session, space = self._space(request)
        perms = await self._permissions()
        prefix = self.bot.prefix
        found = perms.rules.rules(space)
        rows = []
        for number, rule in enumerate(found, 1):
            rows.append(
                [
                    str(number),
                    e(str(rule)),
                    f'<form method="post" action="{space_url(space, "rules/remove")}">'
                    f'{csrf_field(session)}<input type="hidden" name="number" value="{number}">'
                    f'<input type="hidden" name="rule" value="{e(str(rule))}">'
                    f'<button aria-label="Remove rule {number}">Remove</button></form>',
                ]
            )
        listing = (
            table(("#", "rule", ""), rows, f"The first rule that applies decides: {ORDER}")
            if rows
            else "<p>No rules in this server: each command's own permission decides.</p>"
        )
        add = (
            f'<h2>Add a rule</h2><form method="post" action="{space_url(space, "rules/add")}">'
            f'{csrf_field(session)}<div class="row">'
            + choice("action", "Action", ("deny", "allow"), form="rule")
            + choice("target", "About a", ("command", "plugin"), form="rule")
            + text_input("name", "Command or plugin name", required=True, form="rule")
            + choice("scope", "Applies to", ("server", "role", "channel", "user"), form="rule")
            + text_input(
                "who",
                "Who (an id)",
                hint="a user, channel or role id; "
                "'admins' for the server's admins; empty for the server",
                form="rule",
            )
            + "</div><button>Add rule</button></form>"
        )
        cooldowns = perms.cooldowns.of(space)
        cool_rows = [[e(f"{prefix}{n}"), e(str(c or "none"))] for n, c in cooldowns]
        cool = "<h2>Cooldowns</h2>" + (
            table(("command", "cooldown here"), cool_rows, "Cooldowns changed in this server")
            if cool_rows
            else "<p>Every command keeps its own cooldown here.</p>"
        )
        cool += (
            f'<form method="post" action="{space_url(space, "cooldowns")}">{csrf_field(session)}'
            '<div class="row">'
            + text_input("command", "Command", required=True, form="cd")
            + text_input(
                "rate", "Uses/seconds", hint="e.g. 1/30, or off, or reset", required=True, form="cd"
            )
            + choice("bucket", "Counted per", [b.value for b in Bucket], form="cd")
            + "</div><button>Set cooldown</button></form>"
        )
        check = await self._check(request, space)
        body = notice(message, error) + listing + add + cool + check
        return html(self._layout("Rules", body, session, space, "rules"), 422 if error else 200)

    async def _check(self, request: web.Request, space: str) -> str:
        """'Who may run X here?', asked of the gate exactly as a typed command is."""
        query = request.query
        asked = query.get("command", "").strip()
        form = (
            f'<h2>Who may run a command here?</h2><form method="get" '
            f'action="{space_url(space, "rules")}"><div class="row">'
            + text_input("command", "Command", asked, form="chk")
            + text_input("user", "User id", query.get("user", ""), form="chk")
            + choice("admin", "Server admin?", ("no", "yes"), query.get("admin", "no"), form="chk")
            + text_input(
                "roles", "Role ids", query.get("roles", ""), "separated by spaces", form="chk"
            )
            + text_input(
                "channel", "Channel id", query.get("channel", ""), "empty: any channel", form="chk"
            )
            + "</div><button>Check</button></form>"
        )
        if not asked:
            return form
        return form + f'<p role="status">{e(await self.answer_check(space, query))}</p>'

    async def answer_check(self, space: str, query: Any) -> str:
        bot = self.bot
        prefix = bot.prefix
        cmd, _, rest = bot.commands.find(query.get("command", "").strip().removeprefix(prefix))
        if cmd is None or rest:
            return f"No command {query.get('command', '')[:40]!r}."
        user_id = query.get("user", "").strip() or "0"
        owner = user_id in bot.config.bot.owner_ids
        user = User(
            id=user_id,
            name=user_id,
            is_admin=owner or query.get("admin") == "yes",
            is_owner=owner,
            roles=tuple(query.get("roles", "").split()),
        )
        channel = Channel(id=query.get("channel", "").strip() or "web", guild_id=space)
        message = Message(id="web-check", content="", author=user, channel=channel)
        handle = bot.plugin_handle(PLUGIN)
        refused = await handle.refusal(cmd, message)
        perms = await loaded(handle)
        rule = perms.deciding(cmd, message)
        name, who = f"{prefix}{cmd.name}", f"User {user_id}"
        rules = perms.rules.rules(space)
        before = refused is not None and refused.kind in ("disabled", "permission")
        deciding = (
            f" Rule {rules.index(rule) + 1} ({rule}) decides."
            if rule is not None and rule in rules and not before
            else ""
        )
        if refused is not None:
            return f"{who} may not run {name} here: {refused.reason}{deciding}"
        if owner:
            return f"{who} may run {name}: the bot's owners are never refused by rules."
        return f"{who} may run {name} here." + (deciding or " No rule is about it.")

    async def rule_add(self, request: web.Request) -> web.Response:
        session, space = self._space(request)
        form = await request.post()
        words = [_one(form, k) or "" for k in ("action", "target", "name", "scope", "who")]
        words = [w for w in words if w.strip()]
        try:
            tokens = [w for text in words for w, _ in tokenize(text)]
            new = known_target(self.bot.plugin_handle(PLUGIN), parse_rule(tokens, space))
            old = await (await self._permissions()).rules.add(space, new)
        except (RuleError, UsageError) as exc:
            return await self.rules(request, f"{str(exc).capitalize()}.", True)
        except CommandError as exc:
            return await self.rules(request, str(exc), True)
        log.info("web: rule %r added in %s by %s", str(new), space, self._who(session))
        if old == new:
            return await self.rules(request, f"That rule is already there: {new}.")
        if old is not None:
            return await self.rules(request, f"Rule changed: {new} (it was {old.action}).")
        return await self.rules(request, f"Rule added: {new}.")

    async def rule_remove(self, request: web.Request) -> web.Response:
        session, space = self._space(request)
        form = await request.post()
        perms = await self._permissions()
        current = perms.rules.rules(space)
        number = _one(form, "number") or ""
        index = int(number) - 1 if number.isdecimal() and len(number) < 6 else -1
        if not 0 <= index < len(current) or str(current[index]) != _one(form, "rule"):
            return await self.rules(
                request,
                "The rules changed meanwhile: nothing removed; see the list as it is now.",
                True,
            )
        gone = current[index]
        await perms.rules.remove(space, gone)
        log.info("web: rule %r removed in %s by %s", str(gone), space, self._who(session))
        return await self.rules(request, f"Rule removed: {gone}.")

    async def cooldown(self, request: web.Request) -> web.Response:
        session, space = self._space(request)
        form = await request.post()
        prefix = self.bot.prefix
        typed = (_one(form, "command") or "").strip()
        cmd, _, rest = self.bot.commands.find(typed.removeprefix(prefix))
        if cmd is None or rest:
            return await self.rules(request, f"No command {typed[:40]!r}.", True)
        rate = (_one(form, "rate") or "").strip().lower()
        try:
            done = await self._set_cooldown(space, cmd, rate, _one(form, "bucket") or "user")
        except ValueError as exc:
            return await self.rules(request, str(exc), True)
        log.info(
            "web: cooldown of %s set to %s in %s by %s", cmd.name, rate, space, self._who(session)
        )
        return await self.rules(request, done)

    async def _set_cooldown(self, space: str, cmd: Command, rate: str, bucket: str) -> str:
        cooldowns, name = (await self._permissions()).cooldowns, f"{self.bot.prefix}{cmd.name}"
        if rate == "reset":
            await cooldowns.reset(space, cmd.name)
            return f"{name} is back to its own cooldown here: {cmd.cooldown or 'none'}."
        if rate == "off":
            await cooldowns.set(space, cmd.name, None)
            return f"{name} has no cooldown in this server now."
        found = _RATE.fullmatch(rate)
        if found is None:
            raise ValueError(
                f"Give the cooldown as uses/seconds (1/30), off or reset; not {rate[:20]!r}."
            )
        if bucket not in set(Bucket):
            raise ValueError(f"A cooldown counts per {', '.join(Bucket)}, not {bucket[:20]!r}.")
        try:
            limit = Cooldown(rate=int(found[1]), per=float(found[2]), bucket=Bucket(bucket))
        except ValueError as exc:
            raise ValueError(f"{str(exc).capitalize()}.") from None
        await cooldowns.set(space, cmd.name, limit)
        return f"{name} cooldown in this server: {limit}."

    # --- usage ---

    async def usage(self, request: web.Request) -> web.Response:
        session, space = self._space(request)
        days = await self.console.usage.days(space)
        messages = bar_chart("Messages per day", "messages", [(d, m) for d, m, _ in days], "cm")
        tokens = bar_chart("Chat tokens per day", "tokens", [(d, t) for d, _, t in days], "ct")
        rows = [[d, f"{m:,}", f"{t:,}"] for d, m, t in reversed(days) if m or t]
        numbers = (
            table(("day (UTC)", "messages", "tokens"), rows, "Days with traffic, newest first")
            if rows
            else "<p>No traffic in the last 30 days.</p>"
        )
        body = (
            "<p>The last 30 days in this server, counted while the web console is on.</p>"
            f"<figure>{messages}</figure><figure>{tokens}</figure>"
            f"<details><summary>The numbers</summary>{numbers}</details>"
        )
        return html(self._layout("Usage", body, session, space, "usage"))


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _one(form: Any, key: str) -> str | None:
    value = form.get(key)
    return value if isinstance(value, str) else None


def _yes(flag: bool) -> str:
    return '<span class="ok">yes</span>' if flag else '<span class="bad">no</span>'


__all__ = ["COOKIE", "make_app"]
