"""The ``[discord]`` section and the gateway intents the adapter asks for."""

from __future__ import annotations

from typing import Any, Literal

import attrs

from botkit.adapter import not_negative, positive, setting

LEASED = "leased"
AUTO = "auto"

MESSAGE_CONTENT_HELP = (
    "enable 'Message Content Intent' at https://discord.com/developers/applications -> your "
    "application -> Bot -> Privileged Gateway Intents"
)


def _check_count(instance: DiscordSettings, attribute: Any, value: int | str) -> None:
    if isinstance(value, int) and value < 0:
        raise ValueError(f'shard_count must be 0 or more, or "{AUTO}", not {value}')


def _check_shards(instance: DiscordSettings, attribute: Any, value: list[int] | str) -> None:
    count = instance.shard_count
    if value == LEASED:
        if count == 0:
            raise ValueError(
                f'shard_ids = "{LEASED}" needs shard_count (a number, or "{AUTO}") as well'
            )
        return
    if not value:
        return
    if not isinstance(count, int) or count <= 0:
        raise ValueError("shard_ids needs shard_count (the total number of shards) as well")
    wrong = [i for i in value if not 0 <= i < count]
    if wrong:
        raise ValueError(f"shard_ids {wrong} are outside 0..{count - 1}")


def _server_ids(instance: DiscordSettings, attribute: Any, value: list[str]) -> None:
    wrong = [v for v in value if not v.isdigit()]
    if wrong:
        raise ValueError(f"sync_guild_ids must hold server ids (digits), not {wrong}")


@attrs.define
class DiscordSettings:
    """The ``[discord]`` section (the prefix and owner ids live in ``[bot]``)."""

    message_content: bool = setting(
        True,
        "ask for the privileged message-content intent, which prefix commands and plain "
        "messages in servers need (developer portal: Bot -> Privileged Gateway Intents)",
    )
    sync_commands: bool = setting(
        False,
        "register slash commands at start-up; Discord rate-limits this, so usually run "
        "`botkit sync` once after installing or updating plugins instead",
    )
    sync_guild_ids: list[str] = setting(
        [],
        "sync slash commands to these servers only (for testing); empty: global",
        validator=_server_ids,
    )
    shard_count: int | Literal["auto"] = setting(
        0,
        'total shards over all processes; 0: no sharding; "auto": as many as Discord '
        "recommends (GET /gateway/bot)",
        validator=_check_count,
    )
    shard_ids: list[int] | Literal["leased"] = setting(
        [],
        'shards this process runs (empty: all of shard_count); "leased": processes share '
        "shard_count through leases in the PostgreSQL database (docs/scaling.md)",
        validator=_check_shards,
    )
    max_shards_per_process: int = setting(
        0,
        "with leased shards: the most one process claims (0: as many as there are)",
        validator=not_negative,
    )
    lease_seconds: float = setting(
        30.0,
        "with leased shards: a dead process's shards are served again within twice this",
        validator=positive,
    )
    api_base: str = setting(
        "",
        "send REST calls through this proxy (nirn-proxy, twilight-http-proxy), e.g. "
        '"http://nirn-proxy:8080/api/v10"; empty: straight to Discord',
    )
    voice_timeout: float = setting(
        30.0,
        "seconds to wait when joining a voice channel",
        validator=not_negative,
    )
    connect_timeout: float = setting(
        60.0,
        "seconds to wait for Discord at start-up before giving up",
        validator=not_negative,
    )
    guild_ready_timeout: float = setting(
        2.0,
        "seconds to wait for server data at start-up before 'ready'",
        validator=not_negative,
    )

    @property
    def sharded(self) -> bool:
        return self.shard_count == AUTO or self.shard_count > 0

    @property
    def leased(self) -> bool:
        return self.shard_ids == LEASED
