"""The ``botkit.web`` tier: what a plugin uses to add pages to the web console (see
docs/plugin-guide.md), exactly the names of :mod:`botkit.web.pages`. The console itself is
:mod:`botkit.web.console`."""

from __future__ import annotations

from botkit.web import pages
from botkit.web.pages import *  # noqa: F403

__all__ = pages.__all__
