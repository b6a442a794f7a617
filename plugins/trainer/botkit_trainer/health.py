"""``botkit doctor``: whether the configured provider still takes new jobs, its key, and
whether it fine-tunes the base model."""

from __future__ import annotations

import asyncio

from botkit import Problem
from botkit_trainer.closing import closing_problems
from botkit_trainer.providers.base import ProviderConfig, ProviderError, ProviderSpec
from botkit_trainer.redact import mask
from botkit_trainer.settings import TrainerSettings
from botkit_trainer.state import api_key, secrets, spec_of


async def problems(settings: TrainerSettings, now: float) -> list[Problem]:
    """The provider's closing date, if it has one, then its key and base model."""
    spec = spec_of(settings.provider)
    return closing_problems(spec, now) + await service_problems(settings, spec)


async def service_problems(settings: TrainerSettings, spec: ProviderSpec) -> list[Problem]:
    key = api_key(settings)
    env = settings.api_key_env
    if key is None:
        return [
            Problem(
                f"{env} is not set, so fine-tuning on {spec.name} (!train start) is "
                "unavailable; documents, !train and !test still work.",
                fix=f"export {env}=... (or change [trainer] api_key_env)",
                severity="warning",
            )
        ]
    config = ProviderConfig(
        base_url=settings.base_url,
        api_key=key,
        account_id=settings.account_id,
        timeout=settings.request_timeout,
        max_retries=settings.max_retries,
    )
    client = await asyncio.to_thread(spec.create, config)  # the SDK's first import is slow
    try:
        problem = await client.model_problem(settings.base_model)
    except ProviderError as exc:
        reason = mask(str(exc), secrets(settings))
        refused = exc.status in (401, 403)
        return [
            Problem(
                f"cannot check the base model on {spec.name}: {reason}",
                fix=f"check the key in {env}" if refused else "check [trainer] base_url",
                severity="error" if refused else "warning",
            )
        ]
    finally:
        await client.close()
    if problem is None:
        return []
    return [
        Problem(
            f"base_model: {problem}",
            fix="set [trainer] base_model to a model the service fine-tunes",
            severity="error",
        )
    ]
