"""Tools the assistant may call: commands marked ``tool=True`` and tools plugins offer through
``botkit_tools``, each run as the person whose message the model answers.

A tool call goes through the same gate as a typed command (switches, permission, rules,
``botkit_check``, cooldowns, concurrency); a refusal is the tool's result, so the model can
say why. A server's owner and admins choose which tools the model may use there and which
need the asker's approval (``!tools``); the choices are the host's per-space values.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from botkit import buttons, waits
from botkit.commands import Command, Permission, UsageError, convert
from botkit.models import Attachment, Button, File, Message, Press, Reply

if TYPE_CHECKING:
    from botkit.commands import CommandTable
    from botkit.context import Context
    from botkit.gate import Gate
    from botkit.metrics import Metrics
    from botkit.outbox import Outbox
    from botkit.plugins import Plugins
    from botkit.storage import Storage
    from botkit.switches import Switches


class Parts(Protocol):
    """What the toolbox uses of the running bot (the composition root provides it)."""

    outbox: Outbox
    clock: Callable[[], float]
    storage: Storage
    switches: Switches
    commands: CommandTable
    plugins: Plugins
    gate: Gate
    metrics: Metrics


log = logging.getLogger("botkit.tools")

TOOLS_KEY = "tools"  # the host's per-space value: {tool name: {"enabled": bool, "approval": bool}}
APPROVAL_POLL = 0.5  # seconds between looks at the (injected) clock while an approval is pending
RUN, CANCEL = "run", "cancel"
RESULT_SHOWN = 80  # characters of a result in the trace line
_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")

Runner = Callable[["Context", dict[str, Any]], Awaitable[Reply | str | None]]


def tool_name(name: str) -> str:
    """A name the chat APIs accept: letters, digits, ``_`` and ``-``, at most 64 characters."""
    return _UNSAFE.sub("_", name.strip())[:64]


@attrs.frozen
class Tool:
    """A tool the assistant may call.

    A plugin returns these from ``botkit_tools`` for tools that are not commands: ``run`` is
    ``async def run(ctx, arguments) -> str | Reply | None`` and ``parameters`` the JSON
    schema of ``arguments``. ``confirm=True``: each call waits for the asker's approval.
    """

    name: str = attrs.field(converter=tool_name)
    description: str = ""
    parameters: dict[str, Any] = attrs.field(factory=lambda: {"type": "object", "properties": {}})
    run: Runner | None = attrs.field(default=None, repr=False)
    permission: Permission = Permission.EVERYONE
    confirm: bool = False
    plugin: str = ""
    command: Command | None = attrs.field(default=None, repr=False)

    _function: dict[str, Any] | None = attrs.field(
        default=None, init=False, eq=False, repr=False, alias="_function"
    )

    def function(self) -> dict[str, Any]:
        """The tool in the OpenAI function-calling format (made once per tool)."""
        if self._function is None:
            made = {
                "type": "function",
                "function": {
                    "name": self.name,
                    "description": self.description,
                    "parameters": self.parameters,
                },
            }
            object.__setattr__(self, "_function", made)
            return made
        return self._function

    def gated(self) -> Command:
        """The command the gate decides and runs: the command itself, or one made for a
        plugin's tool (so rules and cooldowns name it like any command)."""
        if self.command is not None:
            return self.command
        run = self.run
        assert run is not None, "a tool needs a command or a run function"

        async def call(ctx: Context, **arguments: Any) -> Reply | str | None:
            return await run(ctx, arguments)

        return Command(
            name=self.name,
            callback=call,
            help=self.description,
            permission=self.permission,
            plugin=self.plugin,
        )


def from_command(cmd: Command) -> Tool | None:
    """The tool of a command marked ``tool=True``; None when it needs an attached file."""
    if any(p.type is Attachment and p.required for p in cmd.parameters):
        return None
    properties: dict[str, Any] = {}
    for p in cmd.parameters:
        if p.type is Attachment:
            continue
        schema: dict[str, Any] = {"type": _JSON_TYPES[p.type]}
        if p.help:
            schema["description"] = p.help
        properties[p.name] = schema
    required = [p.name for p in cmd.parameters if p.required and p.type is not Attachment]
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    return Tool(
        name=cmd.name.replace(" ", "_"),
        description=cmd.help,
        parameters=parameters,
        permission=cmd.permission,
        confirm=cmd.confirm,
        plugin=cmd.plugin,
        command=cmd,
    )


