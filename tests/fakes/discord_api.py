"""A fake Discord REST API and gateway on 127.0.0.1 that a real discord.py client can talk to.

Only the network edge is faked: discord.py's own HTTP client, gateway websocket, state cache,
interaction objects and command tree run unchanged. Tests redirect discord.py with
:func:`redirect_discord` (process-global class attributes, so only ever inside a fixture).

What it serves:
  * REST: login (``GET /users/@me``), application info, ``/gateway(/bot)``, command bulk overwrite,
    interaction callbacks (message, deferred, modal, update), webhook follow-ups and edits of the
    original response, channel messages (JSON or multipart with files), DM channel creation,
    leaving a guild. Anything else answers 404 and is recorded.
  * Nonces, as Discord documents them for Create Message: a ``nonce`` longer than 25 characters
    is a 400; with ``enforce_nonce`` a nonce the bot already used within the last
    ``nonce_window`` seconds creates nothing and answers with the message it made the first
    time (:attr:`FakeDiscord.nonce_repeats` counts those).
  * Gateway: HELLO, heartbeat ACKs, IDENTIFY → READY + GUILD_CREATE for every guild, then
    whatever the test dispatches (``INTERACTION_CREATE``, ``GUILD_DELETE``, …).
  * Faults: :meth:`FakeDiscord.fail_next` scripts a 429 (with ``retry_after``), 403 or 404 for the
    next matching request(s).

Payload builders (:func:`slash_payload`, :func:`component_payload`, :func:`modal_submit_payload`,
:func:`autocomplete_payload`) produce the raw interaction dicts Discord sends, usable both through
the gateway and to build ``discord.Interaction`` objects in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import yarl
from aiohttp import web

API_PREFIX = "/api/v10"
# Discord: "checked for uniqueness in the past few minutes"; the exact window is not published.
NONCE_WINDOW_SECONDS = 300.0
NONCE_MAX_LENGTH = 25
APPLICATION_ID = 900000000000000001
BOT_USER_ID = APPLICATION_ID
_snowflakes = itertools.count(1_100_000_000_000_000_000)


def snowflake() -> int:
    """A fresh, increasing Discord id."""
    return next(_snowflakes)


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT_USER = user_payload(BOT_USER_ID, "marginwatch", bot=True)

# Discord permission bits used by tests.
MANAGE_GUILD = 1 << 5
SEND_MESSAGES = 1 << 11
EVERYONE_PERMISSIONS = (1 << 10) | SEND_MESSAGES | (1 << 31)  # view, send, use app commands


@dataclass
class FakeMember:
    user_id: int
    name: str
    roles: list[int] = field(default_factory=list)
    permissions: int = EVERYONE_PERMISSIONS

    def member_payload(self) -> dict[str, Any]:
        return {
            "user": user_payload(self.user_id, self.name),
            "roles": [str(r) for r in self.roles],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
        }


@dataclass
class FakeGuild:
    guild_id: int
    name: str
    owner_id: int
    channels: dict[str, int]  # channel name -> id (text channels)
    roles: dict[str, int]  # role name -> id (besides @everyone, whose id is the guild id)
    members: list[FakeMember]

    def channel(self, name: str) -> int:
        return self.channels[name]

    def member(self, name: str) -> FakeMember:
        return next(m for m in self.members if m.name == name)

    def payload(self) -> dict[str, Any]:
        roles = [_role_payload(self.guild_id, "@everyone", EVERYONE_PERMISSIONS, 0)]
        for position, (name, role_id) in enumerate(self.roles.items(), start=1):
            roles.append(_role_payload(role_id, name, EVERYONE_PERMISSIONS, position))
        members = [m.member_payload() for m in self.members]
        bot_member = FakeMember(BOT_USER_ID, "marginwatch").member_payload()
        members.append({**bot_member, "user": BOT_USER})
        return {
            "id": str(self.guild_id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner_id),
            "unavailable": False,
            "member_count": len(members),
            "large": False,
            "features": [],
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "members": members,
            "channels": [self.channel_payload(cid) for cid in self.channels.values()],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
            "joined_at": "2026-01-01T00:00:00+00:00",
        }

    def channel_payload(self, channel_id: int) -> dict[str, Any]:
        name = next(n for n, cid in self.channels.items() if cid == channel_id)
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }


def _role_payload(role_id: int, name: str, permissions: int, position: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


def make_guild(name: str = "Traders") -> FakeGuild:
    """A guild with an owner (has Manage Server), a moderator role, a member and two channels."""
    guild_id = snowflake()
    owner = FakeMember(snowflake(), "owner", permissions=EVERYONE_PERMISSIONS | MANAGE_GUILD)
    mod_role = snowflake()
    return FakeGuild(
        guild_id=guild_id,
        name=name,
        owner_id=owner.user_id,
        channels={"general": snowflake(), "alerts": snowflake()},
        roles={"risk-desk": mod_role, "margin-alerts": snowflake()},
        members=[
            owner,
            FakeMember(snowflake(), "alice"),
            FakeMember(snowflake(), "deskmod", roles=[mod_role]),
        ],
    )


# ---------------------------------------------------------------- interaction payload builders


def _interaction_base(
    kind: int,
    data: dict[str, Any],
    *,
    guild: FakeGuild | None,
    member: FakeMember,
    channel_id: int | None,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    interaction_id = snowflake()
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(APPLICATION_ID),
        "type": kind,
        "data": data,
        "token": f"itoken-{interaction_id}",
        "version": 1,
        "locale": "en-US",
        "app_permissions": str(EVERYONE_PERMISSIONS),
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild.guild_id) if guild else "0"},
        "attachment_size_limit": 8 * 1024 * 1024,
    }
    if guild is not None:
        cid = channel_id if channel_id is not None else guild.channel("general")
        payload["guild_id"] = str(guild.guild_id)
        payload["guild_locale"] = "en-US"
        payload["channel_id"] = str(cid)
        payload["channel"] = guild.channel_payload(cid)
        payload["member"] = {**member.member_payload(), "permissions": str(member.permissions)}
        payload["context"] = 0
    else:
        cid = channel_id if channel_id is not None else snowflake()
        payload["channel_id"] = str(cid)
        payload["channel"] = {
            "id": str(cid),
            "type": 1,
            "recipients": [user_payload(member.user_id, member.name)],
        }
        payload["user"] = user_payload(member.user_id, member.name)
        payload["context"] = 1
    if message is not None:
        payload["message"] = message
    return payload


@dataclass(frozen=True)
class ChannelRef:
    """A channel option value: ``slash_payload`` adds it to the payload's resolved data."""

    guild: FakeGuild
    channel_id: int


