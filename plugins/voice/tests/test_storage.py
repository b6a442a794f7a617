"""The per-user voice table on both databases, created through the plugin's migration."""

from __future__ import annotations

from sqlalchemy import text
from voice_helpers import OWNER_IN_VOICE


async def test_my_voice_is_kept_and_replaced_on_both_databases(voice_bot, storage_url):
    config = {"storage": {"url": storage_url}} if storage_url else {}
    async with voice_bot(extra_config=config) as bot:
        await bot.send("!voice me espeak de")
        replaced = await bot.send("!voice me espeak fr")
        storage = bot.bot.plugin_handle("voice").storage
        async with storage.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT user_id, voice FROM voice_user_voices"))).all()
            [version] = (
                await conn.execute(text("SELECT version_num FROM botkit_schema_voice"))
            ).all()
    assert replaced.text == "Your voice: espeak, fr (in every server)."
    assert [tuple(r) for r in rows] == [(OWNER_IN_VOICE.id, "fr")]
    assert tuple(version) == ("voice_0001",)
