"""Secrets from the environment never reach the log, tracebacks included."""

from __future__ import annotations

import logging

import pytest

from botkit.config import Config
from botkit.logs import secrets_from_env, setup_logging

TOKEN = "discord-token-abc123"
KEY = "sk-test-key-987654"


@pytest.fixture
def secrets_in_env(monkeypatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def redacted() -> logging.Logger:
    """Set logging up now, so it writes to the stderr that capsys reads in the test."""
    setup_logging("INFO")
    return logging.getLogger("botkit.test")


def test_log_line_shows_stars_instead_of_secrets(secrets_in_env, capsys) -> None:
    redacted().info("connecting with %s and %s", TOKEN, KEY)
    err = capsys.readouterr().err
    assert err.endswith("botkit.test: connecting with *** and ***\n")


def test_traceback_shows_stars_instead_of_secrets(secrets_in_env, capsys) -> None:
    log = redacted()
    try:
        raise PermissionError(f"401 for Authorization: Bearer {KEY} (token {TOKEN})")
    except PermissionError:
        log.exception("request failed")
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "PermissionError: 401 for Authorization: Bearer *** (token ***)" in err
    assert TOKEN not in err
    assert KEY not in err


def test_bad_format_string_never_prints_the_arguments(secrets_in_env, capsys) -> None:
    redacted().info("token %s %s", TOKEN)
    err = capsys.readouterr().err
    assert TOKEN not in err
    assert "botkit.test: unformattable log message 'token %s %s'" in err


def test_only_secret_looking_variables_are_redacted(monkeypatch) -> None:
    monkeypatch.setenv("BOTKIT_TEST_PASSWORD", "hunter2hunter2")
    monkeypatch.setenv("BOTKIT_TEST_PATHNAME", "/srv/botkit/data")
    secrets = secrets_from_env()
    assert "hunter2hunter2" in secrets
    assert "/srv/botkit/data" not in secrets


THIRD_PARTY_INFO = [
    ("alembic.runtime.migration", "Running upgrade  -> 0001, notes table"),
    ("httpx", 'HTTP Request: POST https://api.example/v1/chat "HTTP/1.1 200 OK"'),
    ("discord.client", "logging in using static token"),
    ("discord.gateway", "Shard ID None has connected to Gateway"),
    ("aiogram.dispatcher", "Start polling"),
]


def configured_as_the_cli_does(raw: dict) -> None:
    """``botkit run`` on a chat platform: the configured level, else INFO."""
    config = Config.from_dict(raw)
    setup_logging(config.logging.level or "INFO", config)


def emit_third_party_info() -> None:
    for name, message in THIRD_PARTY_INFO:
        logging.getLogger(name).info(message)


def test_other_libraries_info_lines_are_hidden_at_the_default_level(tmp_path, capsys) -> None:
    configured_as_the_cli_does({"bot": {"data_dir": str(tmp_path)}})
    emit_third_party_info()
    logging.getLogger("botkit.runner").info("connected as testbot")
    err = capsys.readouterr().err
    assert err.endswith("INFO    botkit.runner: connected as testbot\n")
    assert err.count("\n") == 1


def test_other_libraries_warnings_are_shown_at_the_default_level(tmp_path, capsys) -> None:
    configured_as_the_cli_does({"bot": {"data_dir": str(tmp_path)}})
    logging.getLogger("discord.gateway").warning("Shard ID None heartbeat blocked for 10 s")
    assert "discord.gateway: Shard ID None heartbeat blocked for 10 s" in capsys.readouterr().err


def test_other_libraries_info_lines_are_shown_at_debug(tmp_path, capsys) -> None:
    configured_as_the_cli_does({"bot": {"data_dir": str(tmp_path)}, "logging": {"level": "DEBUG"}})
    emit_third_party_info()
    err = capsys.readouterr().err
    for name, message in THIRD_PARTY_INFO:
        assert f"INFO    {name}: {message}\n" in err


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_discord_guilds_intent_warning_is_dropped(tmp_path, capsys, level) -> None:
    configured_as_the_cli_does({"bot": {"data_dir": str(tmp_path)}, "logging": {"level": level}})
    logging.getLogger("discord.state").warning(
        "Guilds intent seems to be disabled. This may cause state related issues."
    )
    assert capsys.readouterr().err == ""
