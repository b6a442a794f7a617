"""The TOML configuration: clear errors, plugin sections, the data directory, ``botkit init``."""

from __future__ import annotations

import tomllib
from pathlib import Path

import attrs
import pytest

import botkit
from botkit.bot import Bot
from botkit.cli import main
from botkit.config import Config, ConfigError, build_settings
from botkit.testing import BotHarness, RecordingAdapter

PAINT = """
import attrs
import botkit


@attrs.define
class PaintSettings:
    colour: str = botkit.setting("red", "the colour of every reply")
    layers: int = botkit.setting(2, "coats of paint")
    opacity: float | None = botkit.setting(None, "how opaque; unset: fully")


@botkit.hookimpl
def botkit_settings():
    return PaintSettings
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_wrong_type_names_file_section_key_and_type(tmp_path) -> None:
    path = write(tmp_path / "botkit.toml", "[bot]\nprefix = 3\n")
    with pytest.raises(ConfigError) as caught:
        Config.load(path)
    assert str(caught.value) == f"{path}: [bot] prefix: expected a string, got 3"


def test_true_is_not_a_number(tmp_path) -> None:
    path = write(tmp_path / "botkit.toml", "[bot]\nhook_timeout = true\n")
    with pytest.raises(ConfigError, match=r"\[bot\] hook_timeout: expected a number, got True"):
        Config.load(path)


def test_whole_number_is_accepted_for_a_float(tmp_path) -> None:
    path = write(tmp_path / "botkit.toml", "[bot]\nhook_timeout = 5\n")
    assert Config.load(path).bot.hook_timeout == 5.0


def test_unknown_key_suggests_the_closest_setting(tmp_path) -> None:
    path = write(tmp_path / "botkit.toml", '[storage]\nuri = "x"\n')
    with pytest.raises(ConfigError) as caught:
        Config.load(path)
    assert str(caught.value) == f"{path}: [storage] uri is not a setting (did you mean url?)"


def test_unknown_key_far_from_every_setting_lists_them(tmp_path) -> None:
    path = write(tmp_path / "botkit.toml", '[storage]\nhostname = "x"\n')
    with pytest.raises(ConfigError) as caught:
        Config.load(path)
    assert str(caught.value) == f"{path}: [storage] hostname is not a setting (settings: url)"


@attrs.define
class ChatSettings:
    temperature: float = botkit.setting(0.7, "sampling temperature")
    model: str = botkit.setting("gpt-4o-mini", "the model")


def test_a_typo_in_a_plugin_section_names_the_setting_meant(tmp_path) -> None:
    path = write(tmp_path / "botkit.toml", "[openai_chat]\ntemprature = 0.2\n")
    with pytest.raises(ConfigError) as caught:
        Config.load(path).section("openai_chat", ChatSettings)
    assert str(caught.value) == (
        f"{path}: [openai_chat] temprature is not a setting (did you mean temperature?)"
    )


def test_a_wrong_type_in_a_plugin_section_names_file_section_and_key(tmp_path) -> None:
    path = write(tmp_path / "botkit.toml", '[openai_chat]\ntemperature = "warm"\n')
    with pytest.raises(ConfigError) as caught:
        Config.load(path).section("openai_chat", ChatSettings)
    assert str(caught.value) == (
        f"{path}: [openai_chat] temperature: expected a number, got 'warm'"
    )


def test_invalid_toml_names_the_file(tmp_path) -> None:
    path = write(tmp_path / "botkit.toml", "[bot\nprefix = '!'\n")
    with pytest.raises(ConfigError, match=rf"^{path}: not valid TOML"):
        Config.load(path)


def test_missing_file_is_named(tmp_path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match=rf"^{path}: no such configuration file$"):
        Config.load(path)


def test_triggers_accept_known_words(tmp_path) -> None:
    path = write(tmp_path / "botkit.toml", '[bot]\ntriggers = ["dm", "all"]\n')
    assert Config.load(path).bot.triggers == ["dm", "all"]


def test_triggers_refuse_unknown_words(tmp_path) -> None:
    path = write(tmp_path / "botkit.toml", '[bot]\ntriggers = ["dm", "sometimes"]\n')
    with pytest.raises(ConfigError) as caught:
        Config.load(path)
    assert str(caught.value) == (
        f"{path}: [bot] triggers: expected one of 'dm', 'mention', 'reply', 'thread', 'all', "
        "got 'sometimes'"
    )


@attrs.define
class ShadeSettings:
    colour: str = botkit.setting("red", "a colour")


class Shade:
    @botkit.hookimpl
    def botkit_settings(self) -> type:
        return ShadeSettings


def shade_bot(tmp_path: Path) -> Bot:
    config = Config.from_dict({"bot": {"data_dir": str(tmp_path / "data")}, "shade": {"colour": 5}})
    return Bot.build(config, extra_plugins=[("shade", Shade())], entry_points=False, strict=False)


def test_plugin_with_an_invalid_section_ends_in_error(tmp_path) -> None:
    status = shade_bot(tmp_path).plugins.statuses["shade"]
    assert status.state == "error"
    assert status.error == (
        "is installed but not loaded: configuration: [shade] colour: expected a string, got 5; "
        "see botkit doctor"
    )


async def test_bot_starts_despite_a_plugin_with_an_invalid_section(tmp_path) -> None:
    bot = shade_bot(tmp_path)
    adapter = RecordingAdapter()
    await bot.start(adapter)
    try:
        replies = await BotHarness(bot, adapter).send("!hi")
    finally:
        await bot.stop()
    assert replies.text == "HI!"


def test_data_dir_is_relative_to_the_config_file(tmp_path) -> None:
    path = write(tmp_path / "botkit.toml", '[bot]\ndata_dir = "state"\n')
    assert Config.load(path).data_dir == tmp_path / "state"


def test_botkit_data_dir_overrides_the_config(tmp_path, monkeypatch) -> None:
    path = write(tmp_path / "botkit.toml", '[bot]\ndata_dir = "state"\n')
    monkeypatch.setenv("BOTKIT_DATA_DIR", str(tmp_path / "elsewhere"))
    assert Config.load(path).data_dir == tmp_path / "elsewhere"


@pytest.fixture
def initialised(tmp_path, install_plugin, monkeypatch, capsys) -> tuple[Path, str]:
    """Run ``botkit init`` with the paint plugin installed; return the file and stdout."""
    monkeypatch.setenv("BOTKIT_PLUGINS", "paint")
    monkeypatch.chdir(tmp_path)
    install_plugin("paint", "paint_plugin", PAINT)
    path = tmp_path / "conf" / "botkit.toml"
    path.parent.mkdir()
    assert main(["init", str(path)]) == 0
    return path, capsys.readouterr().out


def test_init_says_where_it_wrote(initialised) -> None:
    path, out = initialised
    assert out == f"wrote {path}\n"


def test_init_writes_valid_toml_with_the_host_sections(initialised) -> None:
    path, _ = initialised
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert {"bot", "storage", "plugins", "console"} <= set(data)
    assert data["bot"]["prefix"] == "!"
    assert data["bot"]["triggers"] == ["dm", "mention", "reply", "thread"]


def test_init_writes_the_plugin_section_with_defaults_and_help(initialised) -> None:
    path, _ = initialised
    text = path.read_text(encoding="utf-8")
    section = text[text.index("[paint]") :]
    assert section.startswith(
        '[paint]\n# the colour of every reply\ncolour = "red"\n# coats of paint\nlayers = 2\n'
    )


def test_init_output_loads_back(initialised) -> None:
    path, _ = initialised
    bot = Bot.build(Config.load(path), strict=True)
    assert attrs.asdict(bot.settings["paint"]) == {"colour": "red", "layers": 2, "opacity": None}


def test_init_refuses_to_overwrite(initialised, capsys) -> None:
    path, _ = initialised
    assert main(["init", str(path)]) == 1
    assert capsys.readouterr().err == f"botkit: {path} exists; use --force to overwrite it\n"


@attrs.define
class Limits:
    timeout: float = botkit.setting(5.0, "seconds", botkit.positive)
    retries: int = botkit.setting(2, "retries", botkit.not_negative)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"timeout": 0}, "[limits]: timeout must be greater than 0, not 0.0"),
        ({"retries": -1}, "[limits]: retries must be 0 or more, not -1"),
    ],
)
def test_shared_validators_name_the_key_and_value(table, message) -> None:
    with pytest.raises(ConfigError) as caught:
        build_settings(Limits, table, "botkit.toml", "limits")
    assert str(caught.value) == f"botkit.toml: {message}"


def test_shared_validators_accept_their_boundaries() -> None:
    limits = build_settings(Limits, {"timeout": 0.5, "retries": 0}, "botkit.toml", "limits")
    assert (limits.timeout, limits.retries) == (0.5, 0)
