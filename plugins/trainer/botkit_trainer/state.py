"""What the trainer keeps while a bot runs: provider clients (made on first use) and the poller."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import attrs

from botkit_trainer import providers
from botkit_trainer.providers.base import Provider, ProviderConfig, ProviderSpec
from botkit_trainer.settings import TrainerSettings


class NoApiKey(Exception):
    """Fine-tuning was asked for but the key's environment variable is empty (its name)."""


class UnknownProvider(Exception):
    """A stored job names a provider that is not installed any more (its name)."""


@attrs.frozen
class Target:
    """Where a job lives: a provider, its base URL and (Fireworks) account."""

    provider: str
    base_url: str
    account_id: str = ""


def configured(settings: TrainerSettings) -> Target:
    return Target(settings.provider, settings.base_url, settings.account_id)


def key_env(settings: TrainerSettings, provider: str) -> str:
    """The configured key variable for the configured provider, else that provider's default."""
    if provider == settings.provider:
        return settings.api_key_env
    spec = providers.get(provider)
    return spec.default_key_env if spec is not None else settings.api_key_env


def api_key(settings: TrainerSettings, provider: str | None = None) -> str | None:
    return os.environ.get(key_env(settings, provider or settings.provider)) or None


def secrets(settings: TrainerSettings) -> list[str]:
    """The values of every key variable the trainer may use, for masking."""
    names = {settings.api_key_env, *(s.default_key_env for s in providers.registered().values())}
    return [value for name in names if (value := os.environ.get(name))]


def spec_of(name: str) -> ProviderSpec:
    spec = providers.get(name)
    if spec is None:
        raise UnknownProvider(name)
    return spec


@attrs.define
class Runtime:
    """One running bot's provider clients, keyed by :class:`Target`, and its poller."""

    clients: dict[Target, Provider] = attrs.Factory(dict)
    poller: Any = None
    closed: set[Target] = attrs.Factory(set)  # answered training_not_available: no uploads

    async def client(self, settings: TrainerSettings, target: Target) -> Provider:
        """The shared client for ``target``; raises :class:`NoApiKey` or
        :class:`UnknownProvider`. It is made in a worker thread: importing an SDK the first
        time takes a second or more."""
        if target not in self.clients:
            spec = spec_of(target.provider)
            key = api_key(settings, target.provider)
            if key is None:
                raise NoApiKey(key_env(settings, target.provider))
            config = ProviderConfig(
                base_url=target.base_url,
                api_key=key,
                account_id=target.account_id,
                timeout=settings.request_timeout,
                max_retries=settings.max_retries,
                ready_timeout=settings.dataset_ready_timeout,
            )
            client = await asyncio.to_thread(spec.create, config)
            self.clients.setdefault(target, client)
        return self.clients[target]

    async def close(self) -> None:
        """Stop the poller and close every client (at shutdown)."""
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None
        clients, self.clients = list(self.clients.values()), {}
        for client in clients:
            await client.close()


def runtime_of(plugin: Any) -> Runtime:
    """The trainer's runtime in its handle's state slot (made on first use)."""
    if plugin.state is None:
        plugin.state = Runtime()
    return plugin.state
