"""The fake Discord's world: a server, channels, users, and the events they cause."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any

import discord

from botkit_testkit.discord.payloads import (
    EPOCH,
    EVERYONE,
    VOICE_MESSAGE_FLAG,
    FakeChannel,
    FakeUser,
    channel_payload,
    member_payload,
    message_payload,
    role_payload,
    timestamp,
    user_payload,
)


class World:
    """A server with channels and users, and builders for the gateway events they cause."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.messages: dict[int, dict[str, Any]] = {}
        self.interactions: dict[str, dict[str, Any]] = {}
        self.voice_states: dict[int, int] = {}
        self.application_id = self.new_id()
        self.guild_id = self.new_id()
        self.guild_ids = [self.guild_id]  # every server; more with add_guild
        self.admin_role = self.new_id()
        self.bot_role = self.new_id()
        self.bot_user = FakeUser(self.new_id(), "botkit", bot=True, roles=(self.bot_role,))
        self.owner = FakeUser(self.new_id(), "owner")
        self.admin = FakeUser(self.new_id(), "admin", roles=(self.admin_role,))
        self.member = FakeUser(self.new_id(), "member")
        self.other_bot = FakeUser(self.new_id(), "otherbot", bot=True)
        self.users = {u.id: u for u in (self.bot_user, self.owner, self.admin, self.member)}
        self.users[self.other_bot.id] = self.other_bot
        self.channels: dict[int, FakeChannel] = {}
        text, voice, thread = (
            discord.ChannelType.text.value,
            discord.ChannelType.voice.value,
            discord.ChannelType.public_thread.value,
        )
        self.general = self._add(FakeChannel(self.new_id(), "general", text, self.guild_id))
        self.random = self._add(FakeChannel(self.new_id(), "random", text, self.guild_id))
        self.voice_channel = self._add(FakeChannel(self.new_id(), "Lounge", voice, self.guild_id))
        self.bot_thread = self._add(
            FakeChannel(
                self.new_id(), "bot thread", thread, self.guild_id, self.general, self.bot_user.id
            )
        )
        self.member_thread = self._add(
            FakeChannel(
                self.new_id(), "member thread", thread, self.guild_id, self.general, self.member.id
            )
        )

    def new_id(self) -> int:
        """A fresh snowflake (1 ms after the previous one)."""
        return EPOCH + (next(self._ids) << 22)

    def _add(self, channel: FakeChannel) -> int:
        self.channels[channel.id] = channel
        return channel.id

    def add_guild(self, *, shard: int | None = None, shard_count: int = 1) -> tuple[int, int]:
        """Another server with a text channel (general); with ``shard``, one whose id falls on
        that shard of ``shard_count`` (``(guild_id >> 22) % shard_count``, as on Discord).
        Returns (server id, channel id)."""
        guild_id = self.new_id()
        while shard is not None and (guild_id >> 22) % shard_count != shard:
            guild_id = self.new_id()
        self.guild_ids.append(guild_id)
        channel = FakeChannel(self.new_id(), "general", discord.ChannelType.text.value, guild_id)
        return guild_id, self._add(channel)

    # --- the world, as events ---

    def add_user(self, name: str, *, admin: bool = False, bot: bool = False) -> FakeUser:
        user = FakeUser(self.new_id(), name, bot=bot, roles=(self.admin_role,) if admin else ())
        self.users[user.id] = user
        return user

    def dm_channel(self, user: FakeUser) -> int:
        """The id of the direct-message channel between ``user`` and the bot."""
        for channel in self.channels.values():
            if channel.recipient == user:
                return channel.id
        return self._add(
            FakeChannel(self.new_id(), "", discord.ChannelType.private.value, None, recipient=user)
        )

    def guild_payload(
        self, members: Iterable[FakeUser] = (), guild_id: int | None = None
    ) -> dict[str, Any]:
        """GUILD_CREATE's payload for ``guild_id`` (default: the first server)."""
        guild_id = guild_id or self.guild_id
        everyone = role_payload(guild_id, "@everyone", EVERYONE)
        admin = role_payload(
            self.admin_role, "Admin", discord.Permissions(manage_guild=True).value, position=1
        )
        bot = role_payload(self.bot_role, "botkit", EVERYONE, position=2, bot_id=self.bot_user.id)
        in_guild = [c for c in self.channels.values() if c.guild_id == guild_id]
        voice_members = [
            self.users[u]
            for u, c in self.voice_states.items()
            if u in self.users and self.channels[c].guild_id == guild_id
        ]
        return {
            "id": str(guild_id),
            "name": "botkit test server",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner.id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "application_id": None,
            "features": [],
            "roles": [everyone, admin, bot],
            "emojis": [],
            "stickers": [],
            "joined_at": timestamp(guild_id),
            "large": False,
            "unavailable": False,
            "member_count": len(self.users),
            "members": [member_payload(u) for u in {self.bot_user, *voice_members, *members}],
            "voice_states": [
                self._voice_state(self.users[u], c)
                for u, c in self.voice_states.items()
                if self.channels[c].guild_id == guild_id
            ],
            "channels": [
                channel_payload(c, i) for i, c in enumerate(in_guild) if c.type not in (11, 12)
            ],
            "threads": [channel_payload(c) for c in in_guild if c.type in (11, 12)],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _voice_state(self, user: FakeUser, channel_id: int | None) -> dict[str, Any]:
        return {
            "guild_id": str(self.guild_id),
            "channel_id": str(channel_id) if channel_id else None,
            "user_id": str(user.id),
            "member": member_payload(user),
            "session_id": f"voice-session-{user.id}",
            "deaf": False,
            "mute": False,
            "self_deaf": user.bot,
            "self_mute": False,
            "self_video": False,
            "suppress": False,
            "request_to_speak_timestamp": None,
        }

    def message_event(
        self,
        content: str = "",
        *,
        author: FakeUser | None = None,
        channel: int | None = None,
        attachments: Iterable[dict[str, Any]] = (),
        reply_to: int | str | None = None,
        mention: bool = False,
        voice: bool = False,
        flags: int = 0,
    ) -> tuple[str, dict[str, Any]]:
        """A MESSAGE_CREATE event (remembered, so the bot can fetch it or it can be replied to)."""
        author = author or self.owner
        where = self.channels[channel or self.general]
        referenced = None
        if reply_to is not None:
            referenced = self.messages.get(int(reply_to))
            if referenced is None:
                raise KeyError(f"no message {reply_to} to reply to")
        if mention:
            content = f"{self.bot_user.mention} {content}".rstrip()
        data = message_payload(
            self.new_id(),
            where,
            author,
            content,
            attachments=attachments,
            mentions=[self.bot_user] if mention else [],
            flags=flags | (VOICE_MESSAGE_FLAG if voice else 0),
            referenced=referenced,
        )
        self.messages[int(data["id"])] = data
        return "MESSAGE_CREATE", data

    def interaction_event(
        self,
        command: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        author: FakeUser | None = None,
        channel: int | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """An INTERACTION_CREATE for the slash command ``command`` (its JSON as synced)."""
        author = author or self.owner
        where = self.channels[channel or self.general]
        known = {o["name"]: o for o in command.get("options", [])}
        unknown = set(options) - set(known)
        if unknown:
            raise TypeError(
                f"/{command['name']} has no option(s) {sorted(unknown)}; it has {sorted(known)}"
            )
        values, resolved = [], {}
        for name, value in options.items():
            kind = known[name]["type"]
            if kind == discord.AppCommandOptionType.attachment.value:
                resolved[value["id"]] = value
                value = value["id"]
            values.append({"name": name, "type": kind, "value": value})
        data = self._interaction(
            2,
            where,
            author,
            data={
                "id": str(command.get("id") or self.new_id()),
                "name": command["name"],
                "type": 1,
                "options": values,
                **({"resolved": {"attachments": resolved}} if resolved else {}),
            },
        )
        return "INTERACTION_CREATE", data

    def _interaction(
        self, kind: int, where: FakeChannel, author: FakeUser, **fields: Any
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload of ``kind`` (2 command, 3 component) in ``where`` by
        ``author``, with ``fields`` added; its callback is recorded on ``interactions``."""
        interaction_id = self.new_id()
        token = f"interaction-token-{interaction_id}"
        self.interactions[token] = {
            "id": str(interaction_id),
            "channel_id": str(where.id),
            "responded": None,
            "type": kind,
        }
        data: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": token,
            "version": 1,
            "channel_id": str(where.id),
            "channel": channel_payload(where),
            "locale": "en-US",
            "app_permissions": str(EVERYONE),
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            **fields,
        }
        self._interaction_author(data, where, author)
        return data

    def _interaction_author(
        self, data: dict[str, Any], where: FakeChannel, author: FakeUser
    ) -> None:
        """The clicking or invoking user: a member with permissions in a server, else a user."""
        if where.guild_id is not None:
            member = member_payload(author)
            permissions = discord.Permissions(EVERYONE)
            if self.admin_role in author.roles:
                permissions.manage_guild = True
            member["permissions"] = str(
                discord.Permissions.all().value if author == self.owner else permissions.value
            )
            data.update(
                guild_id=str(where.guild_id),
                member=member,
                guild_locale="en-US",
                context=0,
                authorizing_integration_owners={"0": str(where.guild_id)},
            )
        else:
            data.update(
                user=user_payload(author),
                context=1,
                authorizing_integration_owners={"0": str(where.id)},
            )

    def component_event(
        self, message_id: int | str, custom_id: str, *, author: FakeUser
    ) -> tuple[str, dict[str, Any]]:
        """An INTERACTION_CREATE for a click on the button ``custom_id`` under one of the bot's
        messages (type 3, MESSAGE_COMPONENT); its callback is recorded on ``interactions``."""
        message = self.messages.get(int(message_id))
        if message is None:
            raise KeyError(f"no message {message_id} to press a button under")
        ids = [
            c.get("custom_id")
            for row in message.get("components") or []
            for c in row.get("components") or []
        ]
        if custom_id not in ids:
            raise KeyError(f"message {message_id} has no button {custom_id!r}; it has {ids}")
        where = self.channels[int(message["channel_id"])]
        shown = {k: v for k, v in message.items() if k not in ("member", "guild_id")}
        data = self._interaction(
            3,
            where,
            author,
            message=shown,
            data={"custom_id": custom_id, "component_type": 2},
        )
        return "INTERACTION_CREATE", data

    def reaction_event(
        self, message_id: int | str, emoji: str, *, author: FakeUser, added: bool = True
    ) -> tuple[str, dict[str, Any]]:
        """MESSAGE_REACTION_ADD or _REMOVE on a known message (``<:name:id>`` for custom emoji)."""
        message = self.messages.get(int(message_id))
        if message is None:
            raise KeyError(f"no message {message_id} to react to")
        custom = re.fullmatch(r"<a?:(\w+):(\d+)>", emoji)
        data: dict[str, Any] = {
            "user_id": str(author.id),
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "emoji": {"id": custom[2], "name": custom[1]}
            if custom
            else {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if "guild_id" in message:
            data["guild_id"] = message["guild_id"]
        if added:
            data["message_author_id"] = message["author"]["id"]
            data["burst_colors"] = []
            if "guild_id" in message:
                data["member"] = member_payload(author)
        return ("MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE"), data

    def voice_state_event(self, user: FakeUser, channel: int | None) -> tuple[str, dict[str, Any]]:
        """VOICE_STATE_UPDATE: ``user`` joins ``channel`` (None: leaves voice)."""
        if channel is None:
            self.voice_states.pop(user.id, None)
        else:
            self.voice_states[user.id] = channel
        return "VOICE_STATE_UPDATE", self._voice_state(user, channel)
