"""The ``[trainer]`` section of botkit.toml."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

import attrs

from botkit import not_negative, positive, setting
from botkit_trainer import providers

DATASET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def _fraction(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0 < value <= 1:
        raise ValueError(f"{attribute.name} must be above 0 and at most 1, not {value!r}")


def _inside_data_dir(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    path = PurePath(value)
    if not value or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"{attribute.name} must be a directory inside data_dir, not {value!r}")


def _dataset_name(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not DATASET_NAME.match(value):
        raise ValueError(f"{attribute.name} must be letters, digits, - or _, not {value!r}")


def _suffix(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if len(value) > 64:
        raise ValueError(f"{attribute.name} must be at most 64 characters")


def _provider(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if providers.get(value) is None:
        known = ", ".join(sorted(providers.registered()))
        raise ValueError(f"{attribute.name} must be one of {known}, not {value!r}")


@attrs.define
class TrainerSettings:
    """Fine-tuning provider, sandbox directories, size caps and retrieval settings.

    ``base_url``, ``api_key_env`` and ``base_model`` left empty, or at another provider's
    default (as ``botkit init`` writes them), take the chosen provider's own.
    """

    provider: str = setting(
        "openai",
        "fine-tuning service: together or fireworks (openai takes no new jobs from 2027-01-06, "
        "nor from organisations created since 2026-05-07), or an added one",
        _provider,
    )
    base_url: str = setting(
        "https://api.openai.com/v1",
        "the service's REST base ending in /v1 (another provider's default: this one's)",
        owner_only=True,
    )
    api_key_env: str = setting(
        "OPENAI_API_KEY", "environment variable holding the key (default: the provider's)"
    )
    base_model: str = setting(
        "gpt-4o-mini-2024-07-18", "the model fine-tuning starts from (default: the provider's)"
    )
    account_id: str = setting("", "Fireworks account id (needed with provider = fireworks)")
    suffix: str = setting(
        "botkit", "added to fine-tuned model names (≤ 64 characters)", _suffix, server=True
    )
    max_retries: int = setting(2, "times a failed API request is retried", not_negative)
    request_timeout: float = setting(120.0, "seconds an API request may take", positive)
    poll_interval: float = setting(60.0, "seconds between checks of unfinished jobs", positive)
    dataset_ready_timeout: float = setting(
        600.0, "seconds to wait for an uploaded Fireworks dataset to be ready", positive
    )
    default_dataset: str = setting(
        "default", "dataset !train uses until !dataset picks another", _dataset_name, server=True
    )
    datasets_dir: str = setting(
        "datasets", "inside data_dir: saved uploads and built JSONL", _inside_data_dir
    )
    archives_dir: str = setting(
        "archives", "inside data_dir: zips made by !archive", _inside_data_dir
    )
    work_timeout: float = setting(
        60.0, "seconds reading, parsing or zipping files may take", positive
    )
    max_upload_mb: float = setting(10.0, "largest file !train accepts", positive)
    max_archive_mb: float = setting(
        50.0, "largest total (uncompressed) size of a zip made or accepted", positive
    )
    max_files: int = setting(500, "most files in a zip, or a directory read or archived", positive)
    max_ratio: float = setting(
        100.0, "highest compression ratio of a zip member (archive-bomb guard)", positive
    )
    attach_max_mb: float = setting(8.0, "archives up to this size are attached", positive)
    max_training_mb: float = setting(100.0, "largest training JSONL uploaded", positive)
    min_examples: int = setting(10, "fewest examples a fine-tuning file may have", positive)
    max_test_cases: int = setting(10, "most cases one !test may run", positive, server=True)
    pass_score: float = setting(
        0.8, "score (0..1) at which a !test case passes", _fraction, server=True
    )
    context_passages: int = setting(
        3, "passages added to each prompt (0: none)", not_negative, server=True
    )
    passage_chars: int = setting(800, "longest passage documents are split into", positive)
    max_json_depth: int = setting(20, "deepest nesting a !test JSON payload may have", positive)
    max_json_chars: int = setting(100_000, "longest !test JSON payload, in characters", positive)

    def __attrs_post_init__(self) -> None:
        spec = providers.get(self.provider)
        assert spec is not None  # checked by the validator
        others = [s for s in providers.registered().values() if s.name != spec.name]
        if self.base_url in ("", *(s.default_base_url for s in others)):
            self.base_url = spec.default_base_url
        if self.api_key_env in ("", *(s.default_key_env for s in others)):
            self.api_key_env = spec.default_key_env
        if self.base_model in ("", *(s.default_model for s in others)):
            self.base_model = spec.default_model
        if spec.needs_account and not self.account_id:
            raise ValueError(
                f"account_id is required with provider = {self.provider!r}: set "
                f"[trainer] account_id to your {self.provider} account id"
            )
