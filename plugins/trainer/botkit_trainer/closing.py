"""Services that stop taking new fine-tuning jobs (OpenAI from 2027-01-06), and what to say.

A provider spec may carry ``new_jobs_until`` (epoch seconds) and ``new_jobs_note``; a service
refusing a job with the error code :data:`REFUSED_CODE` has closed early for this account.
"""

from __future__ import annotations

from datetime import UTC, datetime

from botkit import Problem
from botkit_trainer import providers
from botkit_trainer.providers.base import ProviderSpec

REFUSED_CODE = "training_not_available"


def closes_at(spec: ProviderSpec) -> float | None:
    """When the service stops taking new jobs, if it announced it."""
    return getattr(spec, "new_jobs_until", None)


def closed(spec: ProviderSpec, now: float) -> bool:
    end = closes_at(spec)
    return end is not None and now >= end


def day(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")


def lasting() -> list[str]:
    """The providers that take new jobs with no announced end, built-in ones first."""
    return [name for name, spec in providers.registered().items() if closes_at(spec) is None]


def advice() -> str:
    """Which providers still take new jobs, and how to switch to one."""
    names = lasting()
    if not names:
        return "No installed provider takes new jobs."
    first = providers.registered()[names[0]]
    return (
        f"Providers that still take new jobs: {', '.join(names)}. To switch, set "
        f'`[trainer] provider = "{first.name}"` in botkit.toml (its key goes in '
        f"{first.default_key_env}) and restart the bot."
    )


def closed_reply(spec: ProviderSpec) -> str:
    """The answer to ``!train start`` on a provider past its last day; nothing was uploaded."""
    end = closes_at(spec)
    assert end is not None
    return (
        f"Fine-tuning did not start: provider {spec.name} takes no new fine-tuning jobs since "
        f"{day(end)}, so nothing was uploaded. Jobs started before go on, and their models "
        f"keep working. {advice()}"
    )


def refused_reply(spec: ProviderSpec) -> str:
    """The answer when the service refused the job as no longer available to this account."""
    return (
        f"Fine-tuning did not start: provider {spec.name} takes no new fine-tuning jobs from "
        f"this account ({REFUSED_CODE}); the uploaded file was deleted from it. "
        f"{advice()}"
    )


def closing_problems(spec: ProviderSpec, now: float) -> list[Problem]:
    """A warning while the configured provider is about to close, an error once it has."""
    end = closes_at(spec)
    if end is None:
        return []
    note = getattr(spec, "new_jobs_note", "")
    if now >= end:
        text = f"provider {spec.name} takes no new fine-tuning jobs since {day(end)}"
        severity = "error"
    else:
        text = f"provider {spec.name} stops taking new fine-tuning jobs on {day(end)}"
        severity = "warning"
    others = lasting()
    fix = f'set [trainer] provider = "{others[0]}" and its key' if others else ""
    return [
        Problem(
            f"{text}{f' ({note})' if note else ''}; providers that still take new jobs: "
            f"{', '.join(others) or 'none installed'}",
            fix=fix or "install a provider that still takes new jobs",
            severity=severity,
        )
    ]
