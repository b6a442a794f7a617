"""Speech benchmark: word error rate and speed of the offline engines, on the same clips.

Twenty-four fixed sentences are spoken by espeak-ng (espeakng-loader) and, where botkit-piper
and a voice are installed, by Piper; every clip goes through ffmpeg to 16 kHz mono as voice
messages do, then through each installed offline recogniser (PocketSphinx; Whisper when
botkit-voice[whisper] is installed). Each engine runs in this process, one clip at a time, the
way one worker of the voice plugin's pool runs it; Whisper's model is loaded before timing.

Printed: per recogniser and voice, the word error rate (word edits / reference words, after
lower-casing and dropping punctuation) and the real-time factor (recognition seconds / audio
seconds); per voice, the synthesis seconds per sentence. Ratios are to the baseline of the same
run: PocketSphinx for recognition, espeak-ng for synthesis.

    python bench/speech.py [--sentences 24]

Target: Whisper's word error rate at most 0.15 on espeak-ng speech.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

from botkit_voice import convert, jobs, whisper_model
from botkit_voice.stt import SPHINX_DEFAULT

from botkit.ffmpeg import ffmpeg_executable

SENTENCES = [
    "hello world",
    "what is the capital of france",
    "please turn on the lights in the kitchen",
    "the weather today is sunny and warm",
    "can you tell me a joke",
    "set a timer for ten minutes",
    "how far is the moon from the earth",
    "play some music for me",
    "i would like a cup of coffee",
    "the meeting starts at three o'clock",
    "where did i leave my keys",
    "read me the latest news",
    "my favourite colour is blue",
    "the train to london leaves at noon",
    "remind me to call my mother tomorrow",
    "one two three four five",
    "the quick brown fox jumps over the lazy dog",
    "open the window please",
    "what time is it in tokyo",
    "thank you very much for your help",
    "how do you make pancakes",
    "the library closes at eight in the evening",
    "send a message to the team",
    "good night and sleep well",
]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("o'clock", "oclock"))


def edits(reference: list[str], heard: list[str]) -> int:
    """Word-level Levenshtein distance."""
    row = list(range(len(heard) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, word in enumerate(heard, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref != word))
    return row[-1]


def to_pcm(wav: Path) -> bytes:
    argv = [ffmpeg_executable(), "-nostdin", "-loglevel", "error", "-i", str(wav)]
    argv += ["-ac", "1", "-ar", str(convert.RATE), "-f", "s16le", "pipe:1"]
    return subprocess.run(argv, check=True, capture_output=True, timeout=60).stdout


def espeak_voice() -> Callable[[str, Path], None]:
    def speak(text: str, path: Path) -> None:
        jobs.espeak(text, "en-us", str(path))

    return speak


def piper_voice() -> Callable[[str, Path], None] | None:
    """Piper with the packaged or downloaded en_US-joe-medium voice, if installed."""
    try:
        from botkit_piper import voices
        from piper import PiperVoice
    except ImportError:
        return None
    found = voices.local(voices.BUNDLED_VOICE, Path(tempfile.gettempdir()))
    if found is None:
        return None
    voice = PiperVoice.load(found.model, config_path=found.config)

    def speak(text: str, path: Path) -> None:
        with wave.open(str(path), "wb") as out:
            voice.synthesize_wav(text, out)

    return speak


def recognisers() -> dict[str, Callable[[bytes], str]]:
    found: dict[str, Callable[[bytes], str]] = {
        "sphinx": lambda pcm: jobs.sphinx(pcm, convert.RATE, convert.SAMPLE_WIDTH, SPHINX_DEFAULT)
    }
    bundled = whisper_model.bundled_dir()
    if whisper_model.installed() and bundled is not None:
        threads = max(1, len(os.sched_getaffinity(0)))
        model = str(bundled)
        found["whisper"] = lambda pcm: jobs.whisper(pcm, model, "en", threads)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=len(SENTENCES))
    args = parser.parse_args()
    sentences = SENTENCES[: args.sentences]
    work = Path(tempfile.mkdtemp(prefix="botkit-speech-"))
    voices = {"espeak": espeak_voice()}
    piper = piper_voice()
    if piper is not None:
        voices["piper"] = piper
    else:
        print("piper: not installed (pip install 'botkit-piper[joe]'), skipped")

    clips: dict[str, list[bytes]] = {}
    tts_seconds: dict[str, float] = {}
    for name, speak in voices.items():
        speak("warm up", work / "warm.wav")
        clips[name] = []
        started = time.perf_counter()
        for i, text in enumerate(sentences):
            path = work / f"{name}-{i}.wav"
            speak(text, path)
            clips[name].append(to_pcm(path))
        tts_seconds[name] = (time.perf_counter() - started) / len(sentences)

    engines = recognisers()
    if "whisper" not in engines:
        print("whisper: not installed (pip install 'botkit-voice[whisper]'), skipped")
    results: dict[tuple[str, str], tuple[float, float]] = {}
    for engine, recognise in engines.items():
        recognise(clips["espeak"][0])  # load the model outside the timing
        for voice, pcms in clips.items():
            errors = total = 0
            busy = audio = 0.0
            for text, pcm in zip(sentences, pcms, strict=True):
                started = time.perf_counter()
                heard = recognise(pcm)
                busy += time.perf_counter() - started
                audio += convert.seconds(pcm)
                errors += edits(words(text), words(heard))
                total += len(words(text))
            results[(engine, voice)] = (errors / total, busy / audio)

    print(f"\n{len(sentences)} sentences; {os.cpu_count()} cores")
    header = ("recogniser", "voice", "WER", "RTF", "WER/sphinx", "RTF/sphinx")
    print("{:<10} {:<7} {:>6} {:>7} {:>11} {:>11}".format(*header))
    for (engine, voice), (wer, rtf) in results.items():
        base_wer, base_rtf = results[("sphinx", voice)]
        wer_ratio = f"{wer / base_wer:.2f}" if base_wer else "-"
        rtf_ratio = f"{rtf / base_rtf:.2f}"
        print(f"{engine:<10} {voice:<7} {wer:>6.3f} {rtf:>7.3f} {wer_ratio:>11} {rtf_ratio:>11}")
    print(f"\n{'voice':<7} {'s/sentence':>11} {'/espeak':>8}")
    for voice, seconds in tts_seconds.items():
        print(f"{voice:<7} {seconds:>11.3f} {seconds / tts_seconds['espeak']:>8.2f}")
    whisper = results.get(("whisper", "espeak"))
    if whisper is not None:
        verdict = "met" if whisper[0] <= 0.15 else "NOT met"
        print(f"\ntarget whisper WER <= 0.15 on espeak speech: {whisper[0]:.3f} ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
