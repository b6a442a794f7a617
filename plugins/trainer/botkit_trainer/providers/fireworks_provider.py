"""Fireworks AI's fine-tuning API through the official ``fireworks-ai`` SDK (async client).

A job trains on a dataset: it is created under a new id, the file uploaded into it, and once
the service reports it ``READY`` the job refers to it by its full resource name
``accounts/{account}/datasets/{id}``.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from botkit_trainer.providers.base import (
    CANCELLED,
    DPO,
    FAILED,
    MB,
    SUCCEEDED,
    JobInfo,
    ProviderConfig,
    ProviderError,
    Rules,
    TrainingFile,
)
from botkit_trainer.redact import reason, sdk_failure

LABEL = "the Fireworks API"
STATES = {
    "JOB_STATE_COMPLETED": SUCCEEDED,
    "JOB_STATE_EARLY_STOPPED": SUCCEEDED,
    "JOB_STATE_FAILED": FAILED,
    "JOB_STATE_EXPIRED": FAILED,
    "JOB_STATE_CANCELLED": CANCELLED,
}
ID_CHARS = 63
RESOURCE_ID = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
MODEL_NAME = re.compile(r"^accounts/([^/]+)/models/([^/]+)$")
READY_CHECKS = 10  # readiness is checked this many times within ready_timeout


def sdk_base_url(base_url: str) -> str:
    """The SDK's paths start with ``/v1``: ``https://api.fireworks.ai/v1`` loses it."""
    return base_url.rstrip("/").removesuffix("/v1")


def id_problem(value: str) -> str | None:
    """Why ``value`` is not a Fireworks resource id, or None."""
    if RESOURCE_ID.match(value):
        return None
    return (
        f"{value!r} is not a Fireworks id: use at most {ID_CHARS} lower-case letters, digits "
        "and hyphens, starting with a letter"
    )


def new_dataset_id(dataset: str, when: datetime | None = None) -> str:
    """A fresh dataset id for one job: ``botkit-<dataset>-<time>-<random>``, within the rules."""
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    tail = f"-{stamp}-{secrets.token_hex(2)}"
    name = re.sub(r"[^a-z0-9]+", "-", dataset.lower()).strip("-")
    head = ("botkit-" + name).rstrip("-")[: ID_CHARS - len(tail)].rstrip("-")
    return head + tail


def _state_word(state: str | None) -> str:
    return (state or "JOB_STATE_UNSPECIFIED").removeprefix("JOB_STATE_").lower()


