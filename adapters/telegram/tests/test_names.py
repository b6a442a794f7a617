"""botkit command names to Telegram's rules (1-32 of a-z, 0-9, _) and back."""

from __future__ import annotations

from botkit_telegram.names import CommandNames, telegram_name
from hypothesis import given
from hypothesis import strategies as st

from botkit import command


async def _noop(ctx) -> None:
    """Do nothing."""


@given(st.text(min_size=1, max_size=80))
def test_every_mapped_name_follows_telegrams_rules(name):
    mapped = telegram_name(name)
    assert len(mapped) <= 32
    assert all(c.islower() or c.isdigit() or c == "_" for c in mapped)
    assert mapped.isascii()


def test_spaces_and_dashes_become_underscores():
    assert telegram_name("train start") == "train_start"
    assert telegram_name("Select-Dataset") == "select_dataset"


def test_the_telegram_name_leads_back_to_the_command():
    names = CommandNames.of([command(_noop, name="train start")])
    assert names.host_name("train_start") == "train start"
    assert [c.command for c in names.listed] == ["train_start"]


def test_a_name_clash_keeps_the_first_command_only_in_the_menu():
    names = CommandNames.of([command(_noop, name="a b"), command(_noop, name="a_b")])
    assert [c.command for c in names.listed] == ["a_b"]
    assert names.host_name("a_b") == "a b"
