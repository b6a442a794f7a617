"""Gateway and REST payloads shaped as Discord sends them, and the fake world's records."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import attrs
import discord

VOICE_MESSAGE_FLAG = 1 << 13
EPOCH = discord.utils.time_snowflake(datetime(2025, 1, 1, tzinfo=UTC))
CDN = "https://cdn.discordapp.com"
EVERYONE = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    read_message_history=True,
    add_reactions=True,
    attach_files=True,
    embed_links=True,
    use_application_commands=True,
    connect=True,
    speak=True,
).value


# --- the world's records ---


@attrs.frozen
class FakeUser:
    """A Discord user in the fake world."""

    id: int
    name: str
    bot: bool = False
    roles: tuple[int, ...] = ()

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@attrs.define
class FakeChannel:
    """A channel the fake knows: its type, server and (for threads) parent and owner."""

    id: int
    name: str
    type: int  # discord.ChannelType value
    guild_id: int | None
    parent_id: int | None = None
    owner_id: int | None = None
    recipient: FakeUser | None = None


# --- payload builders: JSON shaped as Discord sends it ---


def timestamp(snowflake: int) -> str:
    return discord.utils.snowflake_time(snowflake).isoformat()


def user_payload(user: FakeUser) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.name,
        "global_name": user.name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": user.bot,
        "public_flags": 0,
    }


def member_payload(
    user: FakeUser, *, with_user: bool = True, joined: int = EPOCH
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r) for r in user.roles],
        "joined_at": timestamp(joined),
        "nick": None,
        "avatar": None,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user_payload(user)
    return data


def role_payload(
    role_id: int, name: str, permissions: int, *, position: int = 0, bot_id: int | None = None
) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": bot_id is not None,
        "mentionable": False,
        "flags": 0,
        "tags": {"bot_id": str(bot_id)} if bot_id is not None else {},
    }


def channel_payload(channel: FakeChannel, position: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(channel.id),
        "type": channel.type,
        "name": channel.name,
        "flags": 0,
    }
    if channel.type == discord.ChannelType.private.value:
        assert channel.recipient is not None
        return {
            "id": str(channel.id),
            "type": channel.type,
            "recipients": [user_payload(channel.recipient)],
            "last_message_id": None,
            "flags": 0,
        }
    data.update(guild_id=str(channel.guild_id), position=position, permission_overwrites=[])
    if channel.type in (11, 12):
        data.update(
            parent_id=str(channel.parent_id),
            owner_id=str(channel.owner_id),
            message_count=0,
            member_count=1,
            rate_limit_per_user=0,
            total_message_sent=0,
            last_message_id=None,
            thread_metadata={
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": timestamp(channel.id),
                "locked": False,
            },
        )
    elif channel.type == discord.ChannelType.voice.value:
        data.update(
            parent_id=None,
            bitrate=64000,
            user_limit=0,
            rtc_region=None,
            nsfw=False,
            rate_limit_per_user=0,
            last_message_id=None,
        )
    else:
        data.update(
            parent_id=None, topic=None, nsfw=False, rate_limit_per_user=0, last_message_id=None
        )
    return data


def attachment_payload(
    attachment_id: int,
    filename: str,
    size: int,
    content_type: str | None = None,
    *,
    voice: bool = False,
    duration: float | None = None,
) -> dict[str, Any]:
    """An attachment; a voice message carries ``duration_secs`` and ``waveform``."""
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    url = f"{CDN}/attachments/{attachment_id}/{filename}"
    data: dict[str, Any] = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url.replace(CDN, "https://media.discordapp.net"),
        "content_type": content_type,
    }
    if voice:
        data["duration_secs"] = duration if duration is not None else 1.0
        data["waveform"] = base64.b64encode(bytes(range(0, 256, 8))).decode()
    return data


def message_payload(
    message_id: int,
    channel: FakeChannel,
    author: FakeUser,
    content: str = "",
    *,
    attachments: Iterable[dict[str, Any]] = (),
    mentions: Iterable[FakeUser] = (),
    flags: int = 0,
    referenced: dict[str, Any] | None = None,
    webhook_id: int | None = None,
) -> dict[str, Any]:
    """A MESSAGE_CREATE payload (``referenced`` makes it a reply to that message)."""
    guild_id = channel.guild_id
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel.id),
        "author": user_payload(author),
        "content": content,
        "timestamp": timestamp(message_id),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [
            {
                **user_payload(u),
                **({"member": member_payload(u, with_user=False)} if guild_id else {}),
            }
            for u in mentions
        ],
        "mention_roles": [],
        "attachments": list(attachments),
        "embeds": [],
        "pinned": False,
        "type": 19 if referenced is not None else 0,
        "flags": flags,
        "components": [],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
        data["member"] = member_payload(author, with_user=False)
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if referenced is not None:
        data["message_reference"] = {
            "type": 0,
            "message_id": referenced["id"],
            "channel_id": referenced["channel_id"],
            **({"guild_id": str(guild_id)} if guild_id else {}),
        }
        data["referenced_message"] = {
            k: v for k, v in referenced.items() if k not in ("referenced_message", "member")
        }
    return data