@dataclass(frozen=True)
class MemberRef:
    """A user option value: ``slash_payload`` adds the member to the resolved data."""

    guild: FakeGuild
    member: FakeMember


@dataclass(frozen=True)
class RoleRef:
    """A role option value (``name="@everyone"`` for the default role)."""

    guild: FakeGuild
    name: str

    @property
    def role_id(self) -> int:
        return self.guild.guild_id if self.name == "@everyone" else self.guild.roles[self.name]


def _option_type(value: Any) -> int:
    if isinstance(value, RoleRef):
        return 8
    if isinstance(value, ChannelRef):
        return 7
    if isinstance(value, MemberRef):
        return 6
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


def slash_payload(
    path: str,
    options: dict[str, Any] | None = None,
    *,
    member: FakeMember,
    guild: FakeGuild | None = None,
    channel_id: int | None = None,
    focused: str | None = None,
    kind: int = 2,
) -> dict[str, Any]:
    """A CHAT_INPUT interaction for ``path`` (e.g. ``"margin status"``) with typed options.

    ``focused`` marks one option as the one being typed (autocomplete, ``kind=4``).
    """
    names = path.split()
    leaf_options = []
    resolved: dict[str, dict[str, Any]] = {}
    for name, value in (options or {}).items():
        raw = value
        if isinstance(value, ChannelRef):
            raw = str(value.channel_id)
            channel = value.guild.channel_payload(value.channel_id)
            resolved.setdefault("channels", {})[raw] = {**channel, "permissions": "0"}
        elif isinstance(value, RoleRef):
            raw = str(value.role_id)
            resolved.setdefault("roles", {})[raw] = _role_payload(
                value.role_id, value.name, EVERYONE_PERMISSIONS, 0
            )
        elif isinstance(value, MemberRef):
            raw = str(value.member.user_id)
            user = user_payload(value.member.user_id, value.member.name)
            resolved.setdefault("users", {})[raw] = user
            member_data = value.member.member_payload()
            del member_data["user"]
            resolved.setdefault("members", {})[raw] = {
                **member_data,
                "permissions": str(value.member.permissions),
            }
        opt: dict[str, Any] = {"name": name, "type": _option_type(value), "value": raw}
        if name == focused:
            opt["focused"] = True
            opt["type"] = 3
        leaf_options.append(opt)
    nested: list[dict[str, Any]] = leaf_options
    for sub in reversed(names[1:]):
        nested = [{"name": sub, "type": 1, "options": nested}]
    data: dict[str, Any] = {
        "id": str(snowflake()),
        "name": names[0],
        "type": 1,
        "options": nested,
    }
    if resolved:
        data["resolved"] = resolved
    if guild is not None:
        data["guild_id"] = str(guild.guild_id)
    return _interaction_base(kind, data, guild=guild, member=member, channel_id=channel_id)


