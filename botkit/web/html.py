"""The console's HTML: one layout, escaped everywhere, no script, readable at 375 px."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from botkit.web.tokens import Session

STYLE = """
*{box-sizing:border-box}
body{font:16px/1.45 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header,main,footer{max-width:60rem;margin:0 auto;padding:.75rem 1rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;border-bottom:1px solid #ccc}
header .who{margin-left:auto}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
a{color:#0645ad}
a:focus,button:focus,input:focus,select:focus{outline:3px solid #f90;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.2rem;margin:1.25rem 0 .5rem}
.wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
form.inline{display:inline}
fieldset{border:1px solid #ccc;margin:.75rem 0;padding:.5rem .75rem}
label{display:block;font-weight:600;margin:.5rem 0 .15rem}
input,select,button{font:inherit;padding:.35rem .5rem;max-width:100%}
input[type=text],textarea{width:100%;font:inherit}
button{background:#0b5394;color:#fff;border:0;border-radius:4px;padding:.4rem .9rem;cursor:pointer}
button.quiet{background:#666}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-start}
.row>div{flex:1 1 10rem}
.note{padding:.5rem .75rem;border-left:4px solid #2b8a3e;background:#ebfbee}
.error{padding:.5rem .75rem;border-left:4px solid #c92a2a;background:#fff5f5}
.hint{color:#555;font-size:.9rem;margin:.1rem 0}
.ok{color:#2b8a3e}.bad{color:#c92a2a}
svg.chart{width:100%;height:auto;max-width:40rem;font-size:11px}
svg.chart rect{fill:#0b5394}svg.chart .grid{stroke:#ddd}svg.chart .axis{stroke:#333}
svg.chart .line{fill:none;stroke:#0b5394;stroke-width:2}
svg.chart .ct{font-size:14px;font-weight:600}
"""


def e(value: object) -> str:
    """``value`` as HTML text."""
    return escape(str(value), quote=True)


def space_url(space: str, page: str = "") -> str:
    return f"/s/{quote(space, safe='')}/{page}"


def csrf_field(session: Session) -> str:
    return f'<input type="hidden" name="csrf" value="{e(session.csrf)}">'


def notice(text: str, error: bool = False) -> str:
    if not text:
        return ""
    role = 'role="alert"' if error else 'role="status"'
    return f'<p class="{"error" if error else "note"}" {role}>{e(text)}</p>'


def layout(
    title: str,
    body: str,
    session: Session | None = None,
    space: str | None = None,
    current: str = "",
    more: Iterable[tuple[str, str]] = (),
) -> str:
    """A whole page: skip link, header with sign-out, the server's pages as navigation
    (``more``: plugins' pages, as (path under the server, label))."""
    nav = ""
    if session is not None and space is not None:
        items = [("", "Overview"), ("plugins", "Plugins"), ("rules", "Rules"), ("usage", "Usage")]
        items += list(more)
        links = "".join(
            f'<li><a href="{space_url(space, page)}"'
            + (' aria-current="page"' if page == current else "")
            + f">{e(label)}</a></li>"
            for page, label in items
        )
        nav = f'<nav aria-label="Server pages"><ul>{links}</ul></nav>'
    who = ""
    if session is not None:
        grant = session.grant
        role = "owner" if grant.owner else "admin"
        who = (
            f'<div class="who">{e(grant.name or grant.user_id)} ({role}) '
            f'<form class="inline" method="post" action="/logout">{csrf_field(session)}'
            '<button class="quiet">Sign out</button></form></div>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)} · botkit</title><style>{STYLE}</style></head><body>"
        '<a class="skip" href="#main">Skip to content</a>'
        f'<header><a href="/"><strong>botkit</strong></a>{nav}{who}</header>'
        f'<main id="main"><h1>{e(title)}</h1>{body}</main></body></html>'
    )


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], caption: str) -> str:
    """A table whose cells are already HTML."""
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<div class="wrap"><table><caption class="hint">{e(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def choice(
    name: str, label: str, options: Iterable[str], chosen: str = "", hint: str = "", form: str = "f"
) -> str:
    field_id = f"{form}-{name}"
    opts = "".join(
        f'<option value="{e(o)}"{" selected" if o == chosen else ""}>{e(o)}</option>'
        for o in options
    )
    described = f' aria-describedby="{field_id}-h"' if hint else ""
    help_text = f'<p class="hint" id="{field_id}-h">{e(hint)}</p>' if hint else ""
    return (
        f'<div><label for="{field_id}">{e(label)}</label>'
        f'<select id="{field_id}" name="{e(name)}"{described}>{opts}</select>{help_text}</div>'
    )


def text_input(
    name: str,
    label: str,
    value: str = "",
    hint: str = "",
    required: bool = False,
    form: str = "f",
) -> str:
    field_id = f"{form}-{name}"
    described = f' aria-describedby="{field_id}-h"' if hint else ""
    help_text = f'<p class="hint" id="{field_id}-h">{e(hint)}</p>' if hint else ""
    return (
        f'<div><label for="{field_id}">{e(label)}</label>'
        f'<input type="text" id="{field_id}" name="{e(name)}" value="{e(value)}"'
        f"{' required' if required else ''}{described}>{help_text}</div>"
    )
