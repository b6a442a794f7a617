"""Secrets from the environment never reach the log, tracebacks included."""

from __future__ import annotations

import logging

import pytest

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
