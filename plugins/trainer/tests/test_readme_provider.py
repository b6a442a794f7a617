"""The README's "Adding a provider" example, taken from the README's own text, runs a job."""

from __future__ import annotations

import re
import sys
import tomllib
import types
from pathlib import Path
from typing import Any

import pytest
from botkit_trainer import providers
from conftest import poll, qa_lines

README = Path(__file__).resolve().parents[1] / "README.md"


def example_blocks() -> tuple[str, str]:
    section = README.read_text().split("### Adding a provider", 1)[1]
    python = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    toml = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert python and toml
    return python.group(1), toml.group(1)


@pytest.fixture
def instant(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The README's module, installed as its entry point names it, and registered."""
    code, toml = example_blocks()
    [(name, target)] = tomllib.loads(toml)["project"]["entry-points"][providers.GROUP].items()
    module_name, attribute = target.split(":")
    module = types.ModuleType(module_name)
    exec(compile(code, str(README), "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, module_name, module)
    spec = getattr(module, attribute)
    found = {**providers.registered(), name: spec}
    monkeypatch.setattr(providers, "registered", lambda: found)
    monkeypatch.setenv(spec.default_key_env, "instant-key")
    return spec


async def test_the_readme_provider_runs_a_job(start: Any, instant: Any) -> None:
    async with start(provider="instant", base_url="", api_key_env="", base_model="") as bot:
        await bot.send("!train", attachments=[bot.attachment("a.jsonl", qa_lines(3))])
        started = await bot.send("!train start")
        await poll(bot)
    assert started.text.startswith("Fine-tuning job `instant-1` started on base-1 at instant")
    assert bot.adapter.sent[-1].text == (
        "Fine-tuning job `instant-1` (dataset default) succeeded: model "
        "`base-1-botkit-instant-1` is ready."
    )
