"""Voice channels for plugins: join, leave, play a file and await its end, and hear (the
``Hearing`` protocol: :mod:`botkit_discord.hearing` receives on the live connection)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from pathlib import Path

import discord
import discord.voice_client
import discord.voice_state

from botkit.adapter import Channel, ChannelKind, User, VoiceError, ffmpeg_executable
from botkit_discord.hearing import ListeningVoiceClient, Receiver

log = logging.getLogger("botkit.discord")

INSTALL_VOICE = 'pip install "discord.py[voice]"'
INSTALL_FFMPEG = "install ffmpeg (apt install ffmpeg) or pip install imageio-ffmpeg"
SPAWN_TIMEOUT = 15.0


def missing_voice_libraries() -> list[str]:
    """The libraries discord.py needs for voice that it could not import."""
    missing = []
    if not discord.voice_client.has_nacl:
        missing.append("PyNaCl")
    if not discord.voice_state.has_dave:
        missing.append("davey")
    return missing


@functools.cache
def opus_available() -> bool:
    """Whether libopus can be loaded (to encode PCM); otherwise ffmpeg encodes Opus itself."""
    try:
        discord.opus.Encoder()
    except discord.opus.OpusNotLoaded:
        return False
    return True


def audio_source(path: Path, executable: str) -> discord.AudioSource:
    """PCM for discord.py to encode when libopus is present, else Opus straight from ffmpeg."""
    if opus_available():
        return discord.FFmpegPCMAudio(str(path), executable=executable)
    return discord.FFmpegOpusAudio(str(path), executable=executable)


def _settle(future: asyncio.Future[None], error: Exception | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class DiscordVoice:
    """The botkit Voice protocol over discord.py voice clients, one per guild."""

    def __init__(
        self,
        client: discord.Client,
        timeout: float = 30.0,
        user_of: Callable[[discord.abc.User], User] | None = None,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.user_of = user_of or (lambda m: User(id=str(m.id), name=m.display_name))
        self.client_class: type[discord.VoiceProtocol] = ListeningVoiceClient
        self._locks: dict[str, asyncio.Lock] = {}
        self._receivers: dict[str, Receiver] = {}

    def _voice_client(self, guild_id: str) -> discord.VoiceProtocol | None:
        guild = self.client.get_guild(int(guild_id)) if guild_id.isdigit() else None
        return guild.voice_client if guild is not None else None

    def is_connected(self, guild_id: str) -> bool:
        vc = self._voice_client(guild_id)
        return vc is not None and vc.is_connected()  # type: ignore[attr-defined]

    def channel(self, guild_id: str) -> Channel | None:
        vc = self._voice_client(guild_id)
        if vc is None or not vc.is_connected():  # type: ignore[attr-defined]
            return None
        ch = vc.channel
        return Channel(id=str(ch.id), name=ch.name, kind=ChannelKind.VOICE, guild_id=guild_id)  # type: ignore[attr-defined]

    async def join(self, channel: Channel | None) -> None:
        """Connect to ``channel`` (the author's voice channel), or move there."""
        missing = missing_voice_libraries()
        if missing:
            raise VoiceError(
                f"Voice needs {' and '.join(missing)}, which is not installed; {INSTALL_VOICE}."
            )
        target = self._voice_target(channel)
        me = target.guild.me
        permissions = target.permissions_for(me)
        if not (permissions.connect and permissions.speak):
            raise VoiceError(f"I need the Connect and Speak permissions in {target.name}.")
        vc = target.guild.voice_client
        try:
            if vc is not None and vc.is_connected():  # type: ignore[attr-defined]
                if vc.channel.id != target.id:
                    await vc.move_to(target, timeout=self.timeout)  # type: ignore[attr-defined]
                return
            if vc is not None:
                await vc.disconnect(force=True)
            await target.connect(timeout=self.timeout, cls=self.client_class, self_deaf=True)
        except TimeoutError:
            raise VoiceError(f"Could not connect to {target.name} in time; try again.") from None
        except discord.ClientException as exc:
            raise VoiceError(f"Could not join {target.name}: {exc}") from None
        log.info("joined voice channel %s in guild %s", target.id, target.guild.id)

    def _voice_target(self, channel: Channel | None) -> discord.VoiceChannel | discord.StageChannel:
        if channel is None:
            raise VoiceError("You are not in a voice channel; join one first.")
        found = self.client.get_channel(int(channel.id)) if channel.id.isdigit() else None
        if not isinstance(found, discord.VoiceChannel | discord.StageChannel):
            raise VoiceError(f"{channel.name or channel.id} is not a voice channel I can see.")
        return found

    async def leave(self, guild_id: str) -> bool:
        vc = self._voice_client(guild_id)
        receiver = self._receivers.pop(guild_id, None)
        if receiver is not None:
            receiver.stop()
        if vc is None:
            return False
        await vc.disconnect(force=False)
        log.info("left voice in guild %s", guild_id)
        return True

    async def play(self, guild_id: str, audio: Path) -> Path | None:
        """Play ``audio`` in this guild's voice channel and return when it has finished."""
        executable = ffmpeg_executable()
        if executable is None:
            raise VoiceError(f"Playing audio needs ffmpeg; {INSTALL_FFMPEG}.")
        lock = self._locks.setdefault(guild_id, asyncio.Lock())
        async with lock:
            vc = self._voice_client(guild_id)
            if vc is None or not vc.is_connected():  # type: ignore[attr-defined]
                raise VoiceError("I am not in a voice channel in this server; join one first.")
            source = await asyncio.wait_for(
                asyncio.to_thread(audio_source, audio, executable), SPAWN_TIMEOUT
            )
            loop = asyncio.get_running_loop()
            finished: asyncio.Future[None] = loop.create_future()

            def after(error: Exception | None) -> None:  # runs in discord.py's player thread
                loop.call_soon_threadsafe(_settle, finished, error)

            try:
                vc.play(source, after=after)  # type: ignore[attr-defined]
            except discord.DiscordException as exc:
                source.cleanup()
                raise VoiceError(f"Cannot play audio: {exc}") from None
            try:
                await finished
            except asyncio.CancelledError:
                vc.stop()  # type: ignore[attr-defined]
                raise
            except Exception as exc:
                log.error("playing %s in guild %s failed: %s", audio, guild_id, exc)
                raise VoiceError(
                    "Playing the audio failed; the details are in the bot's log."
                ) from exc
        return None

    # --- hearing ---

    async def listen(
        self,
        guild_id: str,
        heard: Callable[[User, bytes], None] | None,
        wants: Callable[[str], bool] | None = None,
    ) -> None:
        """Hand what the people ``wants`` accepts say in this guild's voice channel to
        ``heard`` (None: stop); the packets of anyone else are dropped before decryption.

        The bot joins deafened; while it listens it is undeafened (a deafened member
        receives no sound)."""
        if heard is not None and wants is None:
            raise TypeError("listen needs wants: whose sound may be heard")
        old = self._receivers.pop(guild_id, None)
        if old is not None:
            old.stop()
        vc = self._voice_client(guild_id)
        if heard is None:
            if vc is not None and vc.is_connected():  # type: ignore[attr-defined]
                await vc.guild.change_voice_state(channel=vc.channel, self_deaf=True)  # type: ignore[attr-defined]
            return
        if vc is None or not vc.is_connected():  # type: ignore[attr-defined]
            raise VoiceError("I am not in a voice channel in this server; join one first.")
        if not isinstance(vc, ListeningVoiceClient):
            raise VoiceError("this voice connection cannot receive sound")
        guild = vc.guild
        await guild.change_voice_state(channel=vc.channel, self_deaf=False)

        def user_of(user_id: int) -> User | None:
            member = guild.get_member(user_id)
            return self.user_of(member) if member is not None else None

        receiver = Receiver(vc, heard, user_of, asyncio.get_running_loop(), wants)
        receiver.start()
        self._receivers[guild_id] = receiver
        log.info("hearing voice channel %s in guild %s", vc.channel.id, guild_id)

    def members(self, guild_id: str) -> list[User]:
        """The people (not bots) in the bot's voice channel of this guild."""
        vc = self._voice_client(guild_id)
        if vc is None or not vc.is_connected():  # type: ignore[attr-defined]
            return []
        return [self.user_of(m) for m in vc.channel.members if not m.bot]  # type: ignore[attr-defined]

    def interrupt(self, guild_id: str) -> bool:
        """Stop what is playing (``play`` then returns); False when nothing was."""
        vc = self._voice_client(guild_id)
        if vc is None or not vc.is_playing():  # type: ignore[attr-defined]
            return False
        vc.stop()  # type: ignore[attr-defined]
        return True
