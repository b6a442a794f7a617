"""Each service's rules applied to a built file before anything is uploaded."""

from __future__ import annotations

from botkit_trainer.dataset import validate
from botkit_trainer.providers.base import ProviderSpec
from botkit_trainer.settings import TrainerSettings
from botkit_trainer.sizes import megabytes


def service_problems(
    spec: ProviderSpec, settings: TrainerSettings, data: bytes, method: str, dataset: str
) -> list[str]:
    """Problems with the names the job would use, then with the file's lines and size: the
    stricter of the service's rules and the ``[trainer]`` limits applies."""
    rules = spec.rules
    problems = spec.name_problems(settings.suffix, dataset)
    problems += validate(
        data,
        method,
        min_examples=max(settings.min_examples, rules.min_examples),
        max_bytes=min(megabytes(settings.max_training_mb), rules.max_bytes),
        roles=rules.roles,
    )
    return problems
