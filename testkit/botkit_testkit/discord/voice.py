"""A voice client without UDP for the harness: plays sources frame by frame in a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import attrs
import discord


@attrs.frozen
class PlayedAudio:
    """What a FakeVoiceClient played: the source's class, frames and bytes read."""

    source: str
    frames: int
    size: int
    error: str | None = None


class FakeVoiceClient(discord.VoiceProtocol):
    """A voice client without UDP: voice-state updates go through the (fake) gateway, and
    ``play`` reads the source frame by frame in a thread, then calls ``after`` like discord.py.
    """

    def __init__(self, client: discord.Client, channel: discord.abc.Connectable) -> None:
        super().__init__(client, channel)
        self._connected = False
        self._player: threading.Thread | None = None
        self._stop = threading.Event()
        self.played: list[PlayedAudio] = []

    @property
    def guild(self) -> discord.Guild:
        return self.channel.guild  # type: ignore[attr-defined]

    async def connect(
        self,
        *,
        timeout: float,  # noqa: ASYNC109 - discord.py's VoiceProtocol signature
        reconnect: bool,
        self_deaf: bool = False,
        self_mute: bool = False,
    ) -> None:
        await self.guild.change_voice_state(
            channel=self.channel, self_deaf=self_deaf, self_mute=self_mute
        )
        self._connected = True

    async def move_to(
        self,
        channel: discord.abc.Snowflake | None,
        *,
        timeout: float | None = 30.0,  # noqa: ASYNC109 - discord.py's VoiceClient signature
    ) -> None:
        await self.guild.change_voice_state(channel=channel, self_deaf=True)
        if channel is not None:
            self.channel = channel  # type: ignore[assignment]

    async def disconnect(self, *, force: bool = False) -> None:
        self.stop()
        await self.guild.change_voice_state(channel=None)
        self._connected = False
        self.cleanup()

    async def on_voice_state_update(self, data: Any) -> None:
        return None

    async def on_voice_server_update(self, data: Any) -> None:
        return None

    def is_connected(self) -> bool:
        return self._connected

    def is_playing(self) -> bool:
        return self._player is not None and self._player.is_alive()

    def stop(self) -> None:
        self._stop.set()

    def play(
        self,
        source: discord.AudioSource,
        *,
        after: Callable[[Exception | None], Any] | None = None,
        **encoder_options: Any,
    ) -> None:
        if not self._connected:
            raise discord.ClientException("Not connected to voice.")
        if self.is_playing():
            raise discord.ClientException("Already playing audio.")
        self._stop.clear()
        self._player = threading.Thread(target=self._run, args=(source, after), daemon=True)
        self._player.start()

    def _run(
        self, source: discord.AudioSource, after: Callable[[Exception | None], Any] | None
    ) -> None:
        frames = size = 0
        error: Exception | None = None
        try:
            while not self._stop.is_set():
                data = source.read()
                if not data:
                    break
                frames += 1
                size += len(data)
            error = getattr(source, "_current_error", None)  # ffmpeg's exit status, as the player
        except Exception as exc:
            error = exc
        finally:
            source.cleanup()
            self.played.append(
                PlayedAudio(type(source).__name__, frames, size, str(error) if error else None)
            )
            if after is not None:
                after(error)
