"""Fine-tuning providers: the built-in ``openai``, ``together`` and ``fireworks``, and any
another distribution registers in the entry-point group ``botkit_trainer.providers``.

Nothing here imports a service's SDK: each provider imports its own when a client is made.
"""

from __future__ import annotations

import functools
import logging
from importlib.metadata import entry_points

from botkit_trainer.providers.base import ProviderSpec
from botkit_trainer.providers.fireworks_provider import spec as fireworks
from botkit_trainer.providers.openai_provider import spec as openai
from botkit_trainer.providers.together_provider import spec as together

GROUP = "botkit_trainer.providers"
BUILT_IN: dict[str, ProviderSpec] = {s.name: s for s in (openai, together, fireworks)}

log = logging.getLogger("botkit.plugin.trainer")


@functools.cache
def registered() -> dict[str, ProviderSpec]:
    """Every provider by name: the built-in ones, then the entry points of :data:`GROUP`."""
    found = dict(BUILT_IN)
    for point in entry_points(group=GROUP):
        if point.name in found:
            continue
        try:
            spec = point.load()
        except Exception:
            log.exception("fine-tuning provider %s could not be loaded", point.name)
            continue
        if not all(hasattr(spec, key) for key in ("create", "default_base_url", "rules")):
            log.error("fine-tuning provider %s is not a provider spec; ignored", point.name)
            continue
        found[point.name] = spec
    return found


def get(name: str) -> ProviderSpec | None:
    """Provider ``name``: a built-in one without reading every installed package's entry
    points (no distribution can replace a built-in one)."""
    return BUILT_IN.get(name) or registered().get(name)