def autocomplete_payload(path: str, options: dict[str, Any], focused: str, **kw: Any) -> dict:
    return slash_payload(path, options, focused=focused, kind=4, **kw)


def component_payload(
    custom_id: str,
    *,
    member: FakeMember,
    message: dict[str, Any],
    guild: FakeGuild | None = None,
    channel_id: int | None = None,
) -> dict[str, Any]:
    """A button press on ``message`` (a message payload the fake recorded)."""
    data = {"custom_id": custom_id, "component_type": 2}
    return _interaction_base(
        3, data, guild=guild, member=member, channel_id=channel_id, message=message
    )


def modal_submit_payload(
    custom_id: str,
    values: dict[str, str],
    *,
    member: FakeMember,
    guild: FakeGuild | None = None,
    channel_id: int | None = None,
) -> dict[str, Any]:
    """A modal submission; ``values`` maps each text input's custom_id to what was typed."""
    components = [
        {"type": 1, "components": [{"type": 4, "custom_id": cid, "value": value}]}
        for cid, value in values.items()
    ]
    data = {"custom_id": custom_id, "components": components}
    return _interaction_base(5, data, guild=guild, member=member, channel_id=channel_id)


# ---------------------------------------------------------------- the server


@dataclass
class Recorded:
    """One request the bot made."""

    method: str
    path: str  # without the /api/v10 prefix
    body: Any  # parsed JSON (or payload_json of a multipart request)
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (filename, content)
    status: int = 200

    @property
    def content(self) -> str | None:
        body = self.body if isinstance(self.body, dict) else {}
        data = body.get("data", body) if "type" in body and "data" in body else body
        return data.get("content") if isinstance(data, dict) else None

    @property
    def message(self) -> dict[str, Any]:
        """The message part of the request: callback ``data`` or the body itself."""
        body = self.body if isinstance(self.body, dict) else {}
        if "type" in body and isinstance(body.get("data"), dict):
            return body["data"]
        return body

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.message.get("flags") or 0) & 64)


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    retry_after: float | None
    times: int


