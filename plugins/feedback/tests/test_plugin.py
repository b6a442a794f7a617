"""The distribution: the entry point, the hooks and the commands it registers."""

from __future__ import annotations

import importlib.metadata

from botkit_feedback import FeedbackPlugin, plugin
from botkit_feedback.plugin import rating_value


def test_the_entry_point_loads_the_plugin():
    [entry] = [
        e for e in importlib.metadata.entry_points(group="botkit.plugins") if e.name == "feedback"
    ]
    assert entry.load() is plugin
    assert isinstance(plugin, FeedbackPlugin)


async def test_the_commands_are_listed_in_help(feedback_bot):
    async with feedback_bot() as bot:
        replies = await bot.send("!help correct")
    assert replies.text == "\n".join(
        [
            "`!correct [correction…]`",
            "Correct one of my replies: give its message id and the right answer, or send the "
            "right answer as a reply to my message.",
            "- correction: the message id (unless you reply), then the right answer",
        ]
    )


def test_only_thumbs_count_as_ratings():
    assert [rating_value(e) for e in ["👍", "👎", "👍🏿", "👍️", "👌", "+1"]] == [
        1,
        -1,
        1,
        1,
        None,
        None,
    ]
