"""Command definitions and argument parsing, seen through the replies a user gets."""

from __future__ import annotations

import pytest

import botkit
from botkit import Attachment, Context
from botkit.bot import Bot, StartupError
from botkit.config import Config


async def pair(ctx: Context, first: str, second: str) -> str:
    """Show two words."""
    return f"[{first}] [{second}]"


async def say(ctx: Context, who: str, *, text: str) -> str:
    """Say something."""
    return f"{who}: {text}"


async def greet(ctx: Context, name: str = "world") -> str:
    """Greet someone."""
    return f"hello {name}"


async def add(ctx: Context, a: int, b: int | None = None) -> str:
    """Add numbers."""
    return str(a) if b is None else str(a + b)


async def limit(ctx: Context, n: int | None) -> str:
    """Set a limit."""
    return "no limit" if n is None else f"limit {n}"


async def flag(ctx: Context, on: bool) -> str:
    """Switch."""
    return f"on={on}"


async def upload(ctx: Context, file: Attachment, note: str = "") -> str:
    """Take a file."""
    return f"{file.filename}: {len(await file.read())} bytes {note}".rstrip()


async def train(ctx: Context, *, text: str) -> str:
    """Train on text."""
    return f"training on {text}"


async def train_start(ctx: Context, name: str) -> str:
    """Start a training job."""
    return f"starting {name}"


class Commands:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [
            botkit.command(pair),
            botkit.command(say),
            botkit.command(greet),
            botkit.command(add),
            botkit.command(limit),
            botkit.command(flag),
            botkit.command(upload),
            botkit.command(train),
            botkit.command(train_start, name="train start"),
        ]


@pytest.fixture
def commands_bot(botkit_harness):
    return botkit_harness(plugins={"cmds": Commands()})


async def test_double_quotes_group_words(commands_bot) -> None:
    async with commands_bot as bot:
        assert (await bot.send('!pair "a b" c')).text == "[a b] [c]"


async def test_single_quotes_group_words(commands_bot) -> None:
    async with commands_bot as bot:
        assert (await bot.send("!pair x 'c d'")).text == "[x] [c d]"


async def test_unclosed_quote_is_explained(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send('!pair "a b c')
    assert replies.text == 'unclosed quote " in the arguments. Usage: `!pair <first> <second>`'


async def test_keyword_only_parameter_takes_the_rest_of_the_line(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send("!say ann hello there,   world")
    assert replies.text == "ann: hello there,   world"


async def test_rest_of_line_keeps_a_lone_quote_as_typed(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send("!say ann 'tis the season")
    assert replies.text == "ann: 'tis the season"


async def test_rest_of_line_keeps_inner_quotes(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send('!say ann "yes" and "no"')
    assert replies.text == 'ann: "yes" and "no"'


async def test_rest_of_line_in_quotes_loses_the_quotes(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send('!say ann "hello world"')
    assert replies.text == "ann: hello world"


async def test_optional_parameter_uses_its_default(commands_bot) -> None:
    async with commands_bot as bot:
        assert (await bot.send("!greet")).text == "hello world"


async def test_optional_parameter_takes_a_word(commands_bot) -> None:
    async with commands_bot as bot:
        assert (await bot.send("!greet bob")).text == "hello bob"


async def test_int_or_none_without_default_is_optional(commands_bot) -> None:
    async with commands_bot as bot:
        assert (await bot.send("!limit")).text == "no limit"


async def test_int_or_none_converts_a_given_number(commands_bot) -> None:
    async with commands_bot as bot:
        assert (await bot.send("!limit 7")).text == "limit 7"


async def test_int_or_none_with_default_adds(commands_bot) -> None:
    async with commands_bot as bot:
        assert (await bot.send("!add 2 3")).text == "5"


@pytest.mark.parametrize(
    ("word", "expected"),
    [("yes", "on=True"), ("positive", "on=True"), ("no", "on=False"), ("NEGATIVE", "on=False")],
)
async def test_bool_words(commands_bot, word: str, expected: str) -> None:
    async with commands_bot as bot:
        assert (await bot.send(f"!flag {word}")).text == expected


async def test_bool_rejects_other_words(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send("!flag maybe")
    assert replies.text == "on must be yes or no, not 'maybe'. Usage: `!flag <on>`"


async def test_wrong_int_names_the_parameter(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send("!add 2 three")
    assert replies.text == "b must be a whole number, not 'three'. Usage: `!add <a> [b]`"


async def test_missing_argument_is_named(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send("!pair a")
    assert replies.text == "second is missing. Usage: `!pair <first> <second>`"


async def test_missing_rest_of_line_is_named(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send("!say ann")
    assert replies.text == "text is missing. Usage: `!say <who> <text…>`"


async def test_extra_arguments_are_refused(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send("!pair a b c d")
    assert replies.text == "unexpected extra argument(s): c d. Usage: `!pair <first> <second>`"


async def test_attachment_parameter_gets_the_file(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send("!upload notes", attachments=[bot.attachment("a.txt", b"abc")])
    assert replies.text == "a.txt: 3 bytes notes"


async def test_missing_attachment_is_asked_for(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send("!upload")
    assert replies.text == ("attach a file for file. Usage: `!upload <file: attachment> [note]`")


async def test_two_word_command_is_matched_before_one_word(commands_bot) -> None:
    async with commands_bot as bot:
        assert (await bot.send("!train start big")).text == "starting big"


async def test_one_word_command_still_takes_other_words(commands_bot) -> None:
    async with commands_bot as bot:
        assert (await bot.send("!train stars shine")).text == "training on stars shine"


async def test_typo_gets_a_suggestion(commands_bot) -> None:
    async with commands_bot as bot:
        replies = await bot.send("!ad 2 3")
    assert replies.text == "Unknown command !ad. Did you mean !add? See !help."


async def test_usage_line_format() -> None:
    cmd = botkit.command(upload)
    other = botkit.command(say)
    assert cmd.usage("?") == "?upload <file: attachment> [note]"
    assert other.usage() == "!say <who> <text…>"


def test_sync_callback_is_refused() -> None:
    def sync(ctx: Context) -> str:
        return "x"

    with pytest.raises(TypeError, match="must be async def"):
        botkit.command(sync)  # type: ignore[arg-type]


class ClaimsHi:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [botkit.command(greet, name="hello")]


class AlsoClaimsHi:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [botkit.command(add, name="sum", aliases=["hello"])]


def test_two_plugins_claiming_one_name_stop_start_up(tmp_path) -> None:
    config = Config.from_dict({"bot": {"data_dir": str(tmp_path)}})
    with pytest.raises(StartupError) as caught:
        Bot.build(
            config,
            extra_plugins=[("first", ClaimsHi()), ("second", AlsoClaimsHi())],
            entry_points=False,
        )
    message = str(caught.value)
    assert "'hello'" in message
    assert "'first'" in message
    assert "'second'" in message
