"""!reset, !model, !system and !usage (the SDK and the tables are imported when one runs)."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import attrs

from botkit import ChannelKind, Command, CommandError, Context, Reply, command
from botkit_openai_chat.limits import day_of
from botkit_openai_chat.settings import MODEL_KEY, SYSTEM_KEY

if TYPE_CHECKING:
    import openai

    from botkit_openai_chat.state import ChatState

log = logging.getLogger("botkit.openai_chat")

DEFAULT = "default"
RESET = "reset"
SERVER = "server"
ALL = "all"
MAX_SYSTEM_PROMPT = 4000
MODELS_LISTED = 15


@attrs.frozen
class ChatCommands:
    """The plugin's commands; each finds the running bot's state in ``ctx.plugin.state``."""

    def all(self) -> list[Command]:
        return [
            command(self.reset, param_help={"scope": f"{ALL}: everyone's, here (admins)"}),
            command(self.model, param_help={"name": f"a model name, or {DEFAULT}"}),
            command(
                self.system,
                param_help={
                    "prompt": f"this channel's new instructions; {SERVER} <instructions>: the "
                    f"server's; {RESET}: remove this channel's; {DEFAULT}: the configured ones"
                },
            ),
            command(self.usage),
        ]

    async def reset(self, ctx: Context, scope: str | None = None) -> str:
        """Forget this conversation; in a server, your messages of it (admins: `all`, everyone's
        here)."""
        from botkit_openai_chat import conversation, store

        storage, user, p = ctx.plugin.storage, ctx.message.author.id, ctx.plugin.prefix
        if scope is not None and scope.strip().lower() != ALL:
            raise CommandError(
                f"`{p}reset` forgets your messages here; `{p}reset {ALL}` (admins) forgets "
                f"everyone's. {scope[:40]!r} is neither."
            )
        if scope is not None and ctx.guild_id is not None:
            return await self.reset_all(ctx)
        chat = await conversation.resolve(ctx, storage)
        shared = ctx.guild_id is not None and conversation.is_shared(chat.key)
        gone = await store.forget(storage, chat.key, user if shared else None)
        log.info("conversation %s reset by user %s (%d turns)", chat.key, user, gone)
        if shared:
            if not gone:
                return "You have no messages to forget in this conversation."
            return (
                f"Forgotten your {gone} messages of this conversation; the others' stay "
                f"(admins can forget everyone's: `{p}reset {ALL}`)."
            )
        if not gone:
            return "There is nothing to forget here: this conversation is already empty."
        return f"Forgotten ({gone} messages). Your next message starts a new conversation."

    async def reset_all(self, ctx: Context) -> str:
        """``!reset all`` in a server: everyone's conversations in this channel (admins)."""
        from botkit_openai_chat import store

        author = ctx.message.author
        if not (author.is_admin or author.is_owner):
            raise CommandError(
                "Only server admins (Manage Server) can forget everyone's messages here; "
                f"`{ctx.plugin.prefix}reset` forgets yours."
            )
        channel = ctx.message.channel.id
        gone = await store.forget_channel(ctx.plugin.storage, ctx.space, channel)
        log.info(
            "channel %s of %s reset by admin %s (%d turns)", channel, ctx.space, author.id, gone
        )
        if not gone:
            return "There is nothing to forget here: no conversation in this channel."
        return f"Forgotten everyone's conversations in this channel ({gone} messages)."

    async def model(self, ctx: Context, name: str | None = None) -> str:
        """Show the chat model, or choose it for this server (admins)."""
        state: ChatState = ctx.plugin.state
        default = state.settings.model
        current, _ = await state.guild_choice(ctx)
        offered = await offered_models(ctx)
        if name is None:
            lines = [
                f"Model: `{current}`" + ("" if current == default else " (this server's choice)")
            ]
            if offered:
                lines.append("Also available here: " + ", ".join(f"`{m}`" for m in offered))
            lines.append(
                f"Admins: `{ctx.plugin.prefix}model <name>` changes it, "
                f"`{ctx.plugin.prefix}model {DEFAULT}` goes back to `{default}`."
            )
            return "\n".join(lines)
        require_guild_admin(ctx, "choose the model")
        name = name.strip()
        if not name:
            raise CommandError(f"Give a model name, or `{DEFAULT}` for `{default}`.")
        if name == DEFAULT:
            await ctx.set_setting(MODEL_KEY, None)
            state.choice_changed(ctx.space)
            log.info(
                "guild %s model reset to the default by %s", ctx.guild_id, ctx.message.author.id
            )
            return f"This server uses the default model `{default}` again."
        await state.ready()
        api = state.client_for(ctx.settings or state.settings)
        problem = await model_problem(state, api, name, offered)
        if problem:
            raise CommandError(problem)
        await ctx.set_setting(MODEL_KEY, name)
        state.choice_changed(ctx.space)
        log.info("guild %s model set to %s by %s", ctx.guild_id, name, ctx.message.author.id)
        return f"This server now chats with `{name}`."

    async def system(self, ctx: Context, *, prompt: str | None = None) -> str:
        """Show the instructions the model gets here and where they come from, or change them
        for this channel (`server …`: for the server; `reset`: this channel's go) (admins)."""
        state: ChatState = ctx.plugin.state
        if prompt is None:
            return await self.show_system(ctx)
        require_guild_admin(ctx, "change the system prompt")
        words = prompt.strip().split(maxsplit=1)
        if not words:  # `!system ""`: nothing to set
            return await self.show_system(ctx)
        if words == [RESET]:
            return await self.reset_persona(ctx)
        if words == [DEFAULT]:
            await ctx.set_setting(SYSTEM_KEY, None)
            await self.reset_persona(ctx)
            state.choice_changed(ctx.space)
            log.info("guild %s system prompt reset by %s", ctx.guild_id, ctx.message.author.id)
            return "This server and this channel use the default system prompt again."
        if words == [SERVER]:
            raise CommandError(
                "Give the server's instructions: "
                f"`{ctx.plugin.prefix}system {SERVER} <instructions>`."
            )
        server = words[0] == SERVER and len(words) == 2
        text = words[1].strip() if server else prompt.strip()
        if len(text) > MAX_SYSTEM_PROMPT:
            raise CommandError(
                f"That prompt has {len(text):,} characters; keep it under {MAX_SYSTEM_PROMPT:,}."
            )
        if server:
            await ctx.set_setting(SYSTEM_KEY, text)
            state.choice_changed(ctx.space)
            log.info("guild %s system prompt changed by %s", ctx.guild_id, ctx.message.author.id)
            return (
                "System prompt changed for this server. Channels with their own keep theirs; "
                "new conversations and old ones use it."
            )
        from botkit_openai_chat import store

        channel = ctx.message.channel
        await store.set_persona(state.storage, ctx.space, channel.id, text, state.now().timestamp())
        state.persona_changed(ctx.space)
        log.info(
            "channel %s of %s: system prompt set by %s",
            channel.id,
            ctx.space,
            ctx.message.author.id,
        )
        return (
            f"System prompt set for this {place(ctx)}; the server's applies elsewhere. "
            f"`{ctx.plugin.prefix}system {RESET}` removes it."
        )

    async def show_system(self, ctx: Context) -> str:
        """``!system``: the prompt that applies here, and where it comes from."""
        state: ChatState = ctx.plugin.state
        current, where = await state.system_prompt(ctx)
        source = {
            "thread": "set for this thread",
            "channel": "set for this channel",
            "parent": "set for the channel of this thread",
            "space": "the server's" if ctx.guild_id else "the one for your direct messages",
            "default": "the bot's default",
        }[where]
        if not current:
            return f"The model gets no system prompt here ({source})."
        quoted = "\n".join(f"> {line}" for line in current.splitlines())
        return f"System prompt ({source}):\n{quoted}"

    async def reset_persona(self, ctx: Context) -> str:
        """``!system reset``: this channel's (or thread's) prompt goes; the server's applies."""
        from botkit_openai_chat import store

        state: ChatState = ctx.plugin.state
        channel = ctx.message.channel
        gone = await store.drop_persona(state.storage, ctx.space, channel.id)
        state.persona_changed(ctx.space)
        if not gone:
            return f"This {place(ctx)} has no system prompt of its own; the server's applies."
        log.info(
            "channel %s of %s: system prompt removed by %s",
            channel.id,
            ctx.space,
            ctx.message.author.id,
        )
        return f"This {place(ctx)}'s system prompt is removed; the server's applies here again."

    async def usage(self, ctx: Context) -> str | Reply:
        """Tokens used today by this server and by you (in a server, with a chart of the
        last 30 days)."""
        from botkit_openai_chat import store
        from botkit_openai_chat.usage_chart import usage_chart

        state: ChatState = ctx.plugin.state
        day = day_of(state.now())
        mine = await store.tokens_today(state.storage, day, ctx.space, ctx.message.author.id)
        budget = (ctx.settings or state.settings).daily_token_budget
        of_budget = f" of {budget:,}" if budget else ""
        if ctx.guild_id is None:
            return f"Tokens used today ({day}, UTC) in direct messages: you {mine:,}{of_budget}."
        everyone = await store.tokens_today(state.storage, day, ctx.space)
        text = f"Tokens used today ({day}, UTC): this server {everyone:,}{of_budget}; you {mine:,}."
        chart = await usage_chart(state.storage, ctx.space, state.now())
        return Reply(text=text, files=(chart,))


