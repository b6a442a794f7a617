"""The ``botkit`` command: version, plugin listings, doctor, and start-up errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from botkit import __version__
from botkit.cli import main

BROKEN = 'raise RuntimeError("broken plugin exploded on import")\n'
UNREACHABLE = "postgresql+asyncpg://u:secretpw@127.0.0.1:1/db"


@pytest.fixture
def builtins_only(tmp_path, monkeypatch) -> None:
    """Only the built-in plugin, data in tmp_path, no configuration file."""
    monkeypatch.setenv("BOTKIT_PLUGINS", "")
    monkeypatch.setenv("BOTKIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert (exited.value.code, capsys.readouterr().out) == (0, f"botkit {__version__}\n")


def test_no_command_prints_help_and_exits_2(capsys) -> None:
    assert main([]) == 2
    assert capsys.readouterr().out.startswith("usage: botkit")


def test_plugins_list_json_has_the_builtin_plugin(builtins_only, capsys) -> None:
    assert main(["plugins", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    [builtin] = [p for p in listing["plugins"] if p["name"] == "builtin"]
    assert {a["name"] for a in listing["adapters"]} >= {"console", "discord"}
    assert (builtin["state"], builtin["version"]) == ("ok", __version__)
    assert "hi" in builtin["commands"]


def test_plugins_list_shows_state_and_commands(builtins_only, capsys) -> None:
    assert main(["plugins", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        "plugins:",
        f"  builtin        {__version__:<9} ok       config, forgetme, getfile, help, hi, "
        "instruction, mydata, plugin, plugins, tools, tools approval, tools disable, "
        "tools enable, web",
        f"  permissions    {__version__:<9} ok       rules, rules add, rules check, "
        "rules cooldown, rules remove, rules silent",
    ]
    assert "  console        " in "\n".join(lines[lines.index("adapters:") :])


def test_plugins_show_builtin(builtins_only, capsys) -> None:
    assert main(["plugins", "show", "builtin"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [f"builtin {__version__} (botkit)", "state: ok"]
    assert "  !hi  Say hello." in lines


def test_plugins_show_unknown_exits_1(builtins_only, capsys) -> None:
    assert main(["plugins", "show", "nothing"]) == 1
    assert (
        capsys.readouterr().err
        == "botkit: no plugin or adapter 'nothing'; see 'botkit plugins list'\n"
    )


def test_doctor_exits_0_on_a_clean_setup(builtins_only, capsys) -> None:
    assert main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"plugin     ok       builtin {__version__}" in lines
    assert lines[-1] == "0 error(s), 0 warning(s)"


def test_doctor_exits_1_when_a_plugin_fails_to_load(tmp_path, install_plugin) -> None:
    install_plugin("broken", "broken_plugin", BROKEN)
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "BOTKIT_CONFIG")}
    env.update(
        PYTHONPATH=str(tmp_path / "site"),
        BOTKIT_PLUGINS="broken",
        BOTKIT_DATA_DIR=str(tmp_path / "data"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "botkit.cli", "doctor"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 1
    assert (
        "ERROR: plugin broken failed to load: RuntimeError: broken plugin exploded on import"
        in done.stdout
    )


@pytest.fixture
def doctor_unreachable_db(builtins_only, tmp_path, capsys) -> tuple[int, str, str]:
    config = tmp_path / "botkit.toml"
    config.write_text(f'[storage]\nurl = "{UNREACHABLE}"\n', encoding="utf-8")
    status = main(["doctor", "--config", str(config)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_doctor_exits_1_when_the_database_is_unreachable(doctor_unreachable_db) -> None:
    status, out, _ = doctor_unreachable_db
    assert status == 1
    assert "ERROR: database postgresql+asyncpg://u:***@127.0.0.1:1/db unreachable" in out


def test_doctor_never_prints_the_database_password(doctor_unreachable_db) -> None:
    _, out, err = doctor_unreachable_db
    assert "secretpw" not in out + err


def test_run_with_a_bad_config_prints_one_line_and_exits_2(builtins_only, tmp_path, capsys):
    config = tmp_path / "botkit.toml"
    config.write_text("[bot]\nprefix = 3\n", encoding="utf-8")
    status = main(["run", "--config", str(config)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err == f"botkit: {config}: [bot] prefix: expected a string, got 3\n"
    assert captured.out == ""


def test_unknown_log_level_is_refused_cleanly(builtins_only, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["doctor", "--log-level", "loud"])
    assert exited.value.code == 2
    assert "argument --log-level: invalid choice: 'LOUD'" in capsys.readouterr().err


def test_log_level_is_case_insensitive(builtins_only) -> None:
    assert main(["doctor", "--log-level", "debug"]) == 0


def test_plugins_show_an_adapter(builtins_only, monkeypatch, capsys) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", "123456:set-but-not-shown")
    assert main(["plugins", "show", "telegram"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("telegram 0.") and lines[0].endswith(" (botkit-telegram)")
    assert lines[1:] == [
        "kind: adapter (botkit run --adapter telegram)",
        "state: available",
        "token: from TELEGRAM_TOKEN (set)",
    ]


def test_plugins_show_an_adapter_without_a_token(builtins_only, capsys) -> None:
    assert main(["plugins", "show", "console"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "kind: adapter (botkit run --adapter console)",
        "state: available",
        "token: none needed",
    ]


@pytest.mark.parametrize("adapter", ["discord", "telegram"])
def test_run_without_the_token_is_one_line_before_any_plugin_loads(
    adapter, builtins_only, install_plugin, monkeypatch, capsys
) -> None:
    install_plugin("broken", "broken_plugin", BROKEN)
    monkeypatch.setenv("BOTKIT_PLUGINS", "broken")
    status = main(["run", "--adapter", adapter])
    variable = f"{adapter.upper()}_TOKEN"
    assert (status, capsys.readouterr().err) == (
        2,
        f"botkit: {variable} is not set; export it, or choose another adapter with --adapter\n",
    )


FAILING = """
import botkit.adapter


class Adapter:
    name = "failing"
    text_limit = 500
    can_edit = False
    bot_user_id = "failing-bot"
    voice = None
    voice_notes = False

    def __init__(self, connects):
        self.connects = connects

    async def connect(self, bot):
        if not self.connects:
            raise botkit.adapter.AdapterStartError("the service rejected the token; get a new one")

    async def run(self):
        pass

    async def close(self):
        pass


class Spec:
    name = "failing"
    settings = None
    token_env = None

    def __init__(self, connects):
        self.connects = connects

    def create(self, setup):
        return Adapter(self.connects)


adapter = Spec(connects=False)
connecting = Spec(connects=True)
"""


def test_a_failed_start_is_one_line_on_stderr(builtins_only, install_plugin, capsys) -> None:
    install_plugin("failing", "failing_adapter", FAILING, group="botkit.adapters")
    status = main(["run", "--adapter", "failing"])
    assert (status, capsys.readouterr().err) == (
        1,
        "botkit: the service rejected the token; get a new one\n",
    )


def test_the_start_log_follows_a_good_connection(
    builtins_only, install_plugin, monkeypatch, capsys
) -> None:
    install_plugin("failing", "failing_adapter", FAILING, group="botkit.adapters")
    import failing_adapter

    monkeypatch.setattr(failing_adapter, "adapter", failing_adapter.connecting)
    assert main(["run", "--adapter", "failing"]) == 0
    assert "INFO    botkit.plugins: plugin builtin " in capsys.readouterr().err
