"""Together AI's fine-tuning API through the official ``together`` SDK (async client)."""

from __future__ import annotations

from typing import Any

from botkit_trainer.providers.base import (
    CANCELLED,
    DPO,
    FAILED,
    SUCCEEDED,
    JobInfo,
    ProviderConfig,
    ProviderError,
    Rules,
    TrainingFile,
)
from botkit_trainer.redact import reason, sdk_failure

LABEL = "the Together API"
STATUSES = {"completed": SUCCEEDED, "error": FAILED, "cancelled": CANCELLED}
SUFFIX_CHARS = 40


def sdk_base_url(base_url: str) -> str:
    """The SDK adds ``/v1`` to every path itself: ``https://api.together.ai/v1`` loses it."""
    return base_url.rstrip("/").removesuffix("/v1")


class TogetherProvider:
    """Upload, jobs and events through ``together.AsyncTogether``."""

    def __init__(self, config: ProviderConfig) -> None:
        import together

        self._sdk = together
        self._secrets = (config.api_key,)
        self._client = together.AsyncTogether(
            base_url=sdk_base_url(config.base_url),
            api_key=config.api_key,
            timeout=config.timeout,
            max_retries=config.max_retries,
        )
        # The SDK imports each resource (and its helpers) on first use: do it here, in the
        # worker thread the runtime makes clients in, not on the event loop.
        _ = self._client.files, self._client.fine_tuning
        import together.lib.resources.files
        import together.lib.resources.fine_tuning

    def _failure(self, exc: Exception) -> ProviderError:
        return sdk_failure(exc, self._sdk, LABEL, self._secrets)

    def _info(self, job: Any, error: str | None = None) -> JobInfo:
        status = STATUSES.get(job.status, job.status)
        model = job.x_model_output_name if status == SUCCEEDED else None  # named at creation
        return JobInfo(job.id, status, model, error)

    async def upload(self, file: TrainingFile, method: str) -> str:
        # The trainer checks the file itself (with the offending lines); the SDK's own check
        # would read the whole file on the event loop.
        try:
            uploaded = await self._client.files.upload(file.path, purpose="fine-tune", check=False)
        except self._sdk.TogetherError as exc:
            raise self._failure(exc) from None
        if uploaded.processing_status in ("FAILED", "INVALID_FORMAT"):
            raise ProviderError(f"{LABEL} refused the file: {await self._rejection(uploaded.id)}")
        return str(uploaded.id)

    async def _rejection(self, file_id: str) -> str:
        """Why Together's validation refused an uploaded file (its validation report)."""
        try:
            report = (await self._client.files.retrieve(file_id)).validation_report
        except self._sdk.TogetherError:
            report = None
        why = report.error if report is not None and report.error else None
        return reason(why or "the file is not in a format it accepts", self._secrets)

    async def start(self, training_file: str, *, method: str, model: str, suffix: str) -> JobInfo:
        options: dict[str, Any] = (
            {"training_method": "dpo"}
            if method == DPO
            else {"training_method": "sft", "train_on_inputs": "auto"}
        )
        try:
            job = await self._client.fine_tuning.create(
                training_file=training_file, model=model, suffix=suffix or None, **options
            )
        except self._sdk.TogetherError as exc:
            raise self._failure(exc) from None
        except ValueError as exc:  # the SDK checks parameters against the model's limits
            raise ProviderError(f"{LABEL} client refused the job: {reason(str(exc))}") from None
        return self._info(job)

    async def status(self, job_id: str, method: str) -> JobInfo:
        try:
            job = await self._client.fine_tuning.retrieve(job_id)
        except self._sdk.NotFoundError:
            return JobInfo(job_id, FAILED, error=f"{LABEL} no longer knows this job")
        except self._sdk.TogetherError as exc:
            raise self._failure(exc) from None
        if STATUSES.get(job.status) != FAILED:
            return self._info(job)
        return self._info(job, await self._failure_reason(job_id))

    async def _failure_reason(self, job_id: str) -> str:
        """Together says why a job failed only in its events: the last error event's text."""
        try:
            page = await self._client.fine_tuning.list_events(job_id)
        except self._sdk.TogetherError:
            return "no reason given (its events cannot be read)"
        errors = [e for e in page.data if e.level == "error" or e.type == "job_error"]
        return reason(errors[-1].message, self._secrets) if errors else "no reason given"

    async def events(self, job_id: str, method: str, limit: int) -> list[str]:
        try:
            page = await self._client.fine_tuning.list_events(job_id)
        except self._sdk.TogetherError as exc:
            raise self._failure(exc) from None
        latest = list(reversed(page.data))[:limit]
        return [f"[{e.level or 'info'}] {reason(e.message, self._secrets)}" for e in latest]

    async def cancel(self, job_id: str, method: str) -> JobInfo:
        try:
            job = await self._client.fine_tuning.cancel(job_id)
        except self._sdk.TogetherError as exc:
            raise self._failure(exc) from None
        return self._info(job)

    async def delete_file(self, training_file: str) -> None:
        try:
            await self._client.files.delete(training_file)
        except self._sdk.NotFoundError:
            return
        except self._sdk.TogetherError as exc:
            raise self._failure(exc) from None

    async def model_problem(self, model: str) -> str | None:
        try:
            await self._client.fine_tuning.model_limits(model_name=model)
        except (self._sdk.NotFoundError, self._sdk.BadRequestError):
            return f"Together does not fine-tune the base model {model!r}"
        except self._sdk.TogetherError as exc:
            raise self._failure(exc) from None
        return None

    async def close(self) -> None:
        await self._client.close()


class TogetherSpec:
    """Registered as ``together`` in ``botkit_trainer.providers``."""

    name = "together"
    label = LABEL
    default_base_url = "https://api.together.ai/v1"
    default_key_env = "TOGETHER_API_KEY"
    default_model = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
    needs_account = False
    serves_models = True
    rules = Rules(
        roles=("system", "user", "assistant", "tool"),
        max_bytes=int(50.1 * 2**30),
        suffix_chars=SUFFIX_CHARS,
    )

    def name_problems(self, suffix: str, dataset: str) -> list[str]:
        if len(suffix) > SUFFIX_CHARS:
            return [
                f"the suffix {suffix!r} is {len(suffix)} characters; Together allows at most "
                f"{SUFFIX_CHARS} ([trainer] suffix)"
            ]
        return []

    def create(self, config: ProviderConfig) -> TogetherProvider:
        return TogetherProvider(config)


spec = TogetherSpec()