def place(ctx: Context) -> str:
    """``thread`` or ``channel``: where a per-channel prompt applies."""
    return "thread" if ctx.message.channel.kind is ChannelKind.THREAD else "channel"


def require_guild_admin(ctx: Context, what: str) -> None:
    """Refuse unless a server admin (or the owner) asks, in a server."""
    if ctx.guild_id is None:
        raise CommandError(f"Admins {what} per server; in direct messages the defaults apply.")
    author = ctx.message.author
    if not (author.is_admin or author.is_owner):
        raise CommandError(f"Only server admins (Manage Server) can {what}.")


async def offered_models(ctx: Context) -> list[str]:
    """Model names other plugins offer here (fine-tuned models, for instance)."""
    found = await ctx.plugin.call_all("botkit_models", ctx=ctx)
    return sorted({name for _, names in found for name in names if isinstance(name, str)})


MODEL_NAME_LIMIT = 200
MODEL_NAME = re.compile(rf"[\w.:/@-]{{1,{MODEL_NAME_LIMIT}}}")


async def model_problem(
    state: ChatState, api: openai.AsyncOpenAI | None, name: str, offered: list[str]
) -> str | None:
    """Why ``name`` cannot be used, or None when the server (or a plugin) knows it."""
    import openai

    if name in offered:
        return None
    if not MODEL_NAME.fullmatch(name) or ".." in name.split("/") or "." in name.split("/"):
        return (
            "That is not a model name: use letters, digits and . _ - : / @ "
            f"(at most {MODEL_NAME_LIMIT} characters), e.g. `gpt-4o-mini`."
        )
    if api is None:
        return (
            f"I cannot check model names until the bot's owner sets {state.settings.api_key_env}."
        )
    try:
        await api.models.retrieve(name)
        return None
    except openai.NotFoundError:
        pass
    except openai.APIError as exc:
        log.warning("cannot check model %s: %s", name, type(exc).__name__)
        return "I could not check that model name with the AI service; please try again later."
    try:
        known = [m.id async for m in api.models.list()]
    except openai.APIError as exc:
        log.info("cannot list models: %s", type(exc).__name__)
        known = []
    if name in known:  # servers without /models/{id} still list their models
        return None
    names = sorted(set(known) | set(offered))
    listing = ", ".join(f"`{n}`" for n in names[:MODELS_LISTED])
    if len(names) > MODELS_LISTED:
        listing += f" and {len(names) - MODELS_LISTED} more"
    return f"Unknown model `{name}`." + (f" Models here: {listing}." if names else "")
