"""docs/server-owners.md and docs/deploy.md: their examples run from the documents' own text."""

from __future__ import annotations

import re
import tomllib
import types
from pathlib import Path

import aiohttp
import attrs
import pytest
from prometheus_client.parser import text_string_to_metric_families

import botkit
from botkit import Context, setting
from botkit.models import Message, User
from botkit.testing import ADMIN, CHANNEL, MEMBER

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
ALICE = User(id="9", name="alice", roles=("77",))
USERS = {"admin": ADMIN, "member": MEMBER, "alice": ALICE}


def blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def exchanges(block: str) -> list[tuple[str, str, str]]:
    """(user, what they type, the bot's reply) for each ``name>`` line of a transcript."""
    found: list[tuple[str, str, str]] = []
    for line in block.splitlines():
        who, _, text = line.partition("> ")
        if who == "bot":
            user, typed, reply = found[-1]
            found[-1] = (user, typed, f"{reply}\n{text}".strip())
        else:
            found.append((who, text, ""))
    return found


async def train(ctx: Context) -> str:
    """Start training."""
    return "training started"


def temperature_range(instance: object, attribute: object, value: float) -> None:
    if not 0 <= value <= 2:
        raise ValueError(f"temperature must be between 0 and 2, not {value}")


@attrs.define
class ChatSettings:
    temperature: float = setting(0.7, "sampling temperature", temperature_range, server=True)
    base_url: str = setting("https://api.example.test/v1", "the service", owner_only=True)


class Trainer:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [botkit.command(train)]


async def boom(ctx: Context) -> str:
    """Fail."""
    raise RuntimeError("boom")


class Chat:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [botkit.command(boom)]

    @botkit.hookimpl
    def botkit_settings(self) -> type:
        return ChatSettings


async def say(bot, user: User, text: str) -> str:
    """``text`` from ``user`` in the server, with the users it mentions resolved (as Discord
    resolves them)."""
    mentioned = re.findall(r"<@!?(\d+)>", text)
    known = {u.id: u for u in USERS.values()}
    message = Message(
        id=bot.adapter.next_id(),
        content=text,
        author=user,
        channel=CHANNEL,
        mentions=tuple(known[i] for i in mentioned if i in known),
    )
    before = len(bot.adapter.sent)
    await bot.bot.handle(message)
    return "\n".join(s.text for s in bot.adapter.sent[before:])


@pytest.mark.parametrize("block", blocks(DOCS / "server-owners.md", "text"))
async def test_server_owner_transcripts(botkit_harness, block: str) -> None:
    plugins = {"trainer": Trainer(), "openai_chat": Chat()}
    async with botkit_harness(plugins=plugins, clock=lambda: 100.0) as bot:
        for who, typed, reply in exchanges(block):
            assert await say(bot, USERS[who], typed) == reply, typed


def test_the_compose_shard_file_is_the_one_documented() -> None:
    (documented,) = [b for b in blocks(DOCS / "deploy.md", "toml") if "shard_ids" in b]
    shipped = (ROOT / "deploy" / "shard-0.toml").read_text(encoding="utf-8")
    assert tomllib.loads(documented) == tomllib.loads(shipped)


def test_compose_runs_processes_that_lease_the_shards_through_the_rest_proxy() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    files = re.findall(r"BOTKIT_CONFIG: /config/(shard-\d+\.toml)", compose)
    assert files == ["shard-0.toml", "shard-1.toml"]
    sections = [tomllib.loads((ROOT / "deploy" / f).read_text())["discord"] for f in files]
    assert {s["shard_ids"] for s in sections} == {"leased"}
    assert {s["api_base"] for s in sections} == {"http://nirn-proxy:8080/api/v10"}
    assert all(s["max_shards_per_process"] >= s["shard_count"] for s in sections)  # one alone
    assert "\n  nirn-proxy:\n" in compose and "profiles:" not in compose


def readme_plugins() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (line,) = [ln for ln in readme.splitlines() if "pip install ." in ln and "botkit run" in ln]
    return re.findall(r"\./plugins/\w+", line)


@pytest.mark.parametrize("path", ["Dockerfile", "docs/botkit.service", "docs/deploy.md"])
def test_every_deployment_installs_the_readmes_plugins(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    assert readme_plugins() and all(p in text for p in readme_plugins())


async def scrape(bot) -> str:
    host, port = bot.bot.metrics.address
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://{host}:{port}/metrics") as r,
    ):
        return await r.text()


def documented_metrics() -> list[str]:
    text = (DOCS / "deploy.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `(botkit_\w+)` \|", text, re.M)


def plugin_example() -> types.ModuleType:
    (source,) = [b for b in blocks(DOCS / "deploy.md", "python") if "count_tokens" in b]
    module = types.ModuleType("deploy_example")
    exec(compile(source, "docs/deploy.md", "exec"), module.__dict__)
    return module


async def test_the_documented_metrics_are_served(botkit_harness) -> None:
    (listen,) = [
        b for b in blocks(DOCS / "deploy.md", "toml") if "[metrics]" in b and "shard" not in b
    ]
    config = tomllib.loads(listen)
    config["metrics"]["listen"] = "127.0.0.1:0"  # the documented port may be taken here
    plugins = {"example": plugin_example().Plugin(), "chat": Chat()}
    async with botkit_harness(plugins=plugins, config=config) as bot:
        assert (await bot.send("!ask what is it?", user=MEMBER)).text == "42"
        await bot.send("!plugins", user=MEMBER)  # refused: admins only
        await bot.send("!boom", user=MEMBER)  # a plugin failure
        await bot.dm("hello", user=MEMBER)
        served = {
            sample.name
            for family in text_string_to_metric_families(await scrape(bot))
            for sample in family.samples
        }
    missing = [m for m in documented_metrics() if m not in served and f"{m}_count" not in served]
    assert documented_metrics() and missing == []


async def test_the_plugin_example_reports_its_figures(botkit_harness) -> None:
    plugins = {"example": plugin_example().Plugin()}
    config = {"metrics": {"listen": "127.0.0.1:0"}}
    async with botkit_harness(plugins=plugins, config=config) as bot:
        await bot.send("!ask what is it?", user=MEMBER)
        text = await scrape(bot)
    assert 'botkit_chat_tokens_total{kind="prompt",plugin="example"} 42.0' in text
    assert 'botkit_queue_depth{plugin="example",queue="speech"} 2.0' in text
    assert 'botkit_jobs{plugin="example",state="succeeded"} 3.0' in text
