"""The test kit's DAVE external sender: real davey sessions accept what it announces and
proposes, and end up in one MLS group."""

from __future__ import annotations

import davey
import pytest
from hypothesis import given
from hypothesis import strategies as st

from botkit_testkit.discord.dave_sender import ExternalSender, form_group, varint

CHANNEL = 5678


def session(user_id: int) -> davey.DaveSession:
    return davey.DaveSession(davey.DAVE_PROTOCOL_VERSION, user_id, CHANNEL)


def read_varint(data: bytes) -> int:
    """RFC 9420 §2.1.2's decoding: the top two bits say 1, 2 or 4 bytes."""
    size = 1 << (data[0] >> 6)
    assert len(data) == size
    return int.from_bytes(data, "big") & ((1 << (8 * size - 2)) - 1)


def test_lengths_are_encoded_as_in_rfc_9420() -> None:
    assert [varint(37), varint(15293), varint(494878333)] == [
        bytes.fromhex("25"),
        bytes.fromhex("7bbd"),
        bytes.fromhex("9d7f3e7d"),
    ]


@given(st.integers(min_value=0, max_value=(1 << 30) - 1))
def test_every_length_decodes_to_itself(n: int) -> None:
    assert read_varint(varint(n)) == n


def test_a_session_given_the_external_sender_waits_for_proposals_at_epoch_0() -> None:
    alone = session(1)
    alone.set_external_sender(ExternalSender().package())
    assert (alone.status, alone.epoch, alone.ready) == (davey.SessionStatus.pending, 0, False)


def test_two_sessions_reach_one_epoch_of_one_group() -> None:
    speaker, bot = session(7), session(99)
    form_group(ExternalSender(), [speaker, bot])
    assert (speaker.ready, bot.ready) == (True, True)
    assert speaker.epoch == bot.epoch == 1
    assert speaker.get_epoch_authenticator() == bot.get_epoch_authenticator()
    assert sorted(bot.get_user_ids()) == ["7", "99"]


def test_a_third_member_moves_everyone_to_the_next_epoch() -> None:
    server = ExternalSender()
    speaker, bot, third = session(7), session(99), session(9)
    form_group(server, [speaker, bot])
    form_group(server, [third], members=[speaker, bot])
    assert speaker.epoch == bot.epoch == third.epoch == 2
    assert len({s.get_epoch_authenticator() for s in (speaker, bot, third)}) == 1
    assert sorted(third.get_user_ids()) == ["7", "9", "99"]


def test_proposals_signed_by_another_key_are_refused() -> None:
    server, impostor = ExternalSender(), ExternalSender()
    committer = session(7)
    committer.set_external_sender(server.package())
    forged = impostor.proposals(CHANNEL, 0, [session(99).get_serialized_key_package()])
    with pytest.raises(ValueError, match="InvalidSignature"):
        committer.process_proposals(davey.ProposalsOperationType.append, forged, [99])
    assert committer.status == davey.SessionStatus.pending


def test_a_speakers_opus_frame_decrypts_in_the_other_members_session() -> None:
    speaker, bot = session(7), session(99)
    form_group(ExternalSender(), [speaker, bot])
    frame = bytes([0x78]) + bytes(range(60))
    sealed = speaker.encrypt_opus(frame)
    assert sealed != frame
    assert bot.decrypt(7, davey.MediaType.audio, sealed) == frame
