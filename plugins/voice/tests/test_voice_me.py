"""!voice me: a user's own voice, used in every server, forgotten with the user's data."""

from __future__ import annotations

from pathlib import Path

import attrs
from voice_helpers import MEMBER_IN_VOICE, OWNER_IN_VOICE, BeepEngine, spoken

from botkit import Channel, ChannelKind, hookimpl

FAR_TEXT = Channel(id="801", name="far", guild_id="900")
FAR_VOICE = Channel(id="800", name="Far", kind=ChannelKind.VOICE, guild_id="900")


class LanguageBeep(BeepEngine):
    """The beep engine, remembering the language it was asked for."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.languages: list[str] = []

    @hookimpl
    async def botkit_synthesize(self, ctx, text, engine, language):
        if engine == "beep":
            self.languages.append(language)
        return await super().botkit_synthesize(ctx, text, engine, language)


async def test_my_voice_is_used_for_what_i_am_told_in_every_server(voice_bot, tmp_path):
    beep = LanguageBeep(tmp_path / "beep")
    async with voice_bot(plugins={"beep": beep}) as bot:
        replies = await bot.send("!voice me beep de", user=OWNER_IN_VOICE)
        assert replies.text == "Your voice: beep, de (in every server)."
        beep.texts.clear()
        beep.languages.clear()
        await bot.send("hi", user=OWNER_IN_VOICE, mention=True)
        far = attrs.evolve(OWNER_IN_VOICE, voice_channel=FAR_VOICE)
        await bot.send("there", user=far, mention=True, channel=FAR_TEXT)
        await spoken(bot.bot)
    assert beep.texts == ["you said: hi", "you said: there"]
    assert beep.languages == ["de", "de"]


async def test_others_keep_the_servers_voice(voice_bot, tmp_path):
    beep = LanguageBeep(tmp_path / "beep")
    async with voice_bot(plugins={"beep": beep}) as bot:
        await bot.send("!voice me beep", user=OWNER_IN_VOICE)
        beep.texts.clear()
        other = attrs.evolve(OWNER_IN_VOICE, id="77", name="other")
        await bot.send("hi", user=other, mention=True)
        await spoken(bot.bot)
    assert beep.texts == []  # spoken by the server's espeak, not beep


async def test_reset_gives_back_the_servers_voice(voice_bot, tmp_path):
    beep = LanguageBeep(tmp_path / "beep")
    async with voice_bot(plugins={"beep": beep}) as bot:
        await bot.send("!voice me beep", user=OWNER_IN_VOICE)
        replies = await bot.send("!voice me reset", user=OWNER_IN_VOICE)
        assert replies.text == "Your voice is the server's again."
        beep.texts.clear()
        await bot.send("hi", user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        again = await bot.send("!voice me reset", user=OWNER_IN_VOICE)
    assert beep.texts == []
    assert again.text == "You had no voice of your own."


async def test_an_unknown_engine_is_refused_and_nothing_stored(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!voice me robot")
        mine = await bot.send("!mydata")
    assert replies.text.startswith("No installed plugin speaks with an engine called 'robot'.")
    assert "voice choice" not in mine.text


async def test_piper_without_its_package_says_what_to_install(voice_bot):
    async with voice_bot() as bot:
        server = await bot.send("!voice engine piper")
        mine = await bot.send("!voice me piper")
    expected = "The piper engine needs the botkit-piper package: pip install botkit-piper"
    assert server.text == expected
    assert mine.text == expected


async def test_a_path_is_not_a_voice(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!voice me espeak ../../etc/passwd")
    assert replies.text.startswith("'../../etc/passwd' is neither a language code")


async def test_mydata_counts_and_forgetme_removes_my_voice(voice_bot):
    async with voice_bot() as bot:
        await bot.send("!voice me espeak de")
        before = await bot.send("!mydata")
        forgotten = await bot.call_all(
            "botkit_delete_user_data",
            plugin=bot.bot.plugin_handle("voice"),
            user_id=OWNER_IN_VOICE.id,
        )
        after = await bot.send("!mydata")
    assert "- voice: 1 voice choice" in before.text
    assert ("voice", 1) in forgotten
    assert "voice choice" not in after.text


async def test_a_language_no_voice_speaks_is_refused(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!voice me espeak qq-zz")
    assert replies.text == "No voice speaks 'qq-zz'; use a code like en, ru, de, fr, es, pt-BR."


async def test_a_member_may_not_pick_a_paid_engine(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!voice me openai", user=MEMBER_IN_VOICE)
        mine = await bot.send("!mydata", user=MEMBER_IN_VOICE)
    assert replies.text == (
        "Members may pick only these voice engines here: auto, espeak, piper. "
        "The openai engine is for the server's admins to choose."
    )
    assert "voice choice" not in mine.text


async def test_an_admin_picks_any_engine(voice_bot, tmp_path):
    admin = attrs.evolve(MEMBER_IN_VOICE, id="2", is_admin=True)
    async with voice_bot(plugins={"beep": BeepEngine(tmp_path / "beep")}) as bot:
        replies = await bot.send("!voice me beep", user=admin)
    assert replies.text == "Your voice: beep (in every server)."


async def test_a_members_engine_is_used_only_where_members_may_pick_it(voice_bot, tmp_path):
    beep = BeepEngine(tmp_path / "beep")
    async with voice_bot(plugins={"beep": beep}) as bot:
        await bot.send('!config voice member_engines ["espeak", "beep"]')
        picked = await bot.send("!voice me beep", user=MEMBER_IN_VOICE)
        beep.texts.clear()  # the probe of the engine
        await bot.send("here", user=MEMBER_IN_VOICE, mention=True)
        far = attrs.evolve(MEMBER_IN_VOICE, voice_channel=FAR_VOICE)
        await bot.send("there", user=far, mention=True, channel=FAR_TEXT)
        await spoken(bot.bot)
    assert picked.text == "Your voice: beep (in every server)."
    assert beep.texts == ["you said: here"]  # the far server's espeak said "there"
