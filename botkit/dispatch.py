"""The message flow, one way: an adapter's event is decided once, here, then runs as a command
or through the answer pipeline, and what comes back leaves through the outbox.

```
Message ─> Dispatcher.handle ─> command? ─> bind ─> gate.decide ─> gate.admit ─> callback ─┐
                               └─> answer: transcribe ─> knowledge ─> respond ─> deliver ───┤
Slash command (bound options) ─> Dispatcher.handle_command ─> gate ─> callback ─────────────┤
/name args (Telegram, console) ─> Dispatcher.handle_invocation ─> bind ─> gate ─> callback ─┤
Reaction ─> Dispatcher.handle_reaction ─> reaction hooks                                    │
Press (button) ─> Dispatcher.handle_press ─> a tool approval, or press hooks  Outbox ─> adapter
```
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import attrs

from botkit import waits
from botkit.commands import Command, CommandTable, UsageError, bind
from botkit.context import CommandError, Context
from botkit.gate import LIMITS, Gate
from botkit.models import (
    Attachment,
    ChannelKind,
    Message,
    Press,
    Reaction,
    ReferencedMessage,
    Reply,
    Sent,
)
from botkit.outbox import Outbox
from botkit.plugins import Plugins, own_cancellation
from botkit.results import Refusal
from botkit.switches import Switches
from botkit.text import clean_text
from botkit.triggers import should_answer
from botkit.typing_delay import delayed_typing

if TYPE_CHECKING:
    from botkit.config import BotSettings
    from botkit.handle import PluginHandle
    from botkit.metrics import Metrics
    from botkit.tools import Toolbox

log = logging.getLogger("botkit")

_NOTHING = nullcontext()
NOT_LOADED = "is installed but not loaded"
OBSERVER_TIMEOUT = 10.0  # seconds a message_received hook may delay every message


@attrs.frozen
class Turn:
    """One message being handled: its context and the plugins switched off where it was sent
    (the reply goes to ``ctx.message``, in its channel)."""

    ctx: Context
    skip: frozenset[str]


class Dispatcher:
    """Decides each incoming message once and runs it; what plugins' contexts call back."""

    def __init__(
        self,
        *,
        settings: BotSettings,
        plugins: Plugins,
        commands: CommandTable,
        gate: Gate,
        outbox: Outbox,
        switches: Switches,
        metrics: Metrics,
        handles: Callable[[str], PluginHandle],
        tools: Toolbox,
        counted: Callable[[Message], AbstractContextManager[None]] = lambda message: _NOTHING,
        root: Any = None,
    ) -> None:
        self.settings = settings
        self.plugins = plugins
        self.commands = commands
        self.gate = gate
        self.outbox = outbox
        self.switches = switches
        self.metrics = metrics
        self.handle_for = handles
        self.root = root  # the composition root, for the host's own built-in commands only
        self.tools = tools  # what the assistant may run as the asker
        self.counted = counted  # around each message handled (the web console's usage)
        self._ephemeral = itertools.count(1)
        # what contexts reply through: the outbox itself, no forwarding await in between
        self.send: Callable[..., Awaitable[list[Sent]]] = outbox.send

    # --- what adapters call ---

    def wants(self, message: Message) -> bool:
        """The cheap check an adapter may make before costly work: a command or for the bot."""
        content, prefix = message.content, self.settings.prefix
        return (content.startswith(prefix) and len(content) > len(prefix)) or should_answer(
            message, self.settings, self.outbox.adapter.bot_user_id
        )

    @property
    def observed(self) -> bool:
        """Whether some plugin watches every message (else an adapter may skip what
        :meth:`wants` says is not for the bot)."""
        return bool(self.plugins.implements("botkit_message_received"))

    async def handle(self, message: Message) -> None:
        """Run one incoming message through commands or the answer pipeline."""
        if message.author.is_bot or message.author.id == self.outbox.adapter.bot_user_id:
            return
        with self.metrics.message(), self.counted(message):
            message = self._with_owner(self._cleaned(message))
            turn = await self._received(message)
            prefix = self.settings.prefix
            if message.content.startswith(prefix) and len(message.content) > len(prefix):
                await self._run_text(turn, message.content[len(prefix) :])
            elif should_answer(message, self.settings, self.outbox.adapter.bot_user_id):
                await self.answer(turn)

    async def handle_invocation(self, message: Message, name: str, args: str) -> None:
        """A platform command (Telegram's or the console's ``/name args``): the command is
        chosen by name, never by parsing the message text with the prefix again."""
        if message.author.is_bot:
            return
        with self.metrics.message(), self.counted(message):
            message = self._with_owner(self._cleaned(message))
            turn = await self._received(message)
            await self._run_text(turn, clean_text(f"{name} {args}".strip()))

    async def handle_command(self, message: Message, cmd: Command, values: dict[str, Any]) -> None:
        """Run ``cmd`` with arguments the adapter already bound (a slash command's options)."""
        if message.author.is_bot:
            return
        with self.metrics.message(), self.counted(message):
            message = self._with_owner(message)
            values = {k: clean_text(v) if isinstance(v, str) else v for k, v in values.items()}
            await self._run(cmd, await self._received(message), values)

    async def handle_reaction(self, reaction: Reaction) -> None:
        """Tell plugins that a user reacted to one of the bot's messages."""
        if reaction.user.is_bot:
            return
        reaction = attrs.evolve(
            reaction, message_id=clean_text(reaction.message_id), emoji=clean_text(reaction.emoji)
        )
        stand_in = Message(
            id=reaction.message_id, content="", author=reaction.user, channel=reaction.channel
        )
        await self.plugins.call_all(
            "botkit_reaction",
            ctx=self.context(stand_in),
            reaction=reaction,
            skip=self.switches.off(reaction.space),
        )

    async def handle_press(self, press: Press) -> None:
        """A button pressed under one of the bot's messages: a pending tool approval takes
        it; otherwise every plugin's ``botkit_press``."""
        if press.user.is_bot:
            return
        if await self.tools.approvals.press(press):
            return
        stand_in = Message(
            id=press.message_id, content="", author=press.user, channel=press.channel
        )
        await self.plugins.call_all(
            "botkit_press",
            ctx=self.context(stand_in),
            press=press,
            skip=self.switches.off(press.space),
        )

    # --- what contexts call ---

    def context(self, message: Message, plugin: str = "builtin") -> Context:
        return Context(message=message, plugin=self.handle_for(plugin), flow=self)

    async def fetch(self, channel: Any, message_id: str) -> ReferencedMessage | None:
        return await self.outbox.adapter.fetch_message(channel, message_id)

    async def answer_text(self, ctx: Context, text: str) -> Reply | None:
        """``ctx.answer``: the pipeline for ``text`` in a conversation of its own, every plugin
        enabled here taking part (the caller's own knowledge included, not its answer)."""
        channel = ctx.message.channel
        own = attrs.evolve(
            ctx.message,
            id=f"ephemeral-{next(self._ephemeral)}",
            content=text,
            channel=attrs.evolve(
                channel,
                id=f"ephemeral-{channel.id}",
                kind=ChannelKind.DM if channel.is_dm else channel.kind,
            ),
            reference=None,
            attachments=(),
            ephemeral=True,
        )
        turn = Turn(self.context(own), self.switches.off(ctx.space))
        caller = frozenset({ctx.plugin.name})  # adds its knowledge, but does not answer itself
        result = await self._respond(turn, clean_text(text), caller)
        if isinstance(result, str):
            return Reply(text=result)
        if isinstance(result, Reply) and result.stream is not None:
            pieces = [piece async for piece in result.stream]
            return attrs.evolve(result, text="".join(pieces), stream=None)
        return result

    # --- commands ---

    async def _received(self, message: Message) -> Turn:
        """The message's turn, once the observers saw it."""
        turn = Turn(self.context(message), self.switches.off(message.space))
        if self.observed:
            await self.plugins.call_all(
                "botkit_message_received",
                ctx=turn.ctx,
                skip=turn.skip,
                hook_timeout=min(OBSERVER_TIMEOUT, self.plugins.timeout),
            )
        return turn

    def _cleaned(self, message: Message) -> Message:
        content = clean_text(message.content)
        return message if content == message.content else attrs.evolve(message, content=content)

    def _with_owner(self, message: Message) -> Message:
        author = message.author
        if author.id in self.settings.owner_ids and not author.is_owner:
            author = attrs.evolve(author, is_owner=True, is_admin=True)
            message = attrs.evolve(message, author=author)
        return message

    async def _run_text(self, turn: Turn, text: str) -> None:
        cmd, name, args = self.commands.find(text)
        if cmd is None:
            await self._unknown(turn.ctx, name)
            return
        try:
            values = bind(cmd, args, turn.ctx.message)
        except UsageError as exc:
            await turn.ctx.reply(f"{exc}. Usage: `{cmd.usage(self.settings.prefix)}`")
            return
        await self._run(cmd, turn, values)

    async def _run(self, cmd: Command, turn: Turn, values: dict[str, Any]) -> None:
        """Decide ``cmd`` at the gate, take its slots, then run it with bound arguments."""
        ctx, prefix = turn.ctx, self.settings.prefix
        verdict = await self.gate.decide(cmd, ctx.message)
        if not verdict.refused or verdict.kind in LIMITS:  # a run takes (or is told of) a slot
            verdict = await self.gate.admit(cmd, ctx.message)
        if verdict.refused:
            self.metrics.refused(cmd.name, verdict.kind)
            log.info(
                "refused %s%s to user %s: %s",
                prefix,
                cmd.name,
                ctx.message.author.id,
                verdict.reason,
            )
            if verdict.reply:
                await ctx.reply(verdict.reason)
            return
        log.debug("command %s%s by user %s", prefix, cmd.name, ctx.message.author.id)
        async with self.gate.running(cmd, ctx.message):
            with self.metrics.command(cmd.name):
                await self._invoke(cmd, ctx.for_plugin(cmd.plugin), values)

    def check(self, cmd: Command, message: Message) -> str | Refusal | None:
        """The first plugin's reason to refuse ``cmd`` to this message's author here."""
        return self.plugins.ask(
            "botkit_check",
            ctx=self.context(message),
            command=cmd,
            skip=self.switches.off(message.space),
        )

    async def _unknown(self, ctx: Context, name: str) -> None:
        """Answer "!wow" only when it is a likely typo or sent in a DM: not for the bot else."""
        prefix = self.settings.prefix
        if not name or not (ctx.message.channel.is_dm or self.commands.has_near(name)):
            return
        near = self.commands.suggest(name)
        hint = f" Did you mean {', '.join(prefix + n for n in near)}?" if near else ""
        broken = self._not_loaded()
        hint += f" ({broken})" if broken and not near else ""
        await ctx.reply(f"Unknown command {prefix}{name[:40]}.{hint} See {prefix}help.")

    def _not_loaded(self) -> str:
        """ "NAME is installed but not loaded: why" for the plugins that failed to load."""
        return "; ".join(
            f"{s.name} {s.error}"
            if s.error.startswith(NOT_LOADED)
            else f"{s.name} {NOT_LOADED}: {s.error}"
            for s in self.plugins.statuses.values()
            if s.state == "error"
        )

    async def _invoke(self, cmd: Command, ctx: Context, values: dict[str, Any]) -> None:
        """Run a command callback and send what it returns; errors become short replies."""
        try:
            async with waits.timeout(self.plugins.timeout):
                result = await cmd.callback(ctx, **values)
        except CommandError as exc:
            log.info("%s%s refused: %s", ctx.plugin.prefix, cmd.name, exc)
            await ctx.reply(str(exc))
            return
        except TimeoutError:
            self.plugins.failed(cmd.plugin, f"command {cmd.name}", "timeout")
            log.error("command %s of plugin %s timed out", cmd.name, cmd.plugin)
            await ctx.reply(f"{ctx.plugin.prefix}{cmd.name} took too long and was stopped.")
            return
        except asyncio.CancelledError:
            if own_cancellation():
                raise
            self.plugins.failed(cmd.plugin, f"command {cmd.name}", "error")
            log.error("command %s of plugin %s raised CancelledError", cmd.name, cmd.plugin)
            await ctx.reply(_failure_text(ctx, cmd))
            return
        except Exception:
            self.plugins.failed(cmd.plugin, f"command {cmd.name}", "error")
            log.exception("command %s of plugin %s failed", cmd.name, cmd.plugin)
            await ctx.reply(_failure_text(ctx, cmd))
            return
        if result is not None:
            await ctx.reply(result)

    # --- the answer pipeline ---

    async def answer(self, turn: Turn) -> None:
        """Answer a plain message; a hook raising CommandError is answered with its text."""
        try:
            with self.metrics.answer():
                await self._answer(turn)
        except CommandError as exc:
            log.info("answer to message %s refused: %s", turn.ctx.message.id, exc)
            await turn.ctx.reply(str(exc))

    async def _answer(self, turn: Turn) -> None:
        """Transcribe audio, gather knowledge, ask the respond hook, deliver or send the answer."""
        ctx = turn.ctx
        message = ctx.message
        text = message.content.strip()
        audio = next((a for a in message.attachments if a.is_audio), None)
        if audio is not None:
            transcript = await self._transcribe(turn, audio)
            if transcript is None:
                return
            text = f"{text}\n{transcript}".strip()
        if not text and not any(a.is_image for a in message.attachments):
            if message.attachments:
                await ctx.reply("I can read text, images and audio; this attachment is none.")
            return
        adapter = self.outbox.adapter
        async with delayed_typing(adapter, message.channel, self.settings.typing_delay):
            result = await self._respond(turn, text)
        if result is None:
            if not self.plugins.implements("botkit_respond"):
                broken = self._not_loaded()
                await ctx.reply(
                    broken or f"No chat plugin is installed. See {ctx.plugin.prefix}help."
                )
            return
        reply = Reply(text=result, speak=True) if isinstance(result, str) else result
        try:
            await self._deliver(turn, reply)
        except CommandError:
            raise
        except Exception:  # e.g. a plugin's reply stream broke part-way
            log.exception("delivering the answer to message %s failed", message.id)
            await ctx.reply(
                "Something went wrong while answering; the details are in the bot's log."
            )

    async def _respond(
        self, turn: Turn, text: str, responders_skip: frozenset[str] = frozenset()
    ) -> Reply | str | None:
        """Knowledge snippets, then the first respond hook's answer (``responders_skip``: plugins
        that may add knowledge but not answer, e.g. the one asking through ``ctx.answer``)."""
        ctx, skip = turn.ctx, turn.skip
        found = await self.plugins.call_all("botkit_knowledge", ctx=ctx, text=text, skip=skip)
        snippets = [s for _, items in found for s in items]
        return await self.plugins.call_first(
            "botkit_respond", ctx=ctx, text=text, snippets=snippets, skip=skip | responders_skip
        )

    async def _transcribe(self, turn: Turn, audio: Attachment) -> str | None:
        ctx, limit_mb = turn.ctx, self.settings.max_attachment_mb
        if audio.size > limit_mb * 1024 * 1024:
            await ctx.reply(f"That audio is too large (limit {limit_mb:g} MB).")
            return None
        if not self.plugins.implements("botkit_transcribe"):
            await ctx.reply("No speech-to-text plugin is installed, so I cannot hear audio.")
            return None
        transcript = await self.plugins.call_first(
            "botkit_transcribe", ctx=ctx, attachment=audio, skip=turn.skip
        )
        if not transcript or not transcript.strip():
            await ctx.reply("I could not make out any speech in that audio.")
            return None
        return clean_text(transcript.strip())

    async def _deliver(self, turn: Turn, reply: Reply) -> None:
        """Stream or send the reply, letting a deliver hook (voice) take it over."""
        ctx, skip = turn.ctx, turn.skip
        reply = attrs.evolve(reply, answer=True)  # rating buttons go under it
        if reply.stream is not None:
            text = await self.outbox.stream(ctx.message.channel, reply, ctx.message.id)
            if reply.speak and text:
                spoken = attrs.evolve(reply, text=text, stream=None)
                other = await self.plugins.call_first(
                    "botkit_deliver", ctx=ctx, reply=spoken, skip=skip
                )
                if isinstance(other, Reply) and other.files:
                    await ctx.reply(Reply(files=other.files))
            return
        if reply.speak:
            other = await self.plugins.call_first("botkit_deliver", ctx=ctx, reply=reply, skip=skip)
            if other is True:
                return
            if isinstance(other, Reply):
                reply = attrs.evolve(other, answer=True)
        await ctx.reply(reply)


def _failure_text(ctx: Context, cmd: Command) -> str:
    """What the user is told when a command failed."""
    return f"{ctx.plugin.prefix}{cmd.name} failed; the details are in the bot's log."
