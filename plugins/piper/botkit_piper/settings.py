"""The ``[piper]`` section of botkit.toml."""

from __future__ import annotations

import attrs

from botkit import not_negative, positive, setting


@attrs.define
class PiperSettings:
    """Which Piper voice speaks, and how much work it may take on."""

    voice: str = setting(
        "en_US-joe-medium",
        "a Piper voice name (downloaded on first use) or the path of an .onnx voice",
    )
    timeout: float = setting(20.0, "seconds one synthesis may take", positive)
    workers: int = setting(1, "syntheses that may run at once", positive)
    max_waiting: int = setting(32, "syntheses that may wait; more are refused", not_negative)
