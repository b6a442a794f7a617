"""Speak text to a WAV file with the libespeak-ng that espeakng-loader ships.

Run as its own process (so a time-out can kill it and the library's global state stays out of
the bot): ``python espeak_worker.py LANGUAGE OUT.wav`` with the UTF-8 text on stdin. Exit
status 0 on success, 1 on failure with the reason on stderr. Imports only the standard
library and espeakng_loader.
"""

from __future__ import annotations

import ctypes
import sys
import wave

import espeakng_loader

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000
CHARS_UTF8 = 1
POS_CHARACTER = 1
FALLBACK_VOICE = "en"
# Language codes other engines use, and the espeak-ng voice that speaks them.
ALIASES = {"zh": "cmn", "zh-cn": "cmn", "zh-tw": "yue", "iw": "he", "nb": "no"}

SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class EspeakError(Exception):
    """espeak-ng could not speak; the message says why."""


def voice_candidates(language: str) -> list[str]:
    """Voices to try for ``language``: itself, its alias, its base language, then English."""
    code = language.strip().lower()
    base = code.split("-")[0]
    names = [code, ALIASES.get(code, code), base, ALIASES.get(base, base), FALLBACK_VOICE]
    return list(dict.fromkeys(n for n in names if n))


def load_library() -> ctypes.CDLL:
    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [SynthCallback]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    return lib


def synthesize(text: str, language: str) -> tuple[bytes, int, str]:
    """Return (16-bit mono PCM, sample rate, voice used)."""
    lib = load_library()
    data_path = espeakng_loader.get_data_path().encode()
    rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, INITIALIZE_DONT_EXIT)
    if rate <= 0:
        raise EspeakError(f"espeak-ng could not start (data in {data_path.decode()})")
    chunks: list[bytes] = []

    def collect(samples: ctypes.Array[ctypes.c_short], count: int, _events: int) -> int:
        if count > 0:
            chunks.append(ctypes.string_at(samples, count * 2))
        return 0

    callback = SynthCallback(collect)
    lib.espeak_SetSynthCallback(callback)
    voice = next(
        (v for v in voice_candidates(language) if lib.espeak_SetVoiceByName(v.encode()) == 0),
        None,
    )
    if voice is None:
        raise EspeakError(f"espeak-ng has no voice for {language!r}")
    encoded = text.encode("utf-8")
    status = lib.espeak_Synth(
        encoded, len(encoded) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None
    )
    if status != 0:
        raise EspeakError(f"espeak-ng failed to speak (status {status})")
    lib.espeak_Synchronize()
    lib.espeak_Terminate()
    return b"".join(chunks), rate, voice


def write_wav(path: str, pcm: bytes, rate: int) -> None:
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: espeak_worker.py LANGUAGE OUT.wav < text", file=sys.stderr)
        return 1
    language, out = argv
    text = sys.stdin.buffer.read().decode("utf-8", "replace")
    try:
        pcm, rate, voice = synthesize(text, language)
    except (OSError, EspeakError) as exc:
        print(exc, file=sys.stderr)
        return 1
    if voice not in (language.lower(), ALIASES.get(language.lower())):
        print(f"no espeak-ng voice for {language!r}; spoke with {voice!r}", file=sys.stderr)
    write_wav(out, pcm, rate)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
