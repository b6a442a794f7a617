"""The real command line: ``botkit run`` / ``sync`` / ``doctor`` against the fake server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from botkit_testkit.telegram import TOKEN, FakeTelegram

WRONG = "987654321:AAWrongTokenWrongTokenWrongToken12345"


def _botkit() -> str:
    return str(Path(sys.executable).with_name("botkit"))


def _config(tmp_path: Path, fake: FakeTelegram) -> Path:
    path = tmp_path / "botkit.toml"
    path.write_text(
        f'[bot]\ndata_dir = "{tmp_path / "data"}"\n\n'
        f'[telegram]\nbase_url = "{fake.base_url}"\npoll_timeout = 1\n',
        encoding="utf-8",
    )
    return path


def _env(token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "BOTKIT_CONFIG")}
    env["TELEGRAM_TOKEN"] = token
    return env


async def _run(*args: str, token: str = TOKEN) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        _botkit(),
        *args,
        env=_env(token),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_botkit_run_with_only_telegram_token_set_answers_hi_and_stops_on_sigterm(
    telegram_api, tmp_path
):
    config = _config(tmp_path, telegram_api)
    process = await asyncio.create_subprocess_exec(
        _botkit(),
        "run",
        "--config",
        str(config),
        "--log-level",
        "DEBUG",
        env=_env(TOKEN),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await telegram_api.called("getUpdates", within=60)
        user = telegram_api.user("Olga", id=1)
        await telegram_api.say(telegram_api.private(user), user, "/hi")
        await telegram_api.called("sendMessage", within=60)
    finally:
        process.send_signal(signal.SIGTERM)
        _, raw = await asyncio.wait_for(process.communicate(), 60)
    err = raw.decode()
    sent = [c for c in telegram_api.account.calls if c.method == "sendMessage"]
    assert sent[0].params["text"] == "HI!"
    assert process.returncode == 0
    assert "connected to Telegram as @botkit_test_bot" in err  # DEBUG logs were on
    assert TOKEN not in err and TOKEN.split(":")[1] not in err


async def test_botkit_run_with_a_wrong_token_exits_1_with_one_line(telegram_api, tmp_path):
    config = _config(tmp_path, telegram_api)
    status, _, err = await _run(
        "run", "--adapter", "telegram", "--config", str(config), token=WRONG
    )
    assert status == 1
    lines = [line for line in err.splitlines() if line.startswith("botkit:")]
    assert lines == [lines[0]] and "Telegram rejected TELEGRAM_TOKEN" in lines[0]
    assert WRONG not in err and WRONG.split(":")[1] not in err


async def test_botkit_sync_registers_the_commands(telegram_api, tmp_path):
    config = _config(tmp_path, telegram_api)
    status, out, _ = await _run("sync", "--adapter", "telegram", "--config", str(config))
    assert status == 0
    assert out.startswith("registered ") and "/hi" in out and "@botkit_test_bot" in out
    assert "hi" in {c["command"] for c in telegram_api.account.commands}


async def test_botkit_doctor_checks_the_token_with_get_me(telegram_api, tmp_path):
    config = _config(tmp_path, telegram_api)
    status, out, _ = await _run("doctor", "--config", str(config), token=WRONG)
    assert status == 1
    assert "ERROR: telegram: Telegram rejected TELEGRAM_TOKEN" in out
    assert WRONG not in out
