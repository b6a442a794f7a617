"""Rounds of tool calls: run what the model asks for as the asker, show and remember them."""

from __future__ import annotations

import json
from typing import Any

import attrs

from botkit import Context, File
from botkit_openai_chat import prompt
from botkit_openai_chat.client import Call
from botkit_openai_chat.settings import ChatSettings


@attrs.define
class Rounds:
    """The tools offered for one answer, and the rounds of calls made so far."""

    ctx: Context
    settings: ChatSettings
    offered: list[dict[str, Any]]
    memory: list[str] = attrs.Factory(list)  # each round as the JSON the conversation keeps
    shown: list[str] = attrs.Factory(list)  # each round's trace lines, for people
    files: list[File] = attrs.Factory(list)

    def tools(self) -> list[dict[str, Any]] | None:
        """The tools to send with the next request; None once the rounds are used up."""
        if not self.offered or len(self.memory) >= self.settings.max_tool_steps:
            return None
        return self.offered

    async def run(self, calls: tuple[Call, ...], text: str) -> list[dict[str, Any]]:
        """Run one round of calls, one after the other; the messages that tell the model."""
        done, lines = [], []
        for n, call in enumerate(calls):
            result = await self.ctx.run_tool(
                call.name,
                call.arguments,
                time_limit=self.settings.tool_timeout,
                approval_timeout=self.settings.approval_timeout,
            )
            lines.append(result.line)
            self.files += result.files
            call_id = call.id or f"call_{len(self.memory)}_{n}"
            done.append(
                {
                    "id": call_id,
                    "name": call.name,
                    "arguments": call.arguments,
                    "result": result.text,
                }
            )
        self.memory.append(json.dumps(done, ensure_ascii=False))
        block = "\n".join(lines) + "\n\n"
        self.shown.append(block)
        return prompt.tool_messages(done, text)

    def trace(self) -> str:
        """The lines shown before the answer ("" when ``show_tools`` is off)."""
        return "".join(self.shown) if self.settings.show_tools else ""