@attrs.frozen
class ToolResult:
    """What one tool call gave: the text the model reads, files for the answer, and the call
    and its outcome as one line (``roll(sides=20) → 17``) for the trace shown to people."""

    call: str
    text: str
    files: tuple[File, ...] = ()
    refused: bool = False

    @property
    def line(self) -> str:
        text = self.text.strip()
        if text[:1] in ("{", "["):  # JSON (an MCP server's result): on one line
            first = " ".join(text.split())
        else:
            first = text.splitlines()[0] if text else "done"
        if len(first) > RESULT_SHOWN:
            first = first[: RESULT_SHOWN - 1] + "…"
        return f"🔧 {self.call} → {first}"


def call_text(name: str, arguments: Mapping[str, Any]) -> str:
    """``roll(sides=20)``: a call as people read it."""
    shown = ", ".join(
        f"{k}={json.dumps(v, ensure_ascii=False) if isinstance(v, str) else v}"
        for k, v in arguments.items()
        if v is not None
    )
    return f"{name}({shown})"


def parse_arguments(arguments: str | Mapping[str, Any]) -> dict[str, Any]:
    """The model's arguments (a JSON object, as text or parsed); UsageError if they are not."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments or "{}")
        except ValueError:
            raise UsageError("the arguments are not valid JSON") from None
    if not isinstance(arguments, Mapping):
        raise UsageError("the arguments must be a JSON object")
    return dict(arguments)


def bind_arguments(tool: Tool, arguments: dict[str, Any]) -> dict[str, Any]:
    """Match the model's arguments to the command's parameters, converted as typed words are;
    a plugin's tool takes them as they are."""
    if tool.command is None:
        return arguments
    params = tool.command.parameters
    extra = sorted(set(arguments) - {p.name for p in params if p.type is not Attachment})
    if extra:
        raise UsageError(f"unexpected argument(s): {', '.join(extra)}")
    values: dict[str, Any] = {}
    for p in params:
        given = arguments.get(p.name)
        if p.type is Attachment or given is None:
            if p.required and p.type is not Attachment:
                raise UsageError(f"{p.name} is missing")
            values[p.name] = p.default
        elif p.type is bool and isinstance(given, bool):
            values[p.name] = given
        elif (
            p.type in (int, float)
            and isinstance(given, int | float)
            and not isinstance(given, bool)
        ):
            if p.type is int and given != int(given):
                raise UsageError(f"{p.name} must be a whole number, not {given!r}")
            values[p.name] = p.type(given)
        else:
            values[p.name] = convert(p, given if isinstance(given, str) else json.dumps(given))
    return values


@attrs.define
class _Pending:
    asker: str
    asker_name: str
    answer: asyncio.Future[bool]


class Approvals:
    """Tool calls waiting for the asker's ✅ or ❌ under the bot's proposal message."""

    def __init__(self, bot: Parts) -> None:
        self._bot = bot
        self._pending: dict[str, _Pending] = {}  # proposal message id -> the wait

    async def ask(self, ctx: Context, call: str, wait: float) -> str:
        """Propose ``call`` to the asker; "" once they approve, else why it did not run."""
        message = ctx.message
        proposal = Reply(
            text=f"🔧 The assistant wants to run {call} for {message.author.name}. Run it?",
            buttons=(Button(RUN, "✅ Run"), Button(CANCEL, "❌ Cancel")),
        )
        sent = await self._bot.outbox.send(message.channel, proposal, reply_to=message.id)
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        key = sent[-1].id
        self._pending[key] = _Pending(message.author.id, message.author.name, answer)
        clock = self._bot.clock
        deadline = clock() + wait
        try:
            with waits.for_person():  # the hook's time-out does not count this wait
                while not answer.done():
                    left = deadline - clock()
                    if left <= 0:
                        log.info("no approval of %s by user %s in time", call, message.author.id)
                        return f"{message.author.name} did not approve it within {wait:g} seconds."
                    await asyncio.wait({answer}, timeout=min(left, APPROVAL_POLL))
        finally:
            del self._pending[key]
        if answer.result():
            return ""
        return f"{message.author.name} declined to run it."

    async def press(self, press: Press) -> bool:
        """Answer a pending proposal with ``press``; False when it is not under one."""
        pending = self._pending.get(press.message_id)
        if pending is None:
            return False
        if press.user.id != pending.asker:
            log.info("user %s pressed %s on another's proposal", press.user.id, press.button)
            await self._bot.outbox.send(
                press.channel,
                Reply(text=f"Only {pending.asker_name} can answer this."),
                reply_to=press.message_id,
            )
            return True
        if not pending.answer.done() and press.button in (RUN, CANCEL):
            pending.answer.set_result(press.button == RUN)
            await buttons.clear(self._bot.outbox.adapter, press.channel, press.message_id)
        return True

    def waiting(self, message_id: str) -> bool:
        return message_id in self._pending


