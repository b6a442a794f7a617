"""A local fake of the OpenAI HTTP API for tests and benchmarks.

``FakeOpenAI`` serves the OpenAI wire protocol on 127.0.0.1 with ``aiohttp.web`` so that the real
``openai.AsyncOpenAI(base_url=server.base_url, ...)`` client can be used against it. It covers
models, chat completions (plain and streamed), files, fine-tuning jobs and audio, records every
request, and can inject errors and hangs. Token counts are whitespace-split word counts.

Run ``python -m botkit_testkit.openai_server --port 0`` to serve from a separate process; it
prints ``READY <base_url>`` once listening and stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
import re
import subprocess
import sys
import wave
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs
from aiohttp import web

from botkit_testkit._service import RECORD, FakeService, new_id, now, serve

JOB_STATUSES = ("validating_files", "queued", "running", "succeeded", "failed", "cancelled")
FINISHED_STATUSES = ("succeeded", "failed", "cancelled")
WORDS_PER_CHUNK = 3
SPEECH_CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}

T = TypeVar("T")


@attrs.frozen
class ToolCall:
    """A tool call a chat handler answers with (a list of them: several in one step)."""

    name: str
    arguments: Any = attrs.field(factory=dict)  # a dict, or the JSON text as a model sends it
    id: str = attrs.field(factory=lambda: new_id("call"))

    def to_json(self, index: int | None = None) -> dict[str, Any]:
        arguments = self.arguments
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        call: dict[str, Any] = {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": arguments},
        }
        return call if index is None else {"index": index, **call}


ChatAnswer = str | list[ToolCall]
ChatHandler = Callable[[dict[str, Any]], ChatAnswer | Awaitable[ChatAnswer]]


@attrs.define
class StoredFile:
    """An uploaded file; ``bytes`` is its content."""

    id: str
    filename: str
    purpose: str
    bytes: bytes
    created_at: int = attrs.field(factory=lambda: now())

    def to_json(self) -> dict[str, Any]:
        """The OpenAI ``file`` object."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.bytes),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


def silent_wav(seconds: float = 0.2, rate: int = 16000) -> bytes:
    """A mono 16-bit WAV file of silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\0\0" * int(seconds * rate))
    return buffer.getvalue()


def content_text(content: Any) -> str:
    """The text of a message content: a string or a list of parts (text parts only)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def image_urls(body: Any) -> list[str]:
    """The URLs (data URLs included) of every ``image_url`` part of a chat request."""
    found = []
    for message in body.get("messages", []) if isinstance(body, dict) else ():
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else ():
            if isinstance(part, dict) and part.get("type") == "image_url":
                found.append(str((part.get("image_url") or {}).get("url", "")))
    return found


def echo_handler(body: dict[str, Any]) -> str:
    """Default chat handler: ``echo: <last user message content>``."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return "echo: " + (content_text(users[-1].get("content")) if users else "")


def error_json(
    status: int, message: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """An OpenAI-shaped error body."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "code": code, "param": param}}


def error_response(
    status: int, message: str, code: str | None = None, param: str | None = None
) -> web.Response:
    """A JSON response with an OpenAI-shaped error body."""
    return web.json_response(error_json(status, message, code, param), status=status)


def _missing(body: Any, *names: str) -> web.Response | None:
    """A 400 response if the JSON body lacks one of ``names``."""
    if not isinstance(body, dict):
        return error_response(400, "The request body must be a JSON object.")
    for name in names:
        if body.get(name) in (None, ""):
            return error_response(400, f"Missing required parameter: '{name}'.", param=name)
    return None


