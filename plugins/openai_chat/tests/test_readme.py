"""Every configuration example in the README is valid as written."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from botkit_openai_chat.settings import ChatSettings

README = Path(__file__).parent.parent / "README.md"
EXAMPLES = re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_has_configuration_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES)
def test_a_readme_example_is_accepted_by_the_settings(example: str) -> None:
    section = tomllib.loads(example)["openai_chat"]
    settings = ChatSettings(**section)
    assert {key: getattr(settings, key) for key in section} == section
