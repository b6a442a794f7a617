"""A local fake of Together AI's fine-tuning REST API, for the official ``together`` SDK.

Endpoints and shapes follow the SDK (``together.resources.files``, ``.fine_tuning`` and
``together.lib.resources.files``): the upload flow ``POST /v1/files`` (answered ``302`` with
``Location`` and ``X-Together-File-Id``), ``PUT`` of the bytes to that signed URL, then
``POST /v1/files/{id}/preprocess``; ``GET /v1/fine-tunes/models/limits``,
``POST /v1/fine-tunes/estimate-price``, ``POST /v1/fine-tunes``, ``GET /v1/fine-tunes/{id}``,
``POST /v1/fine-tunes/{id}/cancel``, ``GET /v1/fine-tunes/{id}/events`` and
``DELETE /v1/files/{id}``. A failed job says
why only in its events, as Together's does. Use it as
``AsyncTogether(base_url=server.origin, api_key=...)`` (the SDK adds ``/v1`` itself).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import attrs
from aiohttp import web

from botkit_testkit._service import RECORD, FakeService, new_id, now, serve

DEFAULT_MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
STATUSES = (
    "pending",
    "queued",
    "running",
    "compressing",
    "uploading",
    "cancel_requested",
    "cancelled",
    "error",
    "completed",
)
FINISHED = ("cancelled", "error", "completed")
USER = "fake-user"


def _stamp() -> str:
    return datetime.now(UTC).isoformat()


def model_limits(name: str) -> dict[str, Any]:
    """The ``FinetuneModelLimits`` object of a model the fake fine-tunes."""
    return {
        "model_name": name,
        "default_gradient_accumulation_steps": 1,
        "lora_training": {
            "default_rank": 16,
            "max_batch_size": 32,
            "max_batch_size_dpo": 16,
            "max_rank": 64,
            "min_batch_size": 8,
            "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"],
        },
        "full_training": {"max_batch_size": 32, "max_batch_size_dpo": 16, "min_batch_size": 8},
        "max_learning_rate": 1.0,
        "min_learning_rate": 1e-8,
        "max_num_checkpoints": 10,
        "max_num_epochs": 20,
        "max_num_evals": 10,
        "max_seq_length_dpo": 8192,
        "max_seq_length_sft": 8192,
        "min_max_seq_length": 512,
        "merge_output_lora": True,
        "supports_full_training": True,
        "supports_reasoning": False,
        "supports_tools": True,
        "supports_vision": False,
    }


@attrs.define
class TogetherFile:
    id: str
    filename: str
    purpose: str
    file_type: str
    checksum: str
    data: bytes | None = None
    processing_status: str = "PENDING"
    error: str | None = None
    created_at: int = attrs.field(factory=now)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data or b""),
            "created_at": self.created_at,
            "filename": self.filename,
            "FileType": self.file_type,
            "purpose": self.purpose,
            "processing_status": self.processing_status,
        }
        if self.processing_status in ("COMPLETED", "INVALID_FORMAT"):
            body["validation_report"] = {
                "valid": self.error is None,
                "file_id": self.id,
                "nlines": (self.data or b"").count(b"\n"),
                **({"error": self.error, "error_type": "INVALID_FORMAT"} if self.error else {}),
            }
        return body


@attrs.define
class FakeTogether(FakeService):
    """The fake; ``async with FakeTogether(api_key=...) as server``. Tests move jobs on with
    :meth:`set_job_status` and make the next upload invalid with :meth:`reject_next_file`."""

    api_key: str | None = "together-test-key"
    models: set[str] = attrs.field(factory=lambda: {DEFAULT_MODEL})
    files: dict[str, TogetherFile] = attrs.field(init=False, factory=dict)
    jobs: dict[str, dict[str, Any]] = attrs.field(init=False, factory=dict)
    events: dict[str, list[dict[str, Any]]] = attrs.field(init=False, factory=dict)
    _rejection: str | None = attrs.field(init=False, default=None)

    open_paths = ("/upload/",)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/files", self._begin_upload),
            web.put("/upload/{id}", self._put_bytes),
            web.post("/v1/files/{id}/preprocess", self._preprocess),
            web.get("/v1/files/{id}", self._get_file),
            web.delete("/v1/files/{id}", self._delete_file),
            web.get("/v1/fine-tunes/models/limits", self._limits),
            web.post("/v1/fine-tunes/estimate-price", self._estimate),
            web.post("/v1/fine-tunes", self._create_job),
            web.get("/v1/fine-tunes", self._list_jobs),
            web.get("/v1/fine-tunes/{id}", self._get_job),
            web.post("/v1/fine-tunes/{id}/cancel", self._cancel_job),
            web.get("/v1/fine-tunes/{id}/events", self._list_events),
        ]

    def error_body(self, status: int, message: str, code: str | None) -> dict[str, Any]:
        kind = "server_error" if status >= 500 else "invalid_request_error"
        code = code or {401: "invalid_api_key", 404: "not_found"}.get(status)
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    def reject_next_file(self, reason: str) -> None:
        """The next uploaded file fails Together's validation with ``reason``."""
        self._rejection = reason

    def uploaded(self, file_id: str) -> bytes:
        return self.files[file_id].data or b""

    def set_job_status(self, job_id: str, status: str, *, error: str | None = None) -> None:
        """Move a job on; ``error`` is the message of the ``job_error`` event of a failed job."""
        if status not in STATUSES:
            raise ValueError(f"unknown Together job status {status!r}")
        job = self.jobs[job_id]
        job["status"] = status
        job["updated_at"] = _stamp()
        if status == "error":
            self._event(job_id, "job_error", error or "Job failed.", "error")
        elif status == "completed":
            self._event(job_id, "job_complete", "Job finished.")
        else:
            self._event(job_id, "job_start" if status == "running" else "job_pending", status)

    def _event(self, job_id: str, kind: str, message: str, level: str = "info") -> None:
        self.events.setdefault(job_id, []).append(
            {
                "object": "fine-tune-event",
                "created_at": _stamp(),
                "type": kind,
                "message": message,
                "level": level,
            }
        )

    def _lookup_job(self, request: web.Request) -> dict[str, Any]:
        job = self.jobs.get(request.match_info["id"])
        if job is None:
            raise web.HTTPNotFound(reason=f"Fine-tune job {request.match_info['id']} not found")
        return job

    async def _begin_upload(self, request: web.Request) -> web.StreamResponse:
        form = request[RECORD].form
        missing = [k for k in ("purpose", "file_name", "file_type") if not form.get(k)]
        if missing:
            return self.error(400, f"Missing form fields: {', '.join(missing)}")
        file = TogetherFile(
            new_id("file"), form["file_name"], form["purpose"], form["file_type"], form["checksum"]
        )
        self.files[file.id] = file
        location = f"{self.origin}/upload/{file.id}?signature={new_id('sig')}"
        headers = {"Location": location, "X-Together-File-Id": file.id}
        return web.Response(status=302, headers=headers)

    async def _put_bytes(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["id"])
        if file is None or "signature" not in request.query:
            return web.Response(status=403, text="bad signature")
        file.data = await request.read()
        return web.Response(status=200)

    async def _preprocess(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["id"])
        if file is None or file.data is None:
            return self.error(404, f"File {request.match_info['id']} was not uploaded")
        if hashlib.sha256(file.data).hexdigest() != file.checksum:
            return self.error(400, "Checksum mismatch")
        file.error, self._rejection = self._rejection, None
        file.processing_status = "INVALID_FORMAT" if file.error else "COMPLETED"
        return web.json_response(file.to_json())

    async def _get_file(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["id"])
        if file is None:
            return self.error(404, f"File {request.match_info['id']} not found")
        return web.json_response(file.to_json())

    async def _delete_file(self, request: web.Request) -> web.Response:
        file = self.files.pop(request.match_info["id"], None)
        if file is None:
            return self.error(404, f"File {request.match_info['id']} not found")
        return web.json_response({"id": file.id, "deleted": True})

    async def _limits(self, request: web.Request) -> web.Response:
        name = request.query.get("model_name", "")
        if name not in self.models:
            return self.error(404, f"Model {name} is not available for fine-tuning")
        return web.json_response(model_limits(name))

    async def _estimate(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "estimation_available": True,
                "allowed_to_proceed": True,
                "estimated_total_price": 1.5,
                "estimated_train_token_count": 1000,
                "estimated_eval_token_count": 0,
                "user_limit": 100.0,
            }
        )

    async def _create_job(self, request: web.Request) -> web.Response:
        body = request[RECORD].json or {}
        model, file_id = body.get("model"), body.get("training_file")
        if model not in self.models:
            return self.error(400, f"Model {model} is not available for fine-tuning")
        file = self.files.get(file_id or "")
        if file is None or file.processing_status != "COMPLETED":
            return self.error(400, f"Training file {file_id} is not a valid uploaded file")
        suffix = body.get("suffix")
        if suffix is not None and len(suffix) > 40:
            return self.error(400, "suffix must be at most 40 characters")
        job_id = f"ft-{new_id('job')[4:]}"
        tail = "-".join(filter(None, [model.split("/")[-1], suffix, job_id[-6:]]))
        stamp = _stamp()
        job = {
            "id": job_id,
            "status": "pending",
            "user_id": USER,
            "created_at": stamp,
            "updated_at": stamp,
            "model": model,
            "training_file": file_id,
            "suffix": suffix,
            "model_output_name": f"{USER}/{tail}",
            "training_method": body.get("training_method"),
            "training_type": body.get("training_type"),
            "n_epochs": body.get("n_epochs"),
            "request": body,
        }
        self.jobs[job_id] = job
        self.due(job_id)
        self._event(job_id, "job_pending", "Fine tune request created")
        return web.json_response(self._public(job))

    @staticmethod
    def _public(job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if k != "request"}

    async def _list_jobs(self, request: web.Request) -> web.Response:
        return web.json_response({"data": [self._public(j) for j in self.jobs.values()]})

    async def _get_job(self, request: web.Request) -> web.Response:
        job = self._lookup_job(request)
        if job["status"] not in FINISHED and self.due(job["id"]):
            failed = self.fail_reason is not None
            self.set_job_status(
                job["id"], "error" if failed else "completed", error=self.fail_reason
            )
        return web.json_response(self._public(job))

    async def _cancel_job(self, request: web.Request) -> web.Response:
        job = self._lookup_job(request)
        if job["status"] in FINISHED:
            return self.error(400, f"Job {job['id']} has already finished")
        self.set_job_status(job["id"], "cancelled")
        return web.json_response(self._public(job))

    async def _list_events(self, request: web.Request) -> web.Response:
        job = self._lookup_job(request)
        return web.json_response({"data": self.events.get(job["id"], [])})


if __name__ == "__main__":
    serve(FakeTogether, "A local fake of Together AI's fine-tuning API.")
