"""Webhook mode: setWebhook with a secret token; every request must carry it."""

from __future__ import annotations

import json
import socket

import aiohttp


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _webhook_config(port: int) -> dict:
    return {
        "telegram": {
            "webhook_url": f"http://127.0.0.1:{port}/telegram/updates",
            "webhook_insecure": True,
            "webhook_listen": "127.0.0.1",
            "webhook_port": port,
        }
    }


async def test_webhook_mode_sets_the_webhook_with_a_secret_and_answers_updates(
    telegram_harness,
):
    port = _free_port()
    async with telegram_harness(config=_webhook_config(port)) as tg:
        replies = await tg.send("/hi")
        hook = tg.fake.account.webhook
    assert replies.text == "HI!"
    assert hook is not None and hook["url"].endswith(f":{port}/telegram/updates")
    assert len(hook["secret_token"]) >= 32
    methods = [c.method for c in tg.fake.account.calls]
    assert "getUpdates" not in methods


async def test_webhook_asks_for_reaction_updates(telegram_harness):
    port = _free_port()
    async with telegram_harness(config=_webhook_config(port)) as tg:
        (call,) = [c for c in tg.fake.account.calls if c.method == "setWebhook"]
    assert "message_reaction" in json.loads(call.params["allowed_updates"])


async def test_a_webhook_request_without_the_secret_is_refused(telegram_harness):
    port = _free_port()
    update = {
        "update_id": 99,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "text": "/hi",
        },
    }
    async with telegram_harness(config=_webhook_config(port)) as tg:
        async with aiohttp.ClientSession() as client:
            url = f"http://127.0.0.1:{port}/telegram/updates"
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
            async with client.post(url, json=update, headers=wrong) as resp:
                status = resp.status
        await tg.adapter.idle()
        sent = [c for c in tg.fake.account.calls if c.method == "sendMessage"]
    assert status == 401
    assert sent == []