class Toolbox:
    """The bot's tools, the per-space choices about them, and running them as the asker."""

    def __init__(self, bot: Parts) -> None:
        self._bot = bot
        self._choices: dict[str, dict[str, dict[str, bool]]] | None = None
        self._table_size = -1  # of the command table when _by_skip was made
        self._by_skip: dict[frozenset[str], dict[str, Tool]] = {}
        self._loading = asyncio.Lock()
        self.approvals = Approvals(bot)

    # --- which tools exist, and the choices about them ---

    async def choices(self, space: str) -> dict[str, dict[str, bool]]:
        """This space's choices by tool name (read once for every space, on first use)."""
        if self._choices is None:
            async with self._loading:
                if self._choices is None:
                    self._choices = await self._bot.storage.settings_by_guild("botkit", TOOLS_KEY)
        return self._choices.get(space, {})

    async def reload(self, space: str) -> None:
        """Read one space's choices again (another process changed them)."""
        if self._choices is not None:
            found = await self._bot.storage.get_setting("botkit", space, TOOLS_KEY, {})
            self._choices[space] = found

    def forget(self) -> None:
        """Read every space's choices again on next use."""
        self._choices = None

    async def choose(self, space: str, name: str, **change: bool) -> None:
        """Change ``enabled`` or ``approval`` of one tool in one space."""
        current = dict(await self.choices(space))
        current[name] = {**current.get(name, {}), **change}
        assert self._choices is not None
        self._choices[space] = current
        await self._bot.storage.set_setting("botkit", space, TOOLS_KEY, current)

    def _from_commands(self, skip: frozenset[str]) -> dict[str, Tool]:
        """The tools of the commands of plugins not in ``skip``, by name in name order.

        Made once per set of switched-off plugins; the command table only grows (plugins
        load), so its size tells when they must be made again."""
        size = len(self._bot.commands.by_name)
        if size != self._table_size:
            self._table_size, self._by_skip = size, {}
        found = self._by_skip.get(skip)
        if found is None:
            found = {}
            for cmd in self._bot.commands.unique():
                tool = from_command(cmd) if cmd.tool and cmd.plugin not in skip else None
                if tool is not None:
                    found.setdefault(tool.name, tool)
            self._by_skip[skip] = found
        return found

    async def _from_plugins(self, space: str, skip: frozenset[str]) -> list[Tool]:
        """The tools plugins offer here through ``botkit_tools`` (asked each time: an MCP
        server's come and go with its connection)."""
        found = []
        offered = await self._bot.plugins.call_all("botkit_tools", guild_id=space, skip=skip)
        for plugin, tools in offered:
            for tool in tools:
                if tool.run is None and tool.command is None:
                    log.warning("plugin %s offered tool %s without a run function", plugin, tool)
                    continue
                found.append(attrs.evolve(tool, plugin=plugin))
        return found

    async def available(self, space: str) -> list[Tool]:
        """Every tool of the plugins switched on in ``space``, by name (first claim wins,
        commands first)."""
        skip = self._bot.switches.off(space)
        commands = self._from_commands(skip)
        others = await self._from_plugins(space, skip)
        if not others:
            return list(commands.values())
        found = dict(commands)
        for tool in others:
            found.setdefault(tool.name, tool)
        return sorted(found.values(), key=lambda t: t.name)

    async def find(self, space: str, name: str) -> Tool | None:
        """The tool ``name`` here, as ``available`` would find it."""
        skip = self._bot.switches.off(space)
        tool = self._from_commands(skip).get(name)
        if tool is None:
            others = await self._from_plugins(space, skip)
            tool = next((t for t in others if t.name == name), None)
        return tool

    @staticmethod
    def state(tool: Tool, choices: Mapping[str, Mapping[str, bool]]) -> tuple[bool, bool]:
        """(enabled, needs approval) in a space with these choices."""
        chosen = choices.get(tool.name, {})
        return chosen.get("enabled", True), chosen.get("approval", tool.confirm)

    async def offered(self, message: Message) -> list[Tool]:
        """The tools the model may call for ``message``'s author here: enabled in this space,
        and ones the gate lets them run (a cooldown only for now)."""
        choices = await self.choices(message.space)
        result = []
        for tool in await self.available(message.space):
            if not self.state(tool, choices)[0]:
                continue
            verdict = await self._bot.gate.decide(tool.gated(), message)
            if verdict.kind in ("", "cooldown", "concurrency"):
                result.append(tool)
        return result

    # --- running one ---

    async def run(
        self,
        ctx: Context,
        name: str,
        arguments: str | Mapping[str, Any],
        *,
        time_limit: float,
        approval_timeout: float,
    ) -> ToolResult:
        """Run tool ``name`` as ``ctx.message``'s author, through the gate and (where needed)
        their approval; every refusal and failure is a result the model is told."""
        message = ctx.message
        tool = await self.find(message.space, name)
        choices = await self.choices(message.space)
        if tool is None or not self.state(tool, choices)[0]:
            return ToolResult(f"{tool_name(name)}()", f"There is no tool {name!r} here.", (), True)
        try:
            values = bind_arguments(tool, parse_arguments(arguments))
        except UsageError as exc:
            return ToolResult(f"{tool.name}(…)", f"Wrong arguments: {exc}.", (), True)
        call = call_text(
            tool.name, {k: v for k, v in values.items() if not _is_default(tool, k, v)}
        )
        cmd = tool.gated()
        gate = self._bot.gate
        verdict = await gate.decide(cmd, message)
        if not verdict.refused and self.state(tool, choices)[1]:
            why = await self.approvals.ask(ctx, call, approval_timeout)
            if why:
                return ToolResult(call, f"Not run: {why}", (), True)
        if not verdict.refused:
            verdict = await gate.admit(cmd, message)
        if verdict.refused:
            self._bot.metrics.refused(cmd.name, verdict.kind)
            log.info("refused tool %s to user %s: %s", cmd.name, message.author.id, verdict.reason)
            return ToolResult(call, f"Refused: {verdict.reason}", (), True)
        log.debug("tool %s by user %s", cmd.name, message.author.id)
        async with gate.running(cmd, message):
            return await self._invoke(cmd, ctx.for_plugin(cmd.plugin), values, call, time_limit)

    async def _invoke(
        self, cmd: Command, ctx: Context, values: dict[str, Any], call: str, time_limit: float
    ) -> ToolResult:
        from botkit.context import CommandError

        plugins = self._bot.plugins
        try:
            async with asyncio.timeout(time_limit):
                result = await cmd.callback(ctx, **values)
        except CommandError as exc:
            return ToolResult(call, str(exc))
        except TimeoutError:
            plugins.failed(cmd.plugin, f"tool {cmd.name}", "timeout")
            log.error("tool %s of plugin %s timed out", cmd.name, cmd.plugin)
            return ToolResult(
                call, f"{cmd.name} took longer than {time_limit:g} s and was stopped."
            )
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            plugins.failed(cmd.plugin, f"tool {cmd.name}", "error")
            log.error("tool %s of plugin %s raised CancelledError", cmd.name, cmd.plugin)
            return ToolResult(call, f"{cmd.name} failed.")
        except Exception:
            plugins.failed(cmd.plugin, f"tool {cmd.name}", "error")
            log.exception("tool %s of plugin %s failed", cmd.name, cmd.plugin)
            return ToolResult(call, f"{cmd.name} failed.")
        if result is None:
            return ToolResult(call, "done")
        if isinstance(result, str):
            return ToolResult(call, result)
        if isinstance(result, Reply) and result.stream is None:
            return ToolResult(call, result.text, result.files)
        plugins.failed(cmd.plugin, f"tool {cmd.name}", "bad_result")
        log.error("tool %s of plugin %s returned %s", cmd.name, cmd.plugin, type(result).__name__)
        return ToolResult(call, f"{cmd.name} failed.")


def _is_default(tool: Tool, name: str, value: Any) -> bool:
    if tool.command is None:
        return False
    param = next((p for p in tool.command.parameters if p.name == name), None)
    return param is not None and not param.required and value == param.default
