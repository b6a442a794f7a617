"""botkit-openai-chat: conversational answers through any OpenAI-compatible chat API.

The entry point ``openai_chat = "botkit_openai_chat:plugin"`` registers :data:`plugin`; tests
register their own ``ChatPlugin(now=...)`` with a fixed wall clock.
"""

from botkit_openai_chat.hooks import ChatPlugin

plugin = ChatPlugin()

__all__ = ["ChatPlugin", "plugin"]