def _page(items: Sequence[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
    """A cursor page of ``items`` honouring the ``after`` and ``limit`` query parameters."""
    ids = [item["id"] for item in items]
    start = ids.index(query["after"]) + 1 if query.get("after") in ids else 0
    limit = int(query.get("limit", 20))
    data = list(items[start : start + limit])
    return {"object": "list", "data": data, "has_more": start + limit < len(items)}


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def _lookup(table: Mapping[str, T], request: web.Request, kind: str) -> T:
    """The ``table`` entry named by the ``id`` path parameter, else a 404."""
    key = request.match_info["id"]
    if key not in table:
        raise web.HTTPNotFound(reason=f"No such {kind}: {key}")
    return table[key]


@attrs.define
class FakeOpenAI(FakeService):
    """The fake server; use ``async with FakeOpenAI() as server`` or ``start()``/``stop()``.
    Recorded requests and injected faults name paths without ``/v1`` (``/chat/completions``,
    where faults go by default)."""

    api_key: str | None = "sk-test"
    models: set[str] = attrs.field(factory=lambda: {"gpt-4o-mini", "gpt-4o"})
    chat_handler: ChatHandler = echo_handler
    speech_audio: bytes = attrs.field(factory=silent_wav)
    transcript: str = "hello world"
    # False: new fine-tuning jobs are refused with 403 training_not_available, as OpenAI does
    # for organisations created since 2026-05-07 and for everyone from 2027-01-06.
    training_available: bool = True
    # False: a chat request with an image part gets the 400 of a model without vision.
    vision: bool = True
    image_refusal_code: str | None = None  # the error code of that 400 (OpenAI sends none)
    images: list[str] = attrs.field(init=False, factory=list)  # image URLs received, in order
    files: dict[str, StoredFile] = attrs.field(init=False, factory=dict)
    jobs: dict[str, dict[str, Any]] = attrs.field(init=False, factory=dict)
    job_events: dict[str, list[dict[str, Any]]] = attrs.field(init=False, factory=dict)

    path_prefix = "/v1"
    default_path = "/chat/completions"

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1/models", self._list_models),
            web.get("/v1/models/{id}", self._get_model),
            web.post("/v1/chat/completions", self._chat),
            web.post("/v1/files", self._upload_file),
            web.get("/v1/files", self._list_files),
            web.get("/v1/files/{id}", self._get_file),
            web.delete("/v1/files/{id}", self._delete_file),
            web.get("/v1/files/{id}/content", self._file_content),
            web.post("/v1/fine_tuning/jobs", self._create_job),
            web.get("/v1/fine_tuning/jobs", self._list_jobs),
            web.get("/v1/fine_tuning/jobs/{id}", self._get_job),
            web.post("/v1/fine_tuning/jobs/{id}/cancel", self._cancel_job),
            web.get("/v1/fine_tuning/jobs/{id}/events", self._list_events),
            web.post("/v1/audio/speech", self._speech),
            web.post("/v1/audio/transcriptions", self._transcribe),
        ]

    def error_body(self, status: int, message: str, code: str | None) -> dict[str, Any]:
        """OpenAI's error shape; a 429 without a code is ``rate_limit_exceeded``."""
        if code is None and status == 429:
            code = "rate_limit_exceeded"
        return error_json(status, message, code)

    def unauthorized(self, given: str) -> web.Response:
        """OpenAI's 401 (``invalid_api_key``); it quotes the key only with ``echo_key``."""
        shown = f": {given}" if self.echo_key else ""
        return self.error(401, f"Incorrect API key provided{shown}.", "invalid_api_key")

    def set_job_status(
        self,
        job_id: str,
        status: str,
        *,
        fine_tuned_model: str | None = None,
        error: str | None = None,
    ) -> None:
        """Move a fine-tuning job to ``status`` and log an event.

        On success the fine-tuned model (default ``ft:<model>:fake-org:<suffix>:<id>``) is added
        to ``models``; ``error`` is the failure message of a failed job.
        """
        if status not in JOB_STATUSES:
            raise ValueError(f"unknown fine-tuning job status {status!r}")
        job = self.jobs[job_id]
        job["status"] = status
        if status in FINISHED_STATUSES:
            job["finished_at"] = now()
        if status == "succeeded":
            suffix = job["user_provided_suffix"] or "custom"
            job["fine_tuned_model"] = (
                fine_tuned_model or f"ft:{job['model']}:fake-org:{suffix}:{job_id[-8:]}"
            )
            training = self.files.get(job["training_file"])
            job["trained_tokens"] = len(training.bytes.split()) if training else 0
            self.models.add(job["fine_tuned_model"])
        if status == "failed":
            message = error or "Fine-tuning job failed."
            job["error"] = {"code": "job_failed", "message": message, "param": None}
        level = "error" if status == "failed" else "info"
        self._add_event(job_id, f"Job status changed to {status}", level)

    def report_loss(self, job_id: str, losses: list[float]) -> None:
        """Log one ``metrics`` event per training step, as OpenAI does while a job runs:
        ``data`` holds ``step``, ``train_loss``, ``train_mean_token_accuracy`` and
        ``total_steps``, the message reads ``Step 2/3: training loss=0.81``."""
        total = len(losses)
        for step, loss in enumerate(losses, start=1):
            data = {
                "step": step,
                "train_loss": loss,
                "train_mean_token_accuracy": round(1 / (1 + loss), 4),
                "total_steps": total,
            }
            message = f"Step {step}/{total}: training loss={loss:.2f}"
            self._add_event(self.jobs[job_id]["id"], message, kind="metrics", data=data)

    def _add_event(
        self,
        job_id: str,
        message: str,
        level: str = "info",
        *,
        kind: str = "message",
        data: dict[str, Any] | None = None,
    ) -> None:
        event = {
            "id": new_id("ftevent"),
            "object": "fine_tuning.job.event",
            "created_at": now(),
            "level": level,
            "message": message,
            "type": kind,
            "data": data or {},
        }
        self.job_events.setdefault(job_id, []).append(event)

    async def _list_models(self, request: web.Request) -> web.Response:
        data = [self._model(name) for name in sorted(self.models)]
        return web.json_response({"object": "list", "data": data})

    async def _get_model(self, request: web.Request) -> web.Response:
        name = request.match_info["id"]
        if name not in self.models:
            return self._model_not_found(name)
        return web.json_response(self._model(name))

    @staticmethod
    def _model(name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": 1700000000, "owned_by": "openai"}

    @staticmethod
    def _model_not_found(name: str) -> web.Response:
        message = f"The model `{name}` does not exist or you do not have access to it."
        return error_response(404, message, code="model_not_found")

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = request[RECORD].json
        if (problem := _missing(body, "model", "messages")) is not None:
            return problem
        if body["model"] not in self.models:
            return self._model_not_found(body["model"])
        urls = image_urls(body)
        if urls and not self.vision:
            message = "Invalid content type. image_url is only supported by certain models."
            return error_response(400, message, self.image_refusal_code, "messages")
        self.images += urls
        answer = self.chat_handler(body)
        if inspect.isawaitable(answer):
            answer = await answer
        calls = [] if isinstance(answer, str) else list(answer)
        text = answer if isinstance(answer, str) else ""
        n_in = sum(len(content_text(m.get("content")).split()) for m in body["messages"])
        n_out = len(text.split()) + sum(len(json.dumps(c.to_json()).split()) for c in calls)
        usage = {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}
        head = {"id": new_id("chatcmpl"), "created": now(), "model": body["model"]}
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return await self._stream_chat(
                request, head, text, usage if include_usage else None, calls
            )
        message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
        if calls:
            message["tool_calls"] = [c.to_json() for c in calls]
        finish = "tool_calls" if calls else "stop"
        choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
        return web.json_response(
            {**head, "object": "chat.completion", "choices": [choice], "usage": usage}
        )

    async def _stream_chat(
        self,
        request: web.Request,
        head: dict[str, Any],
        text: str,
        usage: dict[str, int] | None,
        calls: Sequence[ToolCall] = (),
    ) -> web.StreamResponse:
        """Send ``text`` as ``chat.completion.chunk`` server-sent events of a few words each;
        tool calls as OpenAI streams them: the id and name first, the arguments in pieces."""
        response = web.StreamResponse(headers={"Cache-Control": "no-cache"})
        response.content_type = "text/event-stream"
        await response.prepare(request)
        head = {**head, "object": "chat.completion.chunk"}
        words = re.split(r"(?<=\s)(?=\S)", text)
        pieces = [
            "".join(words[i : i + WORDS_PER_CHUNK]) for i in range(0, len(words), WORDS_PER_CHUNK)
        ]
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"content": p} for p in pieces if p]
        for index, call in enumerate(calls):
            whole = call.to_json(index)
            arguments = whole["function"]["arguments"]
            first = {**whole, "function": {"name": call.name, "arguments": ""}}
            deltas.append({"tool_calls": [first]})
            for i in range(0, len(arguments), 8):
                part = {"index": index, "function": {"arguments": arguments[i : i + 8]}}
                deltas.append({"tool_calls": [part]})
        for delta in deltas:
            choice = {"index": 0, "delta": delta, "finish_reason": None}
            await response.write(_sse({**head, "choices": [choice]}))
        final = {"index": 0, "delta": {}, "finish_reason": "tool_calls" if calls else "stop"}
        await response.write(_sse({**head, "choices": [final]}))
        if usage is not None:
            await response.write(_sse({**head, "choices": [], "usage": usage}))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _upload_file(self, request: web.Request) -> web.Response:
        record = request[RECORD]
        if "file" not in record.files or not record.form.get("purpose"):
            return error_response(400, "Both 'file' and 'purpose' are required.")
        filename = (await request.post())["file"].filename
        stored = StoredFile(new_id("file"), filename, record.form["purpose"], record.files["file"])
        self.files[stored.id] = stored
        return web.json_response(stored.to_json())

    async def _list_files(self, request: web.Request) -> web.Response:
        purpose = request.query.get("purpose")
        files = [f.to_json() for f in reversed(self.files.values()) if purpose in (None, f.purpose)]
        return web.json_response(_page(files, request.query))

    async def _get_file(self, request: web.Request) -> web.Response:
        return web.json_response(_lookup(self.files, request, "File object").to_json())

    async def _delete_file(self, request: web.Request) -> web.Response:
        stored = self.files.pop(_lookup(self.files, request, "File object").id)
        return web.json_response({"id": stored.id, "object": "file", "deleted": True})

    async def _file_content(self, request: web.Request) -> web.Response:
        stored = _lookup(self.files, request, "File object")
        return web.Response(body=stored.bytes, content_type="application/octet-stream")

    async def _create_job(self, request: web.Request) -> web.Response:
        if not self.training_available:
            message = "Fine-tuning is not available for your organization."
            return error_response(403, message, code="training_not_available")
        body = request[RECORD].json
        if (problem := _missing(body, "model", "training_file")) is not None:
            return problem
        for param in ("training_file", "validation_file"):
            if body.get(param) is not None and body[param] not in self.files:
                return error_response(400, f"invalid {param}: {body[param]}", param=param)
        if body["model"] not in self.models:
            message = f"Model {body['model']} is not available for fine-tuning."
            return error_response(400, message, code="model_not_available", param="model")
        hyperparameters = {"batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": 3}
        job = {
            "id": new_id("ftjob"),
            "object": "fine_tuning.job",
            "created_at": now(),
            "model": body["model"],
            "training_file": body["training_file"],
            "validation_file": body.get("validation_file"),
            "status": "validating_files",
            **dict.fromkeys(["fine_tuned_model", "finished_at", "error", "trained_tokens"]),
            "hyperparameters": {**hyperparameters, **(body.get("hyperparameters") or {})},
            "method": body.get("method") or {"type": "supervised"},
            "user_provided_suffix": body.get("suffix"),
            "organization_id": "org-fake",
            "result_files": [],
            "seed": body.get("seed", 42),
            "integrations": [],
            "metadata": body.get("metadata"),
        }
        self.jobs[job["id"]] = job
        self._add_event(job["id"], f"Created fine-tuning job: {job['id']}")
        return web.json_response(job)

    async def _list_jobs(self, request: web.Request) -> web.Response:
        return web.json_response(_page(list(reversed(self.jobs.values())), request.query))

    async def _get_job(self, request: web.Request) -> web.Response:
        return web.json_response(_lookup(self.jobs, request, "fine-tuning job"))

    async def _cancel_job(self, request: web.Request) -> web.Response:
        job = _lookup(self.jobs, request, "fine-tuning job")
        if job["status"] in FINISHED_STATUSES:
            return error_response(400, f"Job {job['id']} has already finished.")
        self.set_job_status(job["id"], "cancelled")
        return web.json_response(job)

    async def _list_events(self, request: web.Request) -> web.Response:
        events = self.job_events[_lookup(self.jobs, request, "fine-tuning job")["id"]]
        return web.json_response(_page(list(reversed(events)), request.query))

    async def _speech(self, request: web.Request) -> web.Response:
        body = request[RECORD].json
        if (problem := _missing(body, "model", "input", "voice")) is not None:
            return problem
        content_type = SPEECH_CONTENT_TYPES.get(body.get("response_format", "mp3"))
        if content_type is None:
            return error_response(400, "Unsupported response_format.", param="response_format")
        return web.Response(body=self.speech_audio, content_type=content_type)

    async def _transcribe(self, request: web.Request) -> web.Response:
        record = request[RECORD]
        if "file" not in record.files or not record.form.get("model"):
            return error_response(400, "Both 'file' and 'model' are required.")
        response_format = record.form.get("response_format", "json")
        if response_format == "text":
            return web.Response(text=self.transcript)
        if response_format != "json":
            return error_response(400, "Unsupported response_format.", param="response_format")
        return web.json_response({"text": self.transcript})


@contextlib.contextmanager
def start_in_subprocess(
    delay: float = 0.0, api_key: str = "sk-test"
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run the server in a child process; yields ``(process, base_url)``, terminates on exit."""
    root = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "botkit_testkit.openai_server"]
    command += ["--port", "0", "--delay", str(delay), "--api-key", api_key]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"fake OpenAI server did not start: {line!r}")
        yield process, line.split()[1]
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


if __name__ == "__main__":
    serve(FakeOpenAI, __doc__.splitlines()[0])