class FireworksProvider:
    """Datasets, SFT and DPO jobs and models through ``fireworks.AsyncFireworks``."""

    def __init__(self, config: ProviderConfig) -> None:
        import fireworks

        self._sdk = fireworks
        self._secrets = (config.api_key,)
        self._account = config.account_id
        self._ready_timeout = config.ready_timeout
        self._client = fireworks.AsyncFireworks(
            base_url=sdk_base_url(config.base_url),
            api_key=config.api_key,
            account_id=config.account_id,
            timeout=config.timeout,
            max_retries=config.max_retries,
        )
        client = self._client  # resources are imported on first use: here, in a worker thread
        _ = client.datasets, client.supervised_fine_tuning_jobs, client.dpo_jobs, client.models

    def _failure(self, exc: Exception) -> ProviderError:
        return sdk_failure(exc, self._sdk, LABEL, self._secrets)

    def _jobs(self, method: str) -> Any:
        return self._client.dpo_jobs if method == DPO else self._client.supervised_fine_tuning_jobs

    def _info(self, job_id: str, job: Any, method: str) -> JobInfo:
        status = STATES.get(job.state or "", _state_word(job.state))
        output = job.training_config.output_model if method == DPO else job.output_model
        if output and not output.startswith("accounts/"):
            output = f"accounts/{self._account}/models/{output}"
        error = None
        if status == FAILED:
            message = job.status.message if job.status else None
            expired = job.state == "JOB_STATE_EXPIRED"
            error = reason(message, self._secrets) if message else None
            error = error or ("the job expired" if expired else "no reason given")
        model = (
            (output or f"accounts/{self._account}/models/{job_id}") if status == SUCCEEDED else None
        )
        return JobInfo(job_id, status, model, error)

    async def upload(self, file: TrainingFile, method: str) -> str:
        dataset_id = new_dataset_id(file.dataset)
        try:
            dataset = await self._client.datasets.create(
                dataset_id=dataset_id,
                dataset={"user_uploaded": {}, "example_count": str(file.examples)},
            )
            await self._client.datasets.upload(dataset_id, file=(file.filename, file.data))
        except self._sdk.FireworksError as exc:
            raise self._failure(exc) from None
        await self._wait_until_ready(dataset_id)
        return dataset.name or f"accounts/{self._account}/datasets/{dataset_id}"

    async def _wait_until_ready(self, dataset_id: str) -> None:
        deadline = time.monotonic() + self._ready_timeout
        pause = self._ready_timeout / READY_CHECKS
        while True:
            try:
                dataset = await self._client.datasets.get(dataset_id)
            except self._sdk.FireworksError as exc:
                raise self._failure(exc) from None
            if dataset.state == "READY":
                return
            if dataset.status and dataset.status.code not in (None, "OK"):
                why = reason(dataset.status.message or dataset.status.code, self._secrets)
                raise ProviderError(f"{LABEL} refused the dataset: {why}")
            if time.monotonic() + pause > deadline:
                raise ProviderError(
                    f"the Fireworks dataset {dataset_id} was not ready after "
                    f"{self._ready_timeout:g} s; try again later"
                )
            await asyncio.sleep(pause)

    async def start(self, training_file: str, *, method: str, model: str, suffix: str) -> JobInfo:
        try:
            if method == DPO:
                job = await self._client.dpo_jobs.create(
                    dataset=training_file,
                    training_config={"base_model": model},
                    display_name=suffix,
                )
            else:
                job = await self._client.supervised_fine_tuning_jobs.create(
                    dataset=training_file, base_model=model, display_name=suffix
                )
        except self._sdk.FireworksError as exc:
            raise self._failure(exc) from None
        job_id = (job.name or "").rsplit("/", 1)[-1]
        return self._info(job_id, job, method)

    async def status(self, job_id: str, method: str) -> JobInfo:
        try:
            job = await self._jobs(method).get(job_id)
        except self._sdk.NotFoundError:
            return JobInfo(job_id, FAILED, error=f"{LABEL} no longer knows this job")
        except self._sdk.FireworksError as exc:
            raise self._failure(exc) from None
        return self._info(job_id, job, method)

    async def events(self, job_id: str, method: str, limit: int) -> list[str]:
        """Fireworks keeps no event list for a job: its state, progress and status message."""
        try:
            job = await self._jobs(method).get(job_id)
        except self._sdk.FireworksError as exc:
            raise self._failure(exc) from None
        lines = [f"[info] state {_state_word(job.state)}"]
        progress = getattr(job, "job_progress", None)
        if progress is not None and progress.percent is not None:
            lines.append(f"[info] {progress.percent}% done")
        if job.status and job.status.message:
            level = "error" if STATES.get(job.state or "") == FAILED else "info"
            lines.append(f"[{level}] {reason(job.status.message, self._secrets)}")
        return lines[:limit]

    async def cancel(self, job_id: str, method: str) -> JobInfo:
        try:
            await self._jobs(method).cancel(job_id, body={})
        except self._sdk.FireworksError as exc:
            raise self._failure(exc) from None
        return await self.status(job_id, method)

    async def delete_file(self, training_file: str) -> None:
        """The training file is a dataset: ``accounts/<account>/datasets/<id>``."""
        try:
            await self._client.datasets.delete(training_file.rsplit("/", 1)[-1])
        except self._sdk.NotFoundError:
            return
        except self._sdk.FireworksError as exc:
            raise self._failure(exc) from None

    async def model_problem(self, model: str) -> str | None:
        found = MODEL_NAME.match(model)
        if not found:
            return f"Fireworks base models are named accounts/<account>/models/<id>, not {model!r}"
        try:
            details = await self._client.models.get(found.group(2), account_id=found.group(1))
        except self._sdk.NotFoundError:
            return f"Fireworks does not know the base model {model!r}"
        except self._sdk.FireworksError as exc:
            raise self._failure(exc) from None
        if details.tunable is False:
            return f"Fireworks cannot fine-tune the base model {model!r}"
        return None

    async def close(self) -> None:
        await self._client.close()


class FireworksSpec:
    """Registered as ``fireworks`` in ``botkit_trainer.providers``."""

    name = "fireworks"
    label = LABEL
    default_base_url = "https://api.fireworks.ai/v1"
    default_key_env = "FIREWORKS_API_KEY"
    default_model = "accounts/fireworks/models/llama-v3p1-8b-instruct"
    needs_account = True
    serves_models = False
    rules = Rules(min_examples=3, max_bytes=150 * MB, suffix_chars=ID_CHARS)

    def name_problems(self, suffix: str, dataset: str) -> list[str]:
        problem = id_problem(new_dataset_id(dataset))
        return [problem] if problem else []

    def create(self, config: ProviderConfig) -> FireworksProvider:
        return FireworksProvider(config)


spec = FireworksSpec()
