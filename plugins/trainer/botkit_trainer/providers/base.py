"""The fine-tuning provider interface: what the trainer asks of a service, and what it gets."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import attrs

SUPERVISED, DPO = "supervised", "dpo"
SUCCEEDED, FAILED, CANCELLED = "succeeded", "failed", "cancelled"
FINAL_STATUSES = (SUCCEEDED, FAILED, CANCELLED)
MB = 2**20


class ProviderError(Exception):
    """A service refused or could not be reached. ``str(error)`` is a short reason for users,
    already reduced to a status and a message with credentials masked; ``code`` is the
    service's error code, when it gave one (``training_not_available``)."""

    def __init__(self, reason: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code


@attrs.frozen
class ProviderConfig:
    """How to reach a service: ``base_url`` ends in ``/v1`` as users write it."""

    base_url: str
    api_key: str
    account_id: str = ""
    timeout: float = 120.0
    max_retries: int = 2
    ready_timeout: float = 600.0


@attrs.frozen
class Rules:
    """What a service accepts, checked locally before anything is uploaded."""

    roles: tuple[str, ...] = ("system", "user", "assistant")
    min_examples: int = 1
    max_bytes: int = 512 * MB
    suffix_chars: int = 64


@attrs.frozen
class TrainingFile:
    """A built JSONL file about to be uploaded: on disk at ``path``, named ``filename``."""

    path: Path
    data: bytes
    filename: str
    dataset: str
    examples: int


@attrs.frozen
class JobInfo:
    """A job as the service reports it. ``status`` is one of :data:`FINAL_STATUSES` once it
    has finished, else the service's own word for the stage (``running``, ``queued``...)."""

    id: str
    status: str
    model: str | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


@runtime_checkable
class Provider(Protocol):
    """A client of one fine-tuning service, made by :meth:`ProviderSpec.create`.

    Every method raises :class:`ProviderError` when the service refuses or cannot be reached.
    ``method`` is :data:`SUPERVISED` or :data:`DPO`, as stored with the job.
    """

    async def upload(self, file: TrainingFile, method: str) -> str:
        """Upload the file; return what :meth:`start` refers to it by."""

    async def start(self, training_file: str, *, method: str, model: str, suffix: str) -> JobInfo:
        """Start a job on an uploaded file."""

    async def status(self, job_id: str, method: str) -> JobInfo:
        """The job's current status (with the reason, when it failed)."""

    async def events(self, job_id: str, method: str, limit: int) -> list[str]:
        """The job's latest events as short lines, newest first."""

    async def cancel(self, job_id: str, method: str) -> JobInfo:
        """Ask the service to cancel the job."""

    async def delete_file(self, training_file: str) -> None:
        """Delete an uploaded training file (a user asked to be forgotten)."""

    async def model_problem(self, model: str) -> str | None:
        """Why ``model`` cannot be fine-tuned here, as far as the service says; else None."""

    async def close(self) -> None:
        """Release the client's connections."""


class ProviderSpec(Protocol):
    """What an entry point of the group ``botkit_trainer.providers`` names."""

    name: str
    label: str  # how replies name the service: "the Together API answered 401: ..."
    default_base_url: str
    default_key_env: str
    default_model: str
    needs_account: bool
    serves_models: bool  # fine-tuned models can be used for chat without a deployment
    rules: Rules
    # Optional: ``new_jobs_until``, the epoch second from which the service takes no new
    # jobs, and ``new_jobs_note``, who it already refuses (see botkit_trainer.closing).

    def name_problems(self, suffix: str, dataset: str) -> list[str]:
        """Problems with the names a job would use (suffix, dataset ids), for local checks."""

    def create(self, config: ProviderConfig) -> Provider:
        """A client for the service; imports the service's SDK on first use."""
