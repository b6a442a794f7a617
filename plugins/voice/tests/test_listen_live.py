"""Live listening over a Voice that hears: consent, turns, answers, limits, barge-in, stops."""

from __future__ import annotations

import asyncio

import pytest
from botkit_voice import stt
from listen_helpers import HearingVoice, silence, tone
from voice_helpers import MEMBER_IN_VOICE, OWNER_IN_VOICE, FakeClock

from botkit import User
from botkit.testing import GUILD

ALICE = MEMBER_IN_VOICE
BOB = User(id="4", name="bob", voice_channel=ALICE.voice_channel)


@pytest.fixture
def recogniser(monkeypatch):
    """Sphinx stands in: it 'hears' how long each turn was; ``gate`` can hold it back."""
    calls: list[float] = []
    gate = asyncio.Event()
    gate.set()

    async def hear(settings, pcm, language):
        calls.append(round(len(pcm) / 32000, 1))
        await gate.wait()
        return f"a turn of {len(calls)}"

    monkeypatch.setitem(stt.RECOGNISERS, "sphinx", hear)
    return calls, gate


async def settle(bot) -> None:
    """Let every listening task finish."""
    for _ in range(200):
        sessions = bot.handle("voice").state.sessions.values()
        if not any(s.tasks or s.queues for s in sessions):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("listening tasks did not finish")


async def stopped(bot) -> None:
    """Wait until the voice plugin listens nowhere."""
    for _ in range(200):
        if not bot.handle("voice").state.sessions:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("still listening")


def texts(bot) -> list[str]:
    return [sent.text for sent in bot.adapter.sent]


async def test_a_turn_of_someone_who_opted_in_is_posted_and_answered_as_theirs(
    voice_bot, recogniser
):
    voice = HearingVoice(people=[ALICE])
    async with voice_bot(voice=voice) as bot:
        notice = await bot.send("!listen", user=ALICE)
        voice.speak(GUILD, ALICE, tone(1.0) + silence(1.0))
        await settle(bot)
    assert notice.text == (
        "🎙️ Listening in Lounge. I hear only those who said !listen: member; sound is never "
        "recorded. `!listen stop` or `!leave` ends it."
    )
    assert texts(bot)[1:] == ["🎙️ member: a turn of 1", "you said: a turn of 1"]
    assert recogniser[0] == [1.2]


async def test_nobody_who_did_not_opt_in_is_heard(voice_bot, recogniser):
    voice = HearingVoice(people=[ALICE, BOB])
    async with voice_bot(voice=voice) as bot:
        await bot.send("!listen", user=ALICE)
        voice.speak(GUILD, BOB, tone(1.0) + silence(1.0))
        await settle(bot)
        assert (recogniser[0], voice.refused) == ([], [BOB.id])
        await bot.send("!listen", user=BOB)
        voice.speak(GUILD, BOB, tone(1.0) + silence(1.0))
        await settle(bot)
    assert recogniser[0] == [1.2]
    assert "🎙️ bob: a turn of 1" in texts(bot)


async def test_everyone_is_heard_when_the_owner_says_so(voice_bot, recogniser):
    voice = HearingVoice(people=[ALICE, BOB])
    async with voice_bot(voice=voice, config={"listen": "everyone"}) as bot:
        notice = await bot.send("!listen", user=ALICE)
        voice.speak(GUILD, BOB, tone(1.0) + silence(1.0))
        await settle(bot)
    assert "I hear everyone in Lounge" in notice.text
    assert "🎙️ bob: a turn of 1" in texts(bot)


async def test_transcripts_are_not_posted_when_switched_off(voice_bot, recogniser):
    voice = HearingVoice(people=[ALICE])
    async with voice_bot(voice=voice, config={"post_transcripts": False}) as bot:
        await bot.send("!listen", user=ALICE)
        voice.speak(GUILD, ALICE, tone(1.0) + silence(1.0))
        await settle(bot)
    assert texts(bot)[1:] == ["you said: a turn of 1"]


