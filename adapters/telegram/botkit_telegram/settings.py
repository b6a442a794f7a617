"""The ``[telegram]`` section (the prefix, triggers and owner ids live in ``[bot]``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import attrs

from botkit.adapter import not_negative, positive, setting

DEFAULT_BASE_URL = "https://api.telegram.org"
# What bots may download with getFile from Telegram's own servers; a local Bot API server
# (telegram-bot-api --local) has no such limit: raise max_download_mb for it.
TELEGRAM_DOWNLOAD_MB = 20.0


def _http_url(instance: Any, attribute: Any, value: str) -> None:
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{attribute.name} must be an http(s) URL, not {value!r}")


def _https_url(instance: Any, attribute: Any, value: str) -> None:
    _http_url(instance, attribute, value)
    if value and urlsplit(value).scheme != "https" and not instance.webhook_insecure:
        raise ValueError(
            "webhook_url must be https (Telegram delivers webhooks over HTTPS only); "
            "set webhook_insecure = true only behind a local Bot API server"
        )


@attrs.define
class TelegramSettings:
    """How the bot talks to the Bot API; the token comes from TELEGRAM_TOKEN only."""

    base_url: str = setting(
        DEFAULT_BASE_URL,
        "the Bot API server, e.g. http://localhost:8081 for a local telegram-bot-api server",
        validator=_http_url,
    )
    webhook_insecure: bool = setting(
        False, "allow an http:// webhook_url (only a local Bot API server accepts one)"
    )
    webhook_url: str = setting(
        "",
        "public https URL Telegram posts updates to; empty: long polling (the default)",
        validator=_https_url,
    )
    webhook_listen: str = setting("0.0.0.0", "address the webhook server listens on")
    webhook_port: int = setting(8443, "port the webhook server listens on", validator=positive)
    poll_timeout: int = setting(
        30, "seconds one getUpdates long poll waits for news", validator=positive
    )
    connect_timeout: float = setting(
        30.0, "seconds to wait for the Bot API at start-up before giving up", validator=positive
    )
    sync_commands: bool = setting(
        True, "register the commands with setMyCommands at start-up (Telegram allows it)"
    )
    max_download_mb: float = setting(
        TELEGRAM_DOWNLOAD_MB,
        "largest file the bot downloads (Telegram's limit is 20 MB; a local server has none)",
        validator=positive,
    )
    admin_cache_seconds: float = setting(
        300.0,
        "how long a user's admin status (getChatMember) is remembered",
        validator=not_negative,
    )
    private_edit_interval: float = setting(
        1.0, "seconds between edits of a streamed reply in a private chat", validator=not_negative
    )
    group_edit_interval: float = setting(
        3.0, "seconds between edits of a streamed reply in a group", validator=not_negative
    )
    rating_buttons: bool = setting(
        True,
        "put 👍/👎 buttons under the bot's answers (the feedback plugin rates them when pressed)",
    )
    max_retry_after: float = setting(
        60.0,
        "longest flood-control wait (429 retry_after) honoured before a send gives up",
        validator=not_negative,
    )

    @property
    def webhook(self) -> bool:
        return bool(self.webhook_url)

    @property
    def webhook_path(self) -> str:
        return urlsplit(self.webhook_url).path or "/"
