"""The ``[feedback]`` section of botkit.toml."""

from __future__ import annotations

import attrs

from botkit import setting


@attrs.define
class FeedbackSettings:
    """Settings of the feedback plugin."""

    system_prompt: str = setting(
        "", "system message put first in every exported training example; empty: none", server=True
    )
    review_first: bool = setting(
        False,
        "export and offer for training only corrections approved on the web console "
        "(rejected ones never are)",
        server=True,
    )
