"""Command rules per server (``!rules``), as a server's admins and members see them."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import botkit
from botkit import Context
from botkit.commands import command
from botkit.models import Channel, ChannelKind, Message, User
from botkit.permissions.rules import Rule, RuleError, deciding, index, parse_rule
from botkit.testing import ADMIN, CHANNEL, GUILD, MEMBER, OWNER

TRAINERS = "77"
ALICE = User(id="9", name="alice", roles=(TRAINERS,))
OTHER = Channel(id="601", name="random", guild_id=GUILD)
THREAD = Channel(
    id="602", name="a thread", kind=ChannelKind.THREAD, guild_id=GUILD, parent_id="600"
)


async def train(ctx: Context) -> str:
    """Train a model."""
    return "training started"


async def train_stop(ctx: Context) -> str:
    """Stop training."""
    return "training stopped"


async def scale(ctx: Context) -> str:
    """Change the scale (admins)."""
    return "scaled"


class Trainer:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [
            botkit.command(train, aliases=["fit"]),
            botkit.command(train_stop, name="train stop"),
            botkit.command(scale, permission=botkit.Permission.ADMIN),
        ]


@pytest.fixture
async def bot(botkit_harness):
    async with botkit_harness(plugins={"trainer": Trainer()}) as harness:
        yield harness


async def admin(bot, text: str) -> str:
    return (await bot.send(text, user=ADMIN)).text


# --- the owner's scenario ---


async def test_a_member_without_the_role_is_refused_with_the_reason(bot) -> None:
    await admin(bot, "!rules add deny command train role @everyone")
    await admin(bot, f"!rules add allow command train role <@&{TRAINERS}>")
    sent = await bot.send("!train", user=MEMBER)
    assert sent.text == (
        f"!train is disabled in this server. It is allowed to role <@&{TRAINERS}>."
    )


async def test_a_member_with_the_role_runs_the_command(bot) -> None:
    await admin(bot, "!rules add deny command train role @everyone")
    await admin(bot, f"!rules add allow command train role <@&{TRAINERS}>")
    assert (await bot.send("!train", user=ALICE)).text == "training started"


async def test_adding_a_rule_confirms_it(bot) -> None:
    text = await admin(bot, f"!rules add allow command train role <@&{TRAINERS}>")
    assert text == f"Rule added: allow command train to role <@&{TRAINERS}>."


async def test_a_rule_with_an_unclosed_quote_is_explained(bot) -> None:
    replies = await bot.send('!rules add deny command hi role "night owls', user=ADMIN)
    listing = await bot.send("!rules", user=ADMIN)
    assert replies.text == 'unclosed quote " in the arguments.'
    assert "\nnone\n" in listing.text


async def test_rules_lists_the_servers_rules_in_order(bot) -> None:
    await admin(bot, "!rules add deny command train role @everyone")
    await admin(bot, f"!rules add allow command train role <@&{TRAINERS}>")
    lines = (await admin(bot, "!rules")).splitlines()
    assert lines[1:3] == [
        "1. deny command train in this server",
        f"2. allow command train to role <@&{TRAINERS}>",
    ]
    assert "Refusals are answered." in lines


async def test_rules_without_any(bot) -> None:
    assert (await admin(bot, "!rules")).splitlines()[1] == "none"


async def test_check_explains_which_rule_decides(bot) -> None:
    await admin(bot, "!rules add deny command train role @everyone")
    await admin(bot, f"!rules add allow command train role <@&{TRAINERS}>")
    message = Message(
        id="m1",
        content=f"!rules check train <@{ALICE.id}>",
        author=ADMIN,
        channel=CHANNEL,
        mentions=(ALICE,),
    )
    await bot.bot.handle(message)
    assert bot.adapter.sent[-1].text == (
        f"<@{ALICE.id}> may run !train here: rule 2 "
        f"(allow command train to role <@&{TRAINERS}>) decides."
    )


async def test_check_of_a_refused_member_shows_what_they_see(bot) -> None:
    await admin(bot, "!rules add deny command train role @everyone")
    text = await admin(bot, f"!rules check train <@{MEMBER.id}>")
    assert text.startswith(
        f"<@{MEMBER.id}> may not run !train here: rule 1 (deny command train in this server)"
    )
    assert text.endswith("They see: !train is disabled in this server.")


async def test_check_without_rules(bot) -> None:
    assert (await admin(bot, "!rules check train")).startswith(
        f"<@{ADMIN.id}> may run !train here: no rule is about it"
    )


async def test_check_names_the_commands_own_permission(bot) -> None:
    message = Message(
        id="m2",
        content=f"!rules check scale <@{MEMBER.id}>",
        author=ADMIN,
        channel=CHANNEL,
        mentions=(MEMBER,),
    )
    await bot.bot.handle(message)
    assert bot.adapter.sent[-1].text == (
        f"<@{MEMBER.id}> may not run !scale: Only server admins (Manage Server) can use this "
        "command."
    )


async def test_check_knows_the_configured_owners(botkit_harness) -> None:
    config = {"bot": {"owner_ids": ["9"]}}
    async with botkit_harness(plugins={"trainer": Trainer()}, config=config) as bot:
        await admin(bot, "!rules add deny command train server")
        text = await admin(bot, "!rules check train <@9>")
    assert text == "<@9> may run !train: the bot's owners are never refused by rules."


async def test_check_by_id_says_what_is_not_known(bot) -> None:
    text = await admin(bot, "!rules check scale 12345")
    assert text == (
        "<@12345> may not run !scale (only their id is known here: their roles and admin rights "
        "were left out): Only server admins (Manage Server) can use this command."
    )


# --- precedence ---


async def test_a_user_rule_beats_a_role_rule(bot) -> None:
    await admin(bot, f"!rules add allow command train role <@&{TRAINERS}>")
    await admin(bot, f"!rules add deny command train user <@{ALICE.id}>")
    sent = await bot.send("!train", user=ALICE)
    assert sent.text == "!train is not allowed for you in this server."


async def test_a_role_rule_refusal_names_the_role(bot) -> None:
    await admin(bot, f"!rules add deny command train role <@&{TRAINERS}>")
    assert (await bot.send("!train", user=ALICE)).text == (
        f"!train is not allowed to role <@&{TRAINERS}>."
    )
    assert (await bot.send("!train", user=MEMBER)).text == "training started"


async def test_the_admins_role_works_without_platform_roles(bot) -> None:
    await admin(bot, "!rules add deny command train server")
    assert (await admin(bot, "!rules add allow command train role admins")) == (
        "Rule added: allow command train to the server's admins."
    )
    assert (await bot.send("!train", user=MEMBER)).text == (
        "!train is disabled in this server. It is allowed to the server's admins."
    )
    assert (await admin(bot, "!train")) == "training started"


async def test_a_channel_rule_disables_a_command_in_that_channel_only(bot) -> None:
    await admin(bot, f"!rules add deny command train channel <#{OTHER.id}>")
    assert (await bot.send("!train", user=MEMBER, channel=OTHER)).text == (
        f"!train is disabled in <#{OTHER.id}>."
    )
    assert (await bot.send("!train", user=MEMBER)).text == "training started"


async def test_a_rule_on_the_parent_channel_covers_its_threads(bot) -> None:
    await admin(bot, f"!rules add deny command train channel <#{CHANNEL.id}>")
    assert (await bot.send("!train", user=MEMBER, channel=THREAD)).text == (
        f"!train is disabled in <#{CHANNEL.id}>."
    )


async def test_a_command_rule_beats_a_plugin_rule(bot) -> None:
    await admin(bot, "!rules add deny plugin trainer server")
    await admin(bot, '!rules add allow command "train stop" server')
    assert (await bot.send("!train stop", user=MEMBER)).text == "training stopped"
    assert (await bot.send("!train", user=MEMBER)).text == (
        "!train (plugin trainer) is disabled in this server."
    )


async def test_a_rule_on_a_group_covers_its_two_word_commands(bot) -> None:
    await admin(bot, "!rules add deny command train server")
    assert (await bot.send("!train stop", user=MEMBER)).text == (
        "!train stop is disabled in this server."
    )


async def test_an_alias_names_the_command(bot) -> None:
    assert (await admin(bot, "!rules add deny command fit server")) == (
        "Rule added: deny command train in this server."
    )


async def test_an_allow_never_lifts_the_commands_own_permission(bot) -> None:
    await admin(bot, f"!rules add allow command scale user <@{MEMBER.id}>")
    assert (await bot.send("!scale", user=MEMBER)).text == (
        "Only server admins (Manage Server) can use this command."
    )


async def test_the_bots_owner_is_never_refused_by_a_rule(bot) -> None:
    await admin(bot, "!rules add deny command train server")
    assert (await bot.send("!train", user=OWNER)).text == "training started"


async def test_rules_do_not_apply_in_direct_messages(bot) -> None:
    await admin(bot, "!rules add deny command train server")
    assert (await bot.dm("!train", user=MEMBER)).text == "training started"


async def test_rules_of_one_server_stay_there(bot) -> None:
    await admin(bot, "!rules add deny command train server")
    elsewhere = Channel(id="700", name="general", guild_id="501")
    assert (await bot.send("!train", user=MEMBER, channel=elsewhere)).text == "training started"


async def test_denying_the_builtin_plugin_leaves_the_rules_commands(bot) -> None:
    await admin(bot, "!rules add deny plugin builtin server")
    assert (await admin(bot, "!hi")) == "!hi (plugin builtin) is disabled in this server."
    assert (await admin(bot, "!rules remove 1")).startswith("Rule removed")
    assert (await admin(bot, "!hi")) == "HI!"


# --- changing rules ---


async def test_an_opposite_rule_replaces_the_old_one(bot) -> None:
    await admin(bot, "!rules add deny command train server")
    assert (await admin(bot, "!rules add allow command train server")) == (
        "Rule changed: allow command train in this server (it was deny)."
    )
    assert (await bot.send("!train", user=MEMBER)).text == "training started"


async def test_remove_by_the_rule(bot) -> None:
    await admin(bot, "!rules add deny command train role @everyone")
    assert (await admin(bot, "!rules remove deny command train server")) == (
        "Rule removed: deny command train in this server."
    )
    assert (await bot.send("!train", user=MEMBER)).text == "training started"


async def test_remove_of_a_missing_number(bot) -> None:
    assert (await admin(bot, "!rules remove 3")) == "There is no rule 3; see !rules."


async def test_rules_survive_a_restart(botkit_harness) -> None:
    async with botkit_harness(plugins={"trainer": Trainer()}) as bot:
        await admin(bot, "!rules add deny command train server")
        await admin(bot, "!rules silent on")
    async with botkit_harness(plugins={"trainer": Trainer()}) as bot:
        assert (await bot.send("!train", user=MEMBER)).text == ""
        assert "1. deny command train in this server" in await admin(bot, "!rules")


@pytest.mark.parametrize(
    ("typed", "reply"),
    [
        ("!rules add permit command train", "A rule starts with allow or deny, not 'permit'."),
        ("!rules add deny cog train", "A rule is about a command or a plugin, not 'cog'."),
        ("!rules add deny command nope", "No command 'nope'."),
        ("!rules add deny plugin nope", "No loaded plugin 'nope'; see the plugins command."),
        ("!rules add deny command train role", "Name one role: a mention or an id."),
        (
            "!rules add deny command train role trainers",
            "'trainers' is not a role: mention one (@trainers) or an id.",
        ),
        (
            "!rules add deny command train everywhere",
            "A rule applies to a user, channel, role or server, not 'everywhere'.",
        ),
        (
            "!rules add deny command rules server",
            "The rules commands have no rules, so admins can always change them.",
        ),
    ],
)
async def test_a_bad_rule_is_explained(bot, typed: str, reply: str) -> None:
    assert (await admin(bot, typed)) == reply
    assert (await admin(bot, "!rules")).splitlines()[1] == "none"


async def test_rules_are_for_admins(bot) -> None:
    sent = await bot.send("!rules add deny command train server", user=MEMBER)
    assert sent.text == "Only server admins (Manage Server) can use this command."


async def test_rules_are_per_server(bot) -> None:
    assert (await bot.dm("!rules", user=OWNER)).text == (
        "Rules are per server: use this in a server's channel."
    )


# --- silence ---


async def test_silent_refusals_get_no_answer(bot) -> None:
    await admin(bot, "!rules add deny command train server")
    assert (await admin(bot, "!rules silent on")).startswith("Refused commands get no answer")
    assert (await bot.send("!train", user=MEMBER)).text == ""


async def test_silence_can_be_switched_off(bot) -> None:
    await admin(bot, "!rules add deny command train server")
    await admin(bot, "!rules silent on")
    await admin(bot, "!rules silent off")
    assert (await bot.send("!train", user=MEMBER)).text == "!train is disabled in this server."


# --- the order, for every set of rules ---

SCOPES = st.sampled_from(["user", "channel", "role", "server"])
RULES = st.lists(
    st.builds(
        lambda action, scope: Rule(action, "command", "train", scope, _who(scope)),
        st.sampled_from(["allow", "deny"]),
        SCOPES,
    ),
    max_size=8,
)


def _who(scope: str) -> str:
    return {"user": ALICE.id, "channel": CHANNEL.id, "role": TRAINERS, "server": ""}[scope]


CMD = attrs.evolve(command(train), plugin="trainer")


@given(RULES)
def test_the_most_specific_rule_decides(rules: list[Rule]) -> None:
    found = deciding(index(rules), CMD, ALICE, CHANNEL)
    if not rules:
        assert found is None
        return
    order = ["user", "channel", "role", "server"]
    first = min(order.index(r.scope) for r in rules)
    assert found is not None and order.index(found.scope) == first
    same = [r for r in rules if order.index(r.scope) == first]
    assert found.action == ("allow" if any(r.action == "allow" for r in same) else "deny")


@given(st.lists(st.text(max_size=12), max_size=6))
def test_any_typed_rule_is_parsed_or_explained(words: list[str]) -> None:
    try:
        rule = parse_rule(words, GUILD)
    except RuleError as exc:
        assert str(exc)
    else:
        assert rule.action in ("allow", "deny") and rule.scope in (
            "user",
            "channel",
            "role",
            "server",
        )
