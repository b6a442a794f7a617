"""botkit-feedback: corrections, feedback and ratings that become training data.

The entry point ``feedback = "botkit_feedback:plugin"`` registers :data:`plugin`; tests
register their own ``FeedbackPlugin(now=...)`` with a fixed wall clock.
"""

from botkit_feedback.plugin import FeedbackPlugin

plugin = FeedbackPlugin()

__all__ = ["FeedbackPlugin", "plugin"]