async def test_a_turn_whose_sound_stops_ends_after_the_silence_time(voice_bot, recogniser):
    clock = FakeClock()
    voice = HearingVoice(people=[ALICE])
    async with voice_bot(voice=voice, clock=clock) as bot:
        await bot.send("!listen", user=ALICE)
        await clock.advance(0)  # the session's clock starts
        voice.speak(GUILD, ALICE, tone(1.0))  # then the platform sends nothing
        await clock.advance(0.5)
        await settle_guesses(bot)
        early = texts(bot)[1:]
        await clock.advance(0.3)
        await settle(bot)
    assert early == []
    assert texts(bot)[1:] == ["🎙️ member: a turn of 1", "you said: a turn of 1"]


async def settle_guesses(bot) -> None:
    """Let the early transcripts under way finish."""
    for _ in range(200):
        sessions = bot.handle("voice").state.sessions.values()
        if all(guess.text.done() for s in sessions for guess in s.guesses.values()):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("early transcripts did not finish")


async def test_a_turn_transcribed_early_is_not_transcribed_again_when_it_ends(
    voice_bot, recogniser
):
    clock = FakeClock()
    voice = HearingVoice(people=[ALICE])
    async with voice_bot(voice=voice, clock=clock) as bot:
        await bot.send("!listen", user=ALICE)
        await clock.advance(0)  # the session's clock starts
        voice.speak(GUILD, ALICE, tone(1.0))
        await clock.advance(0.32)  # silent for a while: maybe done
        await settle_guesses(bot)
        early = (list(recogniser[0]), texts(bot)[1:])
        await clock.advance(0.4)  # the turn is over
        await settle(bot)
    assert early == ([1.0], [])
    assert recogniser[0] == [1.0]
    assert texts(bot)[1:] == ["🎙️ member: a turn of 1", "you said: a turn of 1"]


async def test_an_early_transcript_is_dropped_when_the_speaker_goes_on(voice_bot, recogniser):
    clock = FakeClock()
    voice = HearingVoice(people=[ALICE])
    async with voice_bot(voice=voice, clock=clock) as bot:
        await bot.send("!listen", user=ALICE)
        await clock.advance(0)  # the session's clock starts
        voice.speak(GUILD, ALICE, tone(1.0))
        await clock.advance(0.32)
        await settle_guesses(bot)
        voice.speak(GUILD, ALICE, tone(0.5))  # not done after all
        await clock.advance(0.32)
        await settle_guesses(bot)
        await clock.advance(0.4)
        await settle(bot)
    assert recogniser[0] == [1.0, 1.5]
    assert texts(bot)[1:] == ["🎙️ member: a turn of 2", "you said: a turn of 2"]


async def test_no_early_transcript_takes_a_worker_others_may_need(
    voice_bot, recogniser, monkeypatch
):
    monkeypatch.setattr(stt, "spare_worker", lambda settings: False)
    clock = FakeClock()
    voice = HearingVoice(people=[ALICE])
    async with voice_bot(voice=voice, clock=clock) as bot:
        await bot.send("!listen", user=ALICE)
        await clock.advance(0)  # the session's clock starts
        voice.speak(GUILD, ALICE, tone(1.0))
        await clock.advance(0.5)
        await settle_guesses(bot)
        early = list(recogniser[0])
        await clock.advance(0.3)
        await settle(bot)
    assert early == []
    assert recogniser[0] == [1.0]


async def test_more_speakers_than_allowed_are_told_once_that_the_bot_is_busy(voice_bot, recogniser):
    calls, gate = recogniser
    gate.clear()
    carol = User(id="5", name="carol", voice_channel=ALICE.voice_channel)
    voice = HearingVoice(people=[ALICE, BOB, carol])
    async with voice_bot(voice=voice, config={"listen": "everyone", "max_listeners": 1}) as bot:
        await bot.send("!listen", user=ALICE)
        for user in (ALICE, BOB, carol):
            voice.speak(GUILD, user, tone(1.0) + silence(1.0))
        await asyncio.sleep(0.05)
        gate.set()
        await settle(bot)
    busy = [t for t in texts(bot) if t.startswith("I am busy")]
    assert busy == [
        "I am busy listening to others and missed what bob said; please say it again soon."
    ]
    assert calls == [1.2]


