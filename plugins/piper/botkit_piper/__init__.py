"""botkit-piper: Piper, a neural offline text-to-speech engine, for the voice plugin.

Admins choose it with ``!voice engine piper``; users with ``!voice me piper [voice]``. The
module is the plugin; it imports piper (and onnxruntime) only when it first speaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import time
from pathlib import Path

from botkit import Audio, CommandError, Context, PluginHandle, Problem, hookimpl
from botkit_piper import speak, voices
from botkit_piper.settings import PiperSettings

ENGINE = "piper"
AUTO = "auto"  # the voice plugin's offline default: Piper when a voice is here, else espeak
STALE_SECONDS = 3600.0


def work_dir(data_dir: Path) -> Path:
    """Where speech waits to be played (the voice plugin deletes each file once played)."""
    return data_dir / "piper" / "tmp"


def remove_stale(directory: Path, older_than: float) -> None:
    """Delete speech files a crashed run left behind (blocking)."""
    if not directory.is_dir():
        return
    cutoff = time.time() - older_than
    for path in directory.iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def settings_of(plugin: PluginHandle) -> PiperSettings:
    return plugin.settings or PiperSettings()


@hookimpl
def botkit_settings() -> type:
    return PiperSettings


@hookimpl
async def botkit_startup(plugin: PluginHandle) -> None:
    plugin.state = speak.Speaker(settings_of(plugin))
    await asyncio.to_thread(remove_stale, work_dir(plugin.data_dir), STALE_SECONDS)


@hookimpl
async def botkit_synthesize(ctx: Context, text: str, engine: str, language: str) -> Audio | None:
    """Piper's speech for the ``piper`` engine; ``language`` may name a voice (per user).

    For ``auto``, only when the configured voice is here already (nothing is downloaded) and
    speaks ``language``; None otherwise, so espeak speaks instead."""
    if engine not in (ENGINE, AUTO):
        return None
    plugin = ctx.plugin
    settings = settings_of(plugin)
    if engine == AUTO:
        found = await asyncio.to_thread(voices.local, settings.voice, plugin.data_dir)
        if found is None or not await asyncio.to_thread(voices.speaks, found, language):
            return None
    voice = language if voices.VOICE_NAME.match(language) else settings.voice
    try:
        files = await asyncio.to_thread(
            voices.find, voice, plugin.data_dir, may_download=voice == settings.voice
        )
        path = await plugin.state.synthesize(files, text, work_dir(plugin.data_dir))
    except voices.VoiceMissing as exc:
        plugin.log.warning("piper cannot speak: %s", exc)
        raise CommandError(f"Piper cannot speak: {exc}.") from None
    except speak.Busy as exc:
        plugin.log.warning("piper refused: %s", exc)
        raise CommandError("Piper has too much to say right now; try again in a moment.") from None
    except TimeoutError:
        plugin.log.warning("piper took longer than %g s", settings.timeout)
        raise CommandError(f"Piper took longer than {settings.timeout:g} s to speak.") from None
    return Audio(path=path, format="wav")


@hookimpl
async def botkit_health(plugin: PluginHandle) -> list[Problem]:
    return await asyncio.to_thread(health, settings_of(plugin), plugin.data_dir)


def health(settings: PiperSettings, data_dir: Path) -> list[Problem]:
    """The configured voice: present, to be downloaded, or missing (blocking)."""
    problems = []
    if importlib.util.find_spec("piper") is None:
        problems.append(Problem("piper-tts does not import", "pip install botkit-piper"))
    found = voices.local(settings.voice, data_dir)
    if found is not None:
        problems.append(Problem(f"Piper voice {settings.voice} present: {found.model}", "", "info"))
    elif settings.voice.endswith(".onnx"):
        problems.append(
            Problem(
                f"Piper voice {settings.voice} or its .onnx.json is missing",
                "set [piper] voice to an .onnx file with its .onnx.json beside it, or a name",
            )
        )
    else:
        problems.append(
            Problem(
                f"Piper voice {settings.voice} not downloaded yet: its first use needs a network",
                "pip install 'botkit-piper[joe]' for en_US-joe-medium offline",
                "warning",
            )
        )
    return problems
