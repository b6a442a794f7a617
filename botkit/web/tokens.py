"""One-time sign-in links and signed session cookies of the web console.

Both live in the host's ``botkit_guild_settings`` table (plugin ``botkit.web``), so a link that
``botkit web-login`` writes from another process is accepted by the running bot. Only a hash of
a link's token and of a session's id is stored: reading the database gives no way in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from botkit.storage import Storage

ROWS = "botkit.web"  # the ``plugin`` column of every row written here
LINK_SECONDS = 600.0  # a sign-in link is good for 10 minutes, once
SECRET_KEY = "secret"


@attrs.frozen
class Grant:
    """Who a link or a session is for, and what they may see: everything (the bot's owner)
    or the servers they administer."""

    user_id: str
    name: str
    owner: bool = False
    spaces: tuple[str, ...] = ()

    def may_see(self, space: str) -> bool:
        return self.owner or space in self.spaces

    def merged(self, other: Grant) -> Grant:
        """This grant with ``other``'s servers added (the same person signing in again)."""
        spaces = tuple(dict.fromkeys((*self.spaces, *other.spaces)))
        return attrs.evolve(self, owner=self.owner or other.owner, spaces=spaces)

    def to_json(self) -> dict[str, Any]:
        return {**attrs.asdict(self), "spaces": list(self.spaces)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Grant:
        return cls(
            user_id=str(data["user_id"]),
            name=str(data.get("name", "")),
            owner=bool(data.get("owner")),
            spaces=tuple(str(s) for s in data.get("spaces", ())),
        )


@attrs.frozen
class Session:
    """A signed-in browser: who, until when, and the token every form must carry."""

    id: str
    grant: Grant
    csrf: str
    expires: float

    def csrf_ok(self, sent: str | None) -> bool:
        return bool(sent) and hmac.compare_digest(sent or "", self.csrf)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Vault:
    """Issues and redeems sign-in links; opens, finds and closes sessions."""

    def __init__(self, storage: Callable[[], Storage], wall_clock: Callable[[], float]) -> None:
        self._storage = storage
        self.wall_clock = wall_clock
        self._secret = b""

    # --- rows ---

    async def _get(self, key: str) -> Any:
        return await self._storage().get_setting(ROWS, "", key, None)

    async def _put(self, key: str, value: Any) -> None:
        await self._storage().set_setting(ROWS, "", key, value)

    async def _take(self, key: str) -> Any:
        """The row's value, deleted in the same transaction; None when another request took
        it first (only one DELETE of a row reports it)."""
        from sqlalchemy import delete, select

        from botkit.storage import guild_settings

        where = (
            guild_settings.c.plugin == ROWS,
            guild_settings.c.guild_id == "",
            guild_settings.c.key == key,
        )
        async with self._storage().session.begin() as session:
            value = (await session.execute(select(guild_settings.c.value).where(*where))).scalar()
            if value is None:
                return None
            gone = await session.execute(delete(guild_settings).where(*where))
        return json.loads(value) if gone.rowcount == 1 else None

    async def _forget_expired(self, prefix: str) -> None:
        from sqlalchemy import delete, select

        from botkit.storage import guild_settings

        now = self.wall_clock()
        query = select(guild_settings.c.key, guild_settings.c.value).where(
            guild_settings.c.plugin == ROWS, guild_settings.c.key.startswith(prefix)
        )
        async with self._storage().session.begin() as session:
            rows = (await session.execute(query)).all()
            old = [key for key, value in rows if json.loads(value).get("expires", 0) <= now]
            if old:
                await session.execute(
                    delete(guild_settings).where(
                        guild_settings.c.plugin == ROWS, guild_settings.c.key.in_(old)
                    )
                )

    # --- sign-in links ---

    async def issue(self, grant: Grant) -> str:
        """A new one-time token for ``grant``, good for :data:`LINK_SECONDS`."""
        await self._forget_expired("login:")
        token = secrets.token_urlsafe(32)
        expires = self.wall_clock() + LINK_SECONDS
        await self._put(f"login:{digest(token)}", {"grant": grant.to_json(), "expires": expires})
        return token

    async def usable(self, token: str) -> bool:
        """Whether ``token`` would sign someone in now (it is not used up by asking)."""
        found = await self._get(f"login:{digest(token)}") if _plausible(token) else None
        return found is not None and found["expires"] > self.wall_clock()

    async def redeem(self, token: str) -> Grant | None:
        """The grant of an unused, unexpired token, which can never be used again."""
        if not _plausible(token):
            return None
        found = await self._take(f"login:{digest(token)}")
        if found is None or found["expires"] <= self.wall_clock():
            return None
        return Grant.from_json(found["grant"])

    # --- sessions ---

    async def load_secret(self) -> None:
        """The key that signs session cookies: made once, kept in the database."""
        stored = await self._get(SECRET_KEY)
        if not stored:
            stored = secrets.token_hex(32)
            await self._put(SECRET_KEY, stored)
        self._secret = bytes.fromhex(stored)

    def sign(self, session_id: str) -> str:
        mac = hmac.new(self._secret, session_id.encode(), hashlib.sha256).digest()
        return f"{session_id}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def unsign(self, cookie: str) -> str | None:
        session_id, _, _ = cookie.partition(".")
        if not self._secret or not session_id or len(cookie) > 200:
            return None
        return session_id if hmac.compare_digest(self.sign(session_id), cookie) else None

    async def open(self, grant: Grant, seconds: float) -> tuple[Session, str]:
        """A new session and its signed cookie value."""
        session = Session(
            id=secrets.token_urlsafe(32),
            grant=grant,
            csrf=secrets.token_urlsafe(32),
            expires=self.wall_clock() + seconds,
        )
        await self._forget_expired("session:")
        row = {"grant": grant.to_json(), "csrf": session.csrf, "expires": session.expires}
        await self._put(f"session:{digest(session.id)}", row)
        return session, self.sign(session.id)

    async def find(self, cookie: str | None) -> Session | None:
        """The live session a cookie names; None when it is forged, expired or signed out."""
        session_id = self.unsign(cookie) if cookie else None
        if session_id is None:
            return None
        row = await self._get(f"session:{digest(session_id)}")
        if row is None or row["expires"] <= self.wall_clock():
            return None
        return Session(session_id, Grant.from_json(row["grant"]), row["csrf"], row["expires"])

    async def close(self, session: Session) -> None:
        """Sign out: the cookie names nothing any more."""
        await self._take(f"session:{digest(session.id)}")


def _plausible(token: str) -> bool:
    return 20 <= len(token) <= 100 and all(c.isalnum() or c in "-_" for c in token)
