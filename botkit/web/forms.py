"""``!config`` as forms: one per setting a server may change, built from the plugin's settings
class; what is sent goes through ``ServerConfig.set`` like a value typed in chat, so the class's
own validation messages and the same rights apply."""

from __future__ import annotations

import enum
import json
import typing
from typing import Any

import attrs

from botkit.config import toml_value, type_name
from botkit.logs import mask_credentials
from botkit.web.html import csrf_field, e, space_url
from botkit.web.tokens import Session


@attrs.frozen
class Field:
    """One setting as a form shows it."""

    name: str
    help: str
    kind: str  # choice, text, number, toml
    options: tuple[str, ...] = ()
    owner_only: bool = False
    quoted: bool = False  # sent as a TOML string


def fields(settings_cls: type, changeable: list[str]) -> list[Field]:
    """The settings a server may change (``changeable``), in the class's order."""
    hints = typing.get_type_hints(settings_cls)
    found = []
    for field in attrs.fields(settings_cls):
        if field.name not in changeable:
            continue
        kind, options, quoted = _kind(hints[field.name])
        found.append(
            Field(
                field.name,
                field.metadata.get("help", ""),
                kind,
                options,
                bool(field.metadata.get("owner_only")),
                quoted,
            )
        )
    return found


def _kind(hint: Any) -> tuple[str, tuple[str, ...], bool]:
    """How a setting of type ``hint`` is asked for: kind, options, sent as a string."""
    if hint is bool:
        return "choice", ("true", "false"), False
    if typing.get_origin(hint) is typing.Literal:
        args = typing.get_args(hint)
        return "choice", tuple(str(a) for a in args), all(isinstance(a, str) for a in args)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        values = [m.value for m in hint]
        return "choice", tuple(str(v) for v in values), all(isinstance(v, str) for v in values)
    if hint in (int, float):
        return "number", (), False
    if hint is str:
        return "text", (), True
    return "toml", (), False


def as_toml(field: Field, sent: str) -> str:
    """What a form sent, as the TOML value ``!config`` would have been typed with."""
    if field.quoted:
        return json.dumps(sent, ensure_ascii=False)
    return sent.strip()


def shown(field: Field, value: Any) -> str:
    """A setting's value as its input shows it, credentials masked."""
    if isinstance(value, enum.Enum):
        value = value.value
    if field.kind == "choice":
        return toml_value(value) if isinstance(value, bool) else str(value)
    if field.kind == "text":
        return mask_credentials(str(value))
    if value is None:
        return ""
    return mask_credentials(toml_value(value))


def render(
    plugin: str,
    space: str,
    settings: Any,
    merged: Any,
    owner: bool,
    session: Session,
    changed: set[str],
    errors: dict[str, str],
) -> str:
    """Every changeable setting of ``plugin`` as its own form (owner-only ones for the owner)."""
    from botkit.server_config import ServerConfig

    listed = fields(type(settings), ServerConfig.changeable(type(settings), owner=True))
    if not listed:
        return f"<p>[{e(plugin)}] has no settings a server can change.</p>"
    hints = typing.get_type_hints(type(settings))
    parts = []
    action = space_url(space, f"plugins/{plugin}/config")
    for field in listed:
        if field.owner_only and not owner:
            parts.append(
                f"<fieldset><legend>{e(field.name)}</legend><p class='hint'>{e(field.help)}</p>"
                "<p>Only the bot's owner can see and change this setting.</p></fieldset>"
            )
            continue
        field_id = f"set-{field.name}"
        value = shown(field, getattr(merged, field.name))
        error = errors.get(field.name, "")
        described = f"{field_id}-h" + (f" {field_id}-e" if error else "")
        common = f'id="{field_id}" name="value" aria-describedby="{described}"'
        if error:
            common += ' aria-invalid="true"'
        if field.kind == "choice":
            options = "".join(
                f'<option value="{e(o)}"{" selected" if o == value else ""}>{e(o)}</option>'
                for o in field.options
            )
            control = f"<select {common}>{options}</select>"
        else:
            mode = ' inputmode="decimal"' if field.kind == "number" else ""
            control = f'<input type="text" {common} value="{e(value)}"{mode}>'
        kind = type_name(hints[field.name])
        if field.kind == "choice" and field.options != ("true", "false"):
            kind = "one of " + ", ".join(field.options)
        where = "changed in this server" if field.name in changed else "the bot's default"
        owner_note = " Only the bot's owner may change it." if field.owner_only else ""
        help_text = f"{field.help} ({kind}; now {where}).{owner_note}"
        if field.kind == "toml":
            help_text += ' Written as TOML, e.g. ["a", "b"].'
        error_html = (
            f'<p class="error" id="{field_id}-e" role="alert">{e(error)}</p>' if error else ""
        )
        parts.append(
            f'<form method="post" action="{e(action)}"><fieldset><legend>{e(field.name)}</legend>'
            f"{csrf_field(session)}"
            f'<input type="hidden" name="key" value="{e(field.name)}">'
            f'<label for="{field_id}">Value of {e(field.name)}</label>{control}'
            f'<p class="hint" id="{field_id}-h">{e(help_text)}</p>{error_html}'
            '<div class="row"><button name="action" value="save">Save</button>'
            '<button class="quiet" name="action" value="reset">Back to the default</button></div>'
            "</fieldset></form>"
        )
    return "".join(parts)