async def test_speaking_over_the_bot_stops_its_speech(voice_bot, recogniser):
    voice = HearingVoice(people=[ALICE], playing_until=asyncio.Event())
    async with voice_bot(voice=voice) as bot:
        await bot.send("!listen", user=ALICE)
        voice.speak(GUILD, ALICE, tone(1.0) + silence(1.0))
        await settle(bot)
        speaker = bot.handle("voice").state.guilds[GUILD]
        for _ in range(500):
            if speaker.playing:
                break
            await asyncio.sleep(0.01)
        voice.speak(GUILD, ALICE, tone(0.1))
        await asyncio.wait_for(speaker.drain(), 10)
    assert voice.interrupted == [GUILD]


async def test_listening_stops_when_everyone_left(voice_bot, recogniser):
    clock = FakeClock()
    voice = HearingVoice(people=[ALICE])
    async with voice_bot(voice=voice, clock=clock) as bot:
        await bot.send("!listen", user=ALICE)
        await clock.advance(0)  # the session's clock starts
        voice.people = []
        await clock.advance(0.2)
        await stopped(bot)
    assert texts(bot)[-1] == "🎙️ I stopped listening: everyone left Lounge."
    assert voice.heard == {}


async def test_listening_stops_after_the_idle_minutes(voice_bot, recogniser):
    clock = FakeClock()
    voice = HearingVoice(people=[ALICE])
    async with voice_bot(voice=voice, clock=clock, config={"listen_idle_minutes": 2}) as bot:
        await bot.send("!listen", user=ALICE)
        await clock.advance(100)
        assert bot.handle("voice").state.sessions != {}
        await clock.advance(30)
        await stopped(bot)
    assert texts(bot)[-1] == "🎙️ I stopped listening: nobody spoke to me for 2 minutes."


async def test_listen_stop_and_leave_end_it(voice_bot, recogniser):
    voice = HearingVoice(people=[ALICE])
    async with voice_bot(voice=voice) as bot:
        await bot.send("!listen", user=ALICE)
        assert (await bot.send("!listen stop", user=ALICE)).text == "🎙️ I stopped listening."
        assert voice.heard == {}
        await bot.send("!listen", user=ALICE)
        await bot.send("!leave", user=ALICE)
        assert voice.heard == {}
        assert (await bot.send("!listen stop", user=ALICE)).text == "I am not listening here."


async def test_listening_needs_someone_in_a_voice_channel(voice_bot):
    async with voice_bot(voice=HearingVoice()) as bot:
        replies = await bot.send("!listen", user=bot.member)
    assert replies.text == "Join a voice channel first, then say !listen."


async def test_forgetme_deletes_kept_recordings(voice_bot, recogniser):
    voice = HearingVoice(people=[OWNER_IN_VOICE])
    async with voice_bot(voice=voice, config={"keep_recordings": True}) as bot:
        await bot.send("!listen", user=OWNER_IN_VOICE)
        voice.speak(GUILD, OWNER_IN_VOICE, tone(1.0) + silence(1.0))
        await settle(bot)
        kept = list((bot.data_dir / "voice" / "recordings").rglob("*.wav"))
        mine = await bot.send("!mydata", user=OWNER_IN_VOICE)
        await bot.send("!forgetme", user=OWNER_IN_VOICE)
        await bot.send("!forgetme confirm", user=OWNER_IN_VOICE)
        left = list((bot.data_dir / "voice" / "recordings").rglob("*.wav"))
    assert [path.name for path in kept] == ["1-00001.wav"]
    assert "1 voice recording" in mine.text
    assert left == []
