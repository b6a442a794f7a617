"""A local fake of Fireworks AI's fine-tuning REST API, for the official ``fireworks-ai`` SDK.

Endpoints and shapes follow the SDK (``fireworks.resources.datasets``,
``.supervised_fine_tuning_jobs``, ``.dpo_jobs``, ``.models``): datasets are created
(``POST /v1/accounts/{account}/datasets``, ids must be new), filled with
``POST .../datasets/{id}:upload`` and become ``READY`` after processing; jobs live under
``.../supervisedFineTuningJobs`` and ``.../dpoJobs`` with ``:cancel``; a failed job's reason is
its ``status.message``. Bodies are camelCase JSON. Use it as
``AsyncFireworks(base_url=server.origin, api_key=..., account_id=...)``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import attrs
from aiohttp import web

from botkit_testkit._service import RECORD, FakeService, new_id, serve

DEFAULT_MODEL = "accounts/fireworks/models/llama-v3p1-8b-instruct"
STATES = (
    "JOB_STATE_CREATING",
    "JOB_STATE_PENDING",
    "JOB_STATE_VALIDATING",
    "JOB_STATE_RUNNING",
    "JOB_STATE_WRITING_RESULTS",
    "JOB_STATE_COMPLETED",
    "JOB_STATE_FAILED",
    "JOB_STATE_CANCELLED",
)
FINISHED = ("JOB_STATE_COMPLETED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED")
KINDS = {"supervisedFineTuningJobs": "sft", "dpoJobs": "dpo"}
GRPC_CODES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
ID_PART = r"[^/:]+"


def _stamp() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@attrs.define
class FakeFireworks(FakeService):
    """The fake; ``async with FakeFireworks(api_key=..., account="acme") as server``.

    ``models`` maps base model names to whether they are tunable; a dataset turns ``READY``
    after ``processing_polls`` reads following its upload. Tests move jobs on with
    :meth:`set_job_state` and make the next upload fail with :meth:`reject_next_upload`.
    """

    api_key: str | None = "fireworks-test-key"
    account: str = "acme"
    models: dict[str, bool] = attrs.field(factory=lambda: {DEFAULT_MODEL: True})
    processing_polls: int = 0
    datasets: dict[str, dict[str, Any]] = attrs.field(init=False, factory=dict)
    uploads: dict[str, bytes] = attrs.field(init=False, factory=dict)
    jobs: dict[str, dict[str, Any]] = attrs.field(init=False, factory=dict)
    _pending_reads: dict[str, int] = attrs.field(init=False, factory=dict)
    _rejection: str | None = attrs.field(init=False, default=None)

    def routes(self) -> list[web.RouteDef]:
        base = "/v1/accounts/{account}"
        dataset = base + "/datasets/{dataset:" + ID_PART + "}"
        routes = [
            web.post(base + "/datasets", self._create_dataset),
            web.get(dataset, self._get_dataset),
            web.delete(dataset, self._delete_dataset),
            web.post(dataset + ":upload", self._upload),
            web.get(base + "/models/{model:" + ID_PART + "}", self._get_model),
        ]
        for collection in KINDS:
            job = base + "/" + collection + "/{job:" + ID_PART + "}"
            routes += [
                web.post(base + "/" + collection, self._create_job),
                web.get(job, self._get_job),
                web.post(job + ":cancel", self._cancel_job),
            ]
        return routes

    def error_body(self, status: int, message: str, code: str | None) -> dict[str, Any]:
        """Google's error shape: ``status`` is the gRPC name (or the ``code`` asked for)."""
        kind = code or GRPC_CODES.get(status, "")
        return {"error": {"code": status, "message": message, "status": kind}}

    def reject_next_upload(self, reason: str) -> None:
        """The next dataset upload is refused with ``reason`` (HTTP 400)."""
        self._rejection = reason

    def set_job_state(self, job_id: str, state: str, *, message: str | None = None) -> None:
        """Move a job on; ``message`` is the ``status.message`` of a failed job."""
        if state not in STATES:
            raise ValueError(f"unknown Fireworks job state {state!r}")
        job = self.jobs[job_id]
        job["state"] = state
        job["updateTime"] = _stamp()
        if state == "JOB_STATE_FAILED":
            job["status"] = {"code": "INVALID_ARGUMENT", "message": message or "Job failed."}
        elif state == "JOB_STATE_CANCELLED":
            job["status"] = {"code": "CANCELLED", "message": "Job was cancelled."}
        if state in FINISHED:
            job["completedTime"] = _stamp()

    def _account(self, request: web.Request) -> str:
        account = request.match_info["account"]
        if account != self.account:
            raise web.HTTPForbidden(reason=f"Permission denied on account {account}")
        return account

    async def _create_dataset(self, request: web.Request) -> web.Response:
        account = self._account(request)
        body = request[RECORD].json or {}
        dataset_id = body.get("datasetId") or ""
        if not dataset_id:
            return self.error(400, "datasetId is required")
        name = f"accounts/{account}/datasets/{dataset_id}"
        if name in self.datasets:
            return self.error(409, f"Dataset {name} already exists")
        record = {
            **(body.get("dataset") or {}),
            "name": name,
            "state": "UPLOADING",
            "createTime": _stamp(),
            "status": {"code": "OK", "message": ""},
        }
        self.datasets[name] = record
        return web.json_response(record)

    def _dataset(self, request: web.Request) -> dict[str, Any]:
        name = f"accounts/{self._account(request)}/datasets/{request.match_info['dataset']}"
        if name not in self.datasets:
            raise web.HTTPNotFound(reason=f"Dataset {name} not found")
        return self.datasets[name]

    async def _get_dataset(self, request: web.Request) -> web.Response:
        record = self._dataset(request)
        name = record["name"]
        if name in self._pending_reads:
            if self._pending_reads[name] <= 0:
                record["state"] = "READY"
                del self._pending_reads[name]
            else:
                self._pending_reads[name] -= 1
        return web.json_response(record)

    async def _delete_dataset(self, request: web.Request) -> web.Response:
        record = self._dataset(request)
        del self.datasets[record["name"]]
        self.uploads.pop(record["name"], None)
        return web.json_response({})

    async def _upload(self, request: web.Request) -> web.Response:
        record = self._dataset(request)
        files = request[RECORD].files
        if "file" not in files:
            return self.error(400, "A file is required")
        data = files["file"]
        if self._rejection is not None:
            reason, self._rejection = self._rejection, None
            return self.error(400, reason)
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            try:
                json.loads(line)
            except ValueError:
                return self.error(400, f"Line {number} of the dataset is not valid JSON")
        self.uploads[record["name"]] = data
        self._pending_reads[record["name"]] = self.processing_polls
        return web.json_response(
            {"id": record["name"], "object": "file", "bytes": len(data), "filename": "upload"}
        )

    async def _get_model(self, request: web.Request) -> web.Response:
        name = f"accounts/{request.match_info['account']}/models/{request.match_info['model']}"
        if name not in self.models:
            return self.error(404, f"Model {name} not found")
        return web.json_response(
            {"name": name, "state": "READY", "kind": "HF_BASE_MODEL", "tunable": self.models[name]}
        )

    def _collection(self, request: web.Request) -> str:
        return request.path.split("/")[4].split(":")[0]

    async def _create_job(self, request: web.Request) -> web.Response:
        account = self._account(request)
        collection = self._collection(request)
        body = request[RECORD].json or {}
        config = (body.get("trainingConfig") or {}) if collection == "dpoJobs" else body
        model = config.get("baseModel")
        if not self.models.get(model or ""):
            return self.error(400, f"Base model {model} is not available for fine-tuning")
        dataset = self.datasets.get(body.get("dataset") or "")
        if dataset is None:
            return self.error(400, f"Dataset {body.get('dataset')} not found")
        if dataset["state"] != "READY":
            return self.error(400, f"Dataset {dataset['name']} is not ready")
        query_key = "dpoJobId" if collection == "dpoJobs" else "supervisedFineTuningJobId"
        job_id = request.query.get(query_key) or new_id("job")[4:]
        output = f"accounts/{account}/models/{config.get('outputModel') or job_id}"
        job = {
            **body,
            "name": f"accounts/{account}/{collection}/{job_id}",
            "state": "JOB_STATE_CREATING",
            "status": {"code": "OK", "message": ""},
            "createTime": _stamp(),
        }
        if collection == "dpoJobs":
            job["trainingConfig"] = {**config, "outputModel": output}
        else:
            job["outputModel"] = output
        self.jobs[job_id] = job
        self.due(job_id)
        return web.json_response(job)

    def _job(self, request: web.Request) -> dict[str, Any]:
        self._account(request)
        job = self.jobs.get(request.match_info["job"])
        if job is None or f"/{self._collection(request)}/" not in job["name"]:
            raise web.HTTPNotFound(reason=f"Job {request.match_info['job']} not found")
        return job

    async def _get_job(self, request: web.Request) -> web.Response:
        job = self._job(request)
        job_id = job["name"].rsplit("/", 1)[1]
        if job["state"] not in FINISHED and self.due(job_id):
            failed = self.fail_reason is not None
            state = "JOB_STATE_FAILED" if failed else "JOB_STATE_COMPLETED"
            self.set_job_state(job_id, state, message=self.fail_reason)
        return web.json_response(job)

    async def _cancel_job(self, request: web.Request) -> web.Response:
        job = self._job(request)
        if job["state"] in FINISHED:
            return self.error(400, f"Job {job['name']} has already finished")
        self.set_job_state(job["name"].rsplit("/", 1)[1], "JOB_STATE_CANCELLED")
        return web.json_response({})


if __name__ == "__main__":
    serve(FakeFireworks, "A local fake of Fireworks AI's fine-tuning API.")
