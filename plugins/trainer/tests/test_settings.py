"""The [trainer] section is validated when the bot starts."""

from __future__ import annotations

import pytest
from botkit_trainer.settings import TrainerSettings

from botkit.config import ConfigError, build_settings


def load(table: dict[str, object]) -> TrainerSettings:
    return build_settings(TrainerSettings, table, "botkit.toml", "trainer")


def test_defaults() -> None:
    settings = load({})
    assert (settings.base_url, settings.api_key_env, settings.min_examples) == (
        "https://api.openai.com/v1",
        "OPENAI_API_KEY",
        10,
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"datasets_dir": "../elsewhere"}, "datasets_dir must be a directory inside data_dir"),
        ({"archives_dir": "/tmp"}, "archives_dir must be a directory inside data_dir"),
        ({"max_upload_mb": 0}, "max_upload_mb must be greater than 0"),
        ({"pass_score": 1.5}, "pass_score must be above 0 and at most 1"),
        ({"context_passages": -1}, "context_passages must be 0 or more"),
        ({"default_dataset": "a b"}, "default_dataset must be letters, digits, - or _"),
        ({"suffix": "x" * 65}, "suffix must be at most 64 characters"),
        ({"max_files": "many"}, "max_files: expected an integer"),
    ],
)
def test_bad_values_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(table)