class FakeDiscord:
    """The fake server. ``async with FakeDiscord() as fake:`` starts it on a random port."""

    def __init__(
        self, guilds: list[FakeGuild] | None = None, *, nonce_window: float = NONCE_WINDOW_SECONDS
    ) -> None:
        self.guilds: list[FakeGuild] = guilds if guilds is not None else [make_guild()]
        self.nonce_window = nonce_window
        self.nonces: dict[str, tuple[float, dict[str, Any]]] = {}  # nonce -> (when, message)
        self.nonce_repeats = 0  # creates answered with an existing message (enforce_nonce)
        self.requests: list[Recorded] = []
        self.commands: list[dict[str, Any]] = []
        self.command_puts = 0
        self.messages: dict[int, dict[str, Any]] = {}  # message id -> payload sent back
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.left_guilds: list[int] = []
        self.identified = asyncio.Event()
        self.heartbeats = 0
        self.token_seen: str | None = None
        self.port = 0
        self._faults: list[_Fault] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = 0
        self._new_request = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    # -- lifecycle

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- test-side controls

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (429 carries retry_after)."""
        self._faults.append(
            _Fault(method.upper(), re.compile(path_regex), status, retry_after, times)
        )

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH event to every connected gateway client."""
        self._sequence += 1
        frame = {"op": 0, "t": event, "s": self._sequence, "d": data}
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_str(json.dumps(frame))

    async def interact(self, payload: dict[str, Any]) -> None:
        await self.dispatch("INTERACTION_CREATE", payload)

    async def post(
        self, guild: FakeGuild, channel: str, member: FakeMember, content: str
    ) -> dict[str, Any]:
        """A member writes ``content`` in a channel: MESSAGE_CREATE to the bot."""
        message = {
            **self.store_message(guild.channel(channel), {"content": content}, []),
            "author": user_payload(member.user_id, member.name),
            "guild_id": str(guild.guild_id),
            "member": {k: v for k, v in member.member_payload().items() if k != "user"},
        }
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    async def remove_from_guild(self, guild: FakeGuild) -> None:
        """The bot was kicked or the guild deleted: GUILD_DELETE without ``unavailable``."""
        await self.dispatch("GUILD_DELETE", {"id": str(guild.guild_id)})

    def find(self, method: str, path_regex: str) -> list[Recorded]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if method in ("*", r.method) and pattern.search(r.path)]

    async def wait_for(
        self,
        method: str,
        path_regex: str,
        *,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[Recorded], bool] | None = None,
    ) -> list[Recorded]:
        """Wait until ``count`` matching requests were seen; return all matches."""

        def matches() -> list[Recorded]:
            found = self.find(method, path_regex)
            return [r for r in found if where is None or where(r)]

        async def wait() -> list[Recorded]:
            async with self._new_request:
                await self._new_request.wait_for(lambda: len(matches()) >= count)
            return matches()

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            seen = "\n  ".join(f"{r.method} {r.path} {r.status}" for r in self.requests)
            raise AssertionError(
                f"no {count}× {method} {path_regex} within {timeout}s; seen:\n  {seen}"
            ) from None

    def last_message_with_buttons(self) -> dict[str, Any]:
        return [m for m in self.messages.values() if m["components"]][-1]

    def callbacks_for(self, payload: dict[str, Any]) -> list[Recorded]:
        """Everything the bot sent in answer to one interaction (callback, follow-ups, edits)."""
        iid, token = payload["id"], payload["token"]
        return [
            r
            for r in self.requests
            if f"/interactions/{iid}/{token}/" in r.path or f"/{token}" in r.path
        ]

    async def answer(
        self,
        payload: dict[str, Any],
        *,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Recorded]:
        """Dispatch an interaction and wait for ``count`` requests answering it."""
        await self.interact(payload)
        token = payload["token"]
        return await self.wait_for("*", re.escape(token), count=count, timeout=timeout)

    # -- REST

    async def _record(self, rec: Recorded) -> None:
        self.requests.append(rec)
        async with self._new_request:
            self._new_request.notify_all()

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method in (method, "*") and fault.pattern.search(path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        if request.content_type.startswith("multipart/"):
            body: Any = None
            files: list[tuple[str, bytes]] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append((part.filename or "", await part.read()))  # type: ignore[union-attr]
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode(errors="replace"), []

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        method = request.method
        body, files = await self._read_body(request)
        rec = Recorded(method, path, body, files)
        if method == "GET" and path == "/users/@me":
            self.token_seen = request.headers.get("Authorization")
        fault = self._take_fault(method, path)
        if fault is not None:
            rec.status = fault.status
            await self._record(rec)
            return _fault_response(fault)
        status, answer = self._route(method, path, body, files)
        rec.status = status
        await self._record(rec)
        if answer is None:
            return web.Response(status=204)
        return _json(answer, status=status)

    def _route(self, method: str, path: str, body: Any, files: list) -> tuple[int, Any]:
        m = re.fullmatch
        if method == "GET" and path == "/users/@me":
            return 200, BOT_USER
        if method == "GET" and path == "/oauth2/applications/@me":
            return 200, _application_payload()
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return 200, {
                "url": f"ws://127.0.0.1:{self.port}/gateway",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        if m(r"/applications/\d+/commands", path):
            if method == "PUT":
                self.command_puts += 1
                self.commands = [
                    {
                        **cmd,
                        "id": str(snowflake()),
                        "application_id": str(APPLICATION_ID),
                        "version": str(snowflake()),
                    }
                    for cmd in body
                ]
            return 200, self.commands
        if method == "POST" and m(r"/interactions/\d+/[^/]+/callback", path):
            return 200, self._callback(path, body, files)
        if m(r"/webhooks/\d+/[^/]+/messages/(@original|\d+)", path):
            if method == "DELETE":
                return 204, None
            return 200, self.store_message(None, body or {}, files)
        if method == "POST" and m(r"/webhooks/\d+/[^/]+", path):
            return 200, self.store_message(None, body or {}, files)
        if method == "POST" and path == "/users/@me/channels":
            user_id = int(body["recipient_id"])
            channel_id = self.dm_channels.setdefault(user_id, snowflake())
            user = next(
                (
                    user_payload(mem.user_id, mem.name)
                    for g in self.guilds
                    for mem in g.members
                    if mem.user_id == user_id
                ),
                user_payload(user_id, f"user{user_id}"),
            )
            return 200, {
                "id": str(channel_id),
                "type": 1,
                "recipients": [user],
                "last_message_id": None,
            }
        channel = m(r"/channels/(\d+)/messages", path)
        if method == "POST" and channel:
            return self._create_message(int(channel.group(1)), body or {}, files)
        deleted = m(r"/channels/(\d+)/messages/(\d+)", path)
        if method == "DELETE" and deleted:
            self.messages.pop(int(deleted.group(2)), None)
            return 204, None
        channel = m(r"/channels/(\d+)", path)
        if method == "GET" and channel:
            cid = int(channel.group(1))
            for guild in self.guilds:
                if cid in guild.channels.values():
                    return 200, guild.channel_payload(cid)
            return 404, {"message": "Unknown Channel", "code": 10003}
        user = m(r"/users/(\d+)", path)
        if method == "GET" and user:
            user_id = int(user.group(1))
            for guild in self.guilds:
                for mem in guild.members:
                    if mem.user_id == user_id:
                        return 200, user_payload(mem.user_id, mem.name)
            return 404, {"message": "Unknown User", "code": 10013}
        left = m(r"/users/@me/guilds/(\d+)", path)
        if method == "DELETE" and left:
            self.left_guilds.append(int(left.group(1)))
            return 204, None
        return 404, {"message": f"fake Discord does not serve {method} {path}", "code": 0}

    def _create_message(
        self, channel_id: int, body: dict[str, Any], files: list
    ) -> tuple[int, dict[str, Any]]:
        """Create Message, with Discord's nonce rules (the bot is the only author here)."""
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > NONCE_MAX_LENGTH:
            return 400, {
                "code": 50035,
                "message": "Invalid Form Body",
                "errors": {
                    "nonce": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_MAX_LENGTH",
                                "message": f"Must be {NONCE_MAX_LENGTH} or fewer in length.",
                            }
                        ]
                    }
                },
            }
        now = time.monotonic()
        if nonce is not None and body.get("enforce_nonce"):
            seen = self.nonces.get(str(nonce))
            if seen is not None and now - seen[0] < self.nonce_window:
                self.nonce_repeats += 1
                return 200, seen[1]
        message = self.store_message(channel_id, body, files)
        if nonce is not None:
            message["nonce"] = str(nonce)
            self.nonces[str(nonce)] = (now, message)
        return 200, message

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """The messages the bot created in a channel (DM or guild), oldest first."""
        return [m for m in self.messages.values() if m["channel_id"] == str(channel_id)]

    def store_message(self, channel_id: int | None, body: dict[str, Any], files: list) -> dict:
        """Keep a message as Discord would show it (also usable to plant an old message)."""
        message_id = snowflake()
        cid = channel_id or 0
        message = {
            "id": str(message_id),
            "channel_id": str(cid),
            "author": BOT_USER,
            "content": body.get("content") or "",
            "timestamp": "2026-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(snowflake()),
                    "filename": name,
                    "size": len(data),
                    "url": f"http://127.0.0.1:{self.port}/a/{name}",
                    "proxy_url": f"http://127.0.0.1:{self.port}/a/{name}",
                }
                for name, data in files
            ],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags") or 0,
        }
        self.messages[message_id] = message
        return message

    def _callback(self, path: str, body: dict[str, Any], files: list) -> dict[str, Any]:
        interaction_id = path.split("/")[2]
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        result: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
            }
        }
        if kind in (4, 5, 7):
            message = self.store_message(None, data, files)
            result["interaction"]["response_message_id"] = message["id"]
            result["resource"] = {"type": kind, "message": message}
        else:
            result["resource"] = {"type": kind}
        return result

    # -- gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 40_000}}))
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    self.heartbeats += 1
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    await self._ready(ws)
                elif op == 6:  # RESUME: we keep no sessions; ask for a fresh IDENTIFY
                    await ws.send_str(json.dumps({"op": 9, "d": False}))
        finally:
            with contextlib.suppress(ValueError):
                self._sockets.remove(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        self._sequence += 1
        ready = {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": str(g.guild_id), "unavailable": True} for g in self.guilds],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "shard": [0, 1],
            "application": {"id": str(APPLICATION_ID), "flags": 0},
        }
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": self._sequence, "d": ready}))
        for guild in self.guilds:
            self._sequence += 1
            await ws.send_str(
                json.dumps(
                    {"op": 0, "t": "GUILD_CREATE", "s": self._sequence, "d": guild.payload()}
                )
            )
        self.identified.set()


def _application_payload() -> dict[str, Any]:
    return {
        "id": str(APPLICATION_ID),
        "name": "marginwatch",
        "icon": None,
        "description": "",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user_payload(snowflake(), "appowner"),
        "summary": "",
        "verify_key": "0" * 64,
        "flags": 0,
        "team": None,
        "interactions_endpoint_url": None,
    }


def _json(data: Any, *, status: int = 200) -> web.Response:
    # discord.py parses JSON only when Content-Type is exactly application/json (no charset).
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


def _fault_response(fault: _Fault) -> web.Response:
    if fault.status == 429:
        retry = fault.retry_after if fault.retry_after is not None else 0.05
        body = {"message": "You are being rate limited.", "retry_after": retry, "global": False}
        resp = _json(body, status=429)
        # Without Via discord.py assumes a Cloudflare ban and gives up at once.
        resp.headers["Via"] = "1.1 google"
        resp.headers["Retry-After"] = str(retry)
        resp.headers["X-RateLimit-Scope"] = "user"
        return resp
    messages = {
        403: ("Missing Access", 50001),
        404: ("Unknown Channel", 10003),
        401: ("401: Unauthorized", 0),
    }
    text, code = messages.get(fault.status, ("fault", 0))
    return _json({"message": text, "code": code}, status=fault.status)


@contextlib.contextmanager
def redirect_discord(fake: FakeDiscord) -> Iterator[None]:
    """Point discord.py's REST routes and gateway at ``fake`` for the duration of the block."""
    import discord.gateway
    import discord.http

    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway
