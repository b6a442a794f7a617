"""OpenAI's fine-tuning API (and gateways that implement ``/files`` and ``/fine_tuning/jobs``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botkit_trainer.providers.base import (
    DPO,
    MB,
    SUPERVISED,
    JobInfo,
    ProviderConfig,
    ProviderError,
    Rules,
    TrainingFile,
)
from botkit_trainer.redact import reason, sdk_failure

LABEL = "the fine-tuning API"
# OpenAI takes no new fine-tuning jobs from this day on; organisations created since
# 2026-05-07 already cannot start any (the API answers 403 training_not_available).
NEW_JOBS_UNTIL = datetime(2027, 1, 6, tzinfo=UTC).timestamp()


class OpenAIProvider:
    """Through the official ``openai`` SDK's async client."""

    def __init__(self, config: ProviderConfig) -> None:
        import openai

        self._sdk = openai
        self._secrets = (config.api_key,)
        self._client = openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key,
            timeout=config.timeout,
            max_retries=config.max_retries,
        )
        _ = self._client.files, self._client.fine_tuning, self._client.models  # imported here

    def _failure(self, exc: Exception) -> ProviderError:
        return sdk_failure(exc, self._sdk, LABEL, self._secrets)

    def _info(self, job: Any) -> JobInfo:
        error = job.error.message if job.error and job.error.message else None
        return JobInfo(
            job.id,
            job.status,
            job.fine_tuned_model,
            reason(error, self._secrets) if error else None,
        )

    async def upload(self, file: TrainingFile, method: str) -> str:
        try:
            uploaded = await self._client.files.create(
                file=(file.filename, file.data), purpose="fine-tune"
            )
        except self._sdk.OpenAIError as exc:
            raise self._failure(exc) from None
        return str(uploaded.id)

    async def start(self, training_file: str, *, method: str, model: str, suffix: str) -> JobInfo:
        try:
            job = await self._client.fine_tuning.jobs.create(
                model=model,
                training_file=training_file,
                suffix=suffix or None,
                method={"type": DPO} if method == DPO else {"type": SUPERVISED},
            )
        except self._sdk.OpenAIError as exc:
            raise self._failure(exc) from None
        return self._info(job)

    async def status(self, job_id: str, method: str) -> JobInfo:
        try:
            job = await self._client.fine_tuning.jobs.retrieve(job_id)
        except self._sdk.NotFoundError:
            return JobInfo(job_id, "failed", error="the fine-tuning API no longer knows this job")
        except self._sdk.OpenAIError as exc:
            raise self._failure(exc) from None
        return self._info(job)

    async def events(self, job_id: str, method: str, limit: int) -> list[str]:
        try:
            page = await self._client.fine_tuning.jobs.list_events(job_id, limit=limit)
        except self._sdk.OpenAIError as exc:
            raise self._failure(exc) from None
        return [f"[{e.level}] {reason(e.message, self._secrets)}" for e in page.data]

    async def losses(self, job_id: str, method: str, limit: int) -> list[tuple[int, float]]:
        """(step, training loss) from the job's ``metrics`` events, by step."""
        try:
            page = await self._client.fine_tuning.jobs.list_events(job_id, limit=limit)
        except self._sdk.OpenAIError as exc:
            raise self._failure(exc) from None
        found: dict[int, float] = {}
        for event in page.data:
            data = event.data if isinstance(event.data, dict) else {}
            step, loss = data.get("step"), data.get("train_loss")
            if event.type == "metrics" and isinstance(step, int) and isinstance(loss, int | float):
                found[step] = float(loss)
        return sorted(found.items())

    async def cancel(self, job_id: str, method: str) -> JobInfo:
        try:
            job = await self._client.fine_tuning.jobs.cancel(job_id)
        except self._sdk.OpenAIError as exc:
            raise self._failure(exc) from None
        return self._info(job)

    async def delete_file(self, training_file: str) -> None:
        try:
            await self._client.files.delete(training_file)
        except self._sdk.NotFoundError:
            return
        except self._sdk.OpenAIError as exc:
            raise self._failure(exc) from None

    async def model_problem(self, model: str) -> str | None:
        try:
            await self._client.models.retrieve(model)
        except self._sdk.NotFoundError:
            return f"the service does not know the base model {model!r}"
        except self._sdk.OpenAIError as exc:
            raise self._failure(exc) from None
        return None

    async def close(self) -> None:
        await self._client.close()


class OpenAISpec:
    """Registered as ``openai`` in ``botkit_trainer.providers``."""

    name = "openai"
    label = LABEL
    default_base_url = "https://api.openai.com/v1"
    default_key_env = "OPENAI_API_KEY"
    default_model = "gpt-4o-mini-2024-07-18"
    needs_account = False
    serves_models = True
    rules = Rules(max_bytes=512 * MB, suffix_chars=64)
    new_jobs_until = NEW_JOBS_UNTIL
    new_jobs_note = "organisations created since 2026-05-07 already cannot start any"

    def name_problems(self, suffix: str, dataset: str) -> list[str]:
        if len(suffix) > self.rules.suffix_chars:
            return [f"the suffix is {len(suffix)} characters; OpenAI allows at most 64"]
        return []

    def create(self, config: ProviderConfig) -> OpenAIProvider:
        return OpenAIProvider(config)


spec = OpenAISpec()
