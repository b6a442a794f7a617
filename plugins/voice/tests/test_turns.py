"""Turn detection: speech between pauses, cut when too long, clicks dropped."""

from __future__ import annotations

from botkit_voice import turns
from hypothesis import given, settings
from hypothesis import strategies as st
from listen_helpers import silence, tone


def seconds(pcm: bytes) -> float:
    return len(pcm) / 32000


def test_two_sentences_with_a_pause_are_two_turns():
    recording = silence(0.5) + tone(1.0) + silence(1.0) + tone(0.6) + silence(1.0)
    found = turns.split(recording, end_of_turn_ms=700, max_seconds=20)
    assert [round(seconds(t), 1) for t in found] == [1.4, 1.0]  # pre-roll and tail kept


def test_a_pause_shorter_than_the_end_of_turn_keeps_one_turn():
    recording = tone(1.0) + silence(0.4) + tone(1.0) + silence(1.0)
    assert len(turns.split(recording, end_of_turn_ms=700, max_seconds=20)) == 1


def test_a_long_utterance_is_cut_at_the_limit():
    found = turns.split(tone(5.0), end_of_turn_ms=700, max_seconds=2)
    assert [round(seconds(t), 1) for t in found] == [2.0, 2.0, 1.0]


def test_a_click_is_not_a_turn():
    assert turns.split(silence(0.5) + tone(0.06) + silence(1.0), 700, 20) == []


def test_silence_is_no_turn():
    assert turns.split(silence(3.0), 700, 20) == []


def test_the_end_of_the_sound_ends_the_turn():
    detector = turns.Turns(700, 20)
    assert detector.feed(tone(0.5)) == []
    assert detector.speaking
    assert round(seconds(detector.end() or b""), 2) == 0.5
    assert not detector.speaking


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=40))
def test_pieces_of_any_size_give_the_same_turns(sizes):
    recording = silence(0.3) + tone(0.8) + silence(0.9) + tone(0.5) + silence(0.2)
    detector = turns.Turns(700, 20)
    found, start = [], 0
    for size in sizes * (len(recording) // sum(sizes) + 1):
        found += detector.feed(recording[start : start + size])
        start += size
    last = detector.end()
    assert [*found, *([last] if last else [])] == turns.split(recording, 700, 20)


@given(st.integers(min_value=15, max_value=34))
@settings(max_examples=20, deadline=None)
def test_a_turn_so_far_after_300_ms_of_silence_is_the_turn_that_ends(silent_frames: int):
    detector = turns.Turns(end_of_turn_ms=700, max_seconds=20)
    detector.feed(tone(0.6) + silence(silent_frames * 0.02))
    early = detector.so_far()
    (ended,) = detector.feed(silence(1.0))
    assert early == ended
