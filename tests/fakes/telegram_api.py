"""A fake Telegram Bot API on 127.0.0.1 (aiohttp) that the real python-telegram-bot client talks to.

The state machine (`FakeTelegramAPI`) answers Bot API methods as plain Python; `serve()` puts it
behind HTTP for end-to-end tests (real updater, real httpx), and `InProcessRequest` lets handler
tests call it without any socket. Tests inject what users do (messages, commands, button presses),
read what the bot sent per chat, and script faults (429 + retry_after, 403 blocked, chat migrated).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from aiohttp import web
from telegram.request import BaseRequest, RequestData

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
BOT_ID = 123456
BOT_USERNAME = "marginwatch_test_bot"

# What Telegram accepts with parse_mode=HTML (https://core.telegram.org/bots/api#html-style).
_HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"</?[a-z][a-z-]*(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


class BotApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional `parameters`."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def too_many_requests(retry_after: int = 1) -> BotApiError:
    return BotApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def forbidden(description: str = "bot was blocked by the user") -> BotApiError:
    return BotApiError(403, f"Forbidden: {description}")


def chat_migrated(new_chat_id: int) -> BotApiError:
    return BotApiError(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": new_chat_id},
    )


@dataclass
class Fault:
    """A scripted failure: the next call of `method` (to `chat_id`, if set) fails with `error`."""

    method: str
    error: BotApiError
    chat_id: int | None = None
    times: int = 1


@dataclass
class Call:
    """One Bot API call as the fake received it."""

    method: str
    params: dict[str, Any]
    at: float
    failed: BotApiError | None = None


@dataclass
class ChatMessage:
    """A message in a chat, from a user or from the bot, with its later edits and deletion."""

    chat_id: int
    message_id: int
    from_bot: bool
    text: str  # as shown to the user (HTML tags stripped, entities decoded)
    raw: str = ""  # exactly what the bot sent (HTML source)
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    disable_notification: bool = False
    message_thread_id: int | None = None
    photo: bytes | None = None
    deleted: bool = False
    edits: int = 0
    sender_id: int | None = None

    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


class _TelegramHTML(HTMLParser):
    """Checks HTML the way Telegram does (only its tags, balanced) and collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.visible: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = f'Unexpected end tag "{tag}"'
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def html_to_visible(text: str) -> str:
    """The text a user sees for an HTML message; raises the Bot API's 400 if Telegram would."""
    # A bare '<', '>' or '&' outside a tag or entity is rejected by Telegram: escaping is required.
    leftover = _ENTITY.sub("", _TAG.sub("", text))
    for char in "<>&":
        if char in leftover:
            position = leftover.index(char)
            near = leftover[max(0, position - 10) : position + 10]
            raise BotApiError(
                400, f"Bad Request: can't parse entities: unescaped {char!r} near {near!r}"
            )
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.stack and not parser.error:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    if parser.error:
        raise BotApiError(400, f"Bad Request: can't parse entities: {parser.error}")
    return "".join(parser.visible)


class FakeTelegramAPI:
    """The Bot API state: chats, messages, pending updates, members, commands, scripted faults."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "marginwatch",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, list[ChatMessage]] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.unknown_methods: list[str] = []
        self.faults: list[Fault] = []
        self.blocked_by: set[int] = set()
        self.migrated: dict[int, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._poll_waiters: list[asyncio.Event] = []
        self._closing = False
        self.base_url = "http://fake.invalid/bot"  # replaced by serve()
        self.base_file_url = "http://fake.invalid/file/bot"

    # ---- what the test does ------------------------------------------------------------------

    def user(
        self, user_id: int, first_name: str = "Trader", username: str | None = None
    ) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        self.users[user_id] = user
        return user

    def private_chat(self, user_id: int) -> dict[str, Any]:
        user = self.users.get(user_id) or self.user(user_id)
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        self.chats[user_id] = chat
        return chat

    def group(self, chat_id: int, title: str = "Traders", *, forum: bool = False) -> dict[str, Any]:
        chat: dict[str, Any] = {
            "id": chat_id,
            "type": "supergroup" if chat_id < -(10**12) else "group",
            "title": title,
        }
        if forum:
            chat["is_forum"] = True
        self.chats[chat_id] = chat
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """status: creator, administrator, member, left, kicked."""
        self.members[(chat_id, user_id)] = status

    def user_says(
        self, user_id: int, chat_id: int, text: str, *, message_thread_id: int | None = None
    ) -> int:
        """Queue an incoming text message (a command when it starts with '/'); its message_id."""
        user = self.users.get(user_id) or self.user(user_id)
        chat = self.chats.get(chat_id) or (
            self.private_chat(user_id) if chat_id == user_id else self.group(chat_id)
        )
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if message_thread_id is not None:
            message["message_thread_id"] = message_thread_id
            message["is_topic_message"] = True
        self._store(
            ChatMessage(
                chat_id,
                message_id,
                False,
                text,
                raw=text,
                sender_id=user_id,
                message_thread_id=message_thread_id,
            )
        )
        self._push_update({"message": message})
        return message_id

    def user_edits(self, user_id: int, chat_id: int, message_id: int, text: str) -> None:
        """Queue an edit of a user's earlier message to ``text``."""
        original = self.message(chat_id, message_id)
        original.text = original.raw = text
        self._push_update(
            {
                "edited_message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "edit_date": int(time.time()),
                    "chat": self.chats[chat_id],
                    "from": self.users[user_id],
                    "text": text,
                }
            }
        )

    def user_presses(self, user_id: int, message: ChatMessage, callback_data: str) -> str:
        """Queue a button press on one of the bot's messages; returns the callback query id."""
        user = self.users.get(user_id) or self.user(user_id)
        query_id = str(next(self._callback_ids))
        self._push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "chat_instance": str(message.chat_id),
                    "data": callback_data,
                    "message": self._message_json(message),
                }
            }
        )
        return query_id

    def group_upgraded(self, user_id: int, old_chat_id: int, new_chat_id: int) -> None:
        """The group became a supergroup: the old id refuses messages, a service note says so."""
        old = self.chats[old_chat_id]
        self.group(new_chat_id, old.get("title", "Group"), forum=bool(old.get("is_forum")))
        self.migrated[old_chat_id] = new_chat_id
        message_id = next(self._message_ids)
        self._push_update(
            {
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": old,
                    "from": self.users.get(user_id) or self.user(user_id),
                    "migrate_to_chat_id": new_chat_id,
                }
            }
        )

    def bot_removed(self, by_user_id: int, chat_id: int, status: str = "kicked") -> None:
        """Someone removed the bot from a group: Telegram sends the bot a my_chat_member."""
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "marginwatch", "username": BOT_USERNAME}
        self._push_update(
            {
                "my_chat_member": {
                    "chat": self.chats[chat_id],
                    "from": self.users.get(by_user_id) or self.user(by_user_id),
                    "date": int(time.time()),
                    "old_chat_member": {"status": "member", "user": bot},
                    "new_chat_member": {
                        "status": status,
                        "user": bot,
                        **({"until_date": 0} if status == "kicked" else {}),
                    },
                }
            }
        )

    def fail_next(
        self, method: str, error: BotApiError, *, chat_id: int | None = None, times: int = 1
    ) -> None:
        self.faults.append(Fault(method, error, chat_id, times))

    def take_updates(self) -> list[dict[str, Any]]:
        """Pending updates, removed from the queue (handler tests feed them to process_update)."""
        updates, self._updates = self._updates, []
        return updates

    def sent(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        """What the bot sent to a chat, oldest first."""
        return [
            m
            for m in self.messages.get(chat_id, [])
            if m.from_bot and (include_deleted or not m.deleted)
        ]

    def message(self, chat_id: int, message_id: int) -> ChatMessage:
        for message in self.messages.get(chat_id, []):
            if message.message_id == message_id:
                return message
        raise KeyError(f"no message {message_id} in chat {chat_id}")

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_until(self, condition: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until condition() is truthy (re-checked after every call/update); returns it."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            result = condition()
            if result:
                return result
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for the bot; "
                    f"last calls: {[c.method for c in self.calls[-8:]]}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def wait_for_message(
        self, chat_id: int, *, after: int = 0, contains: str | None = None, timeout: float = 5.0
    ) -> ChatMessage:
        """The first bot message in chat_id with message_id > after (and containing text)."""

        def find() -> ChatMessage | None:
            for message in self.sent(chat_id, include_deleted=True):
                if message.message_id > after and (contains is None or contains in message.text):
                    return message
            return None

        return await self.wait_until(find, timeout)

    def last_message_id(self) -> int:
        """The highest message id handed out so far, to wait for messages that come after."""
        ids = [m.message_id for msgs in self.messages.values() for m in msgs]
        return max(ids, default=0)

    # ---- the Bot API -------------------------------------------------------------------------

    async def call(
        self, method: str, params: dict[str, Any], files: dict[str, bytes]
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call: (HTTP status, JSON body)."""
        record = Call(method, params, time.monotonic())
        self.calls.append(record)
        self._changed.set()  # a waiter may be waiting for the call itself (a long poll begun)
        handler = getattr(self, "_m_" + method.lower(), None)
        try:
            if handler is None:
                self.unknown_methods.append(method)
                raise BotApiError(404, "Not Found")
            self._maybe_fail(method, params)
            if method.lower() == "getupdates":
                result = await self._m_getupdates(params)
            else:
                result = handler(params, files)
            return 200, {"ok": True, "result": result}
        except BotApiError as error:
            record.failed = error
            return error.code, error.payload()
        finally:
            self._changed.set()

    def _maybe_fail(self, method: str, params: dict[str, Any]) -> None:
        chat_id = _int_or_none(params.get("chat_id"))
        if method in ("sendMessage", "sendPhoto") and chat_id in self.blocked_by:
            raise forbidden()
        if chat_id in self.migrated:
            raise chat_migrated(self.migrated[chat_id])
        for fault in self.faults:
            if fault.method == method and fault.chat_id in (None, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                raise fault.error

    def _m_getme(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self.bot_user

    def _m_deletewebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        if params.get("drop_pending_updates") in ("true", True):
            self._updates.clear()
        return True

    def _m_getwebhookinfo(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = _int_or_none(params.get("offset")) or 0
        timeout = float(params.get("timeout") or 0)
        limit = _int_or_none(params.get("limit")) or 100
        # Asking from `offset` confirms every earlier update, as on Telegram.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while not self._updates and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            waiter = asyncio.Event()
            self._poll_waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter.wait(), min(remaining, 0.5))
            except TimeoutError:
                pass
            finally:
                self._poll_waiters.remove(waiter)
        return self._updates[:limit]

    def _m_sendmessage(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        raw = str(params.get("text", ""))
        visible = self._visible(raw, params.get("parse_mode"))
        if not visible.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if len(visible) > _MAX_TEXT:
            raise BotApiError(400, "Bad Request: message is too long")
        return self._sent(params, chat_id, visible, raw)

    def _sent(
        self,
        params: dict[str, Any],
        chat_id: int,
        visible: str,
        raw: str,
        photo: bytes | None = None,
    ) -> dict[str, Any]:
        """Keep a message the bot sent, with the options every send method takes; its JSON."""
        message = ChatMessage(
            chat_id,
            next(self._message_ids),
            True,
            visible,
            raw=raw,
            parse_mode=params.get("parse_mode"),
            reply_markup=_json(params.get("reply_markup")),
            disable_notification=_flag(params.get("disable_notification")),
            message_thread_id=_int_or_none(params.get("message_thread_id")),
            photo=photo,
        )
        self._store(message)
        return self._message_json(message)

    def _m_sendphoto(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        photo = files.get("photo")
        if photo is None:
            reference = str(params.get("photo", ""))
            if not reference.startswith("attach://") or reference[9:] not in files:
                raise BotApiError(400, "Bad Request: there is no photo in the request")
            photo = files[reference[9:]]
        caption_raw = str(params.get("caption", ""))
        caption = self._visible(caption_raw, params.get("parse_mode")) if caption_raw else ""
        if len(caption) > _MAX_CAPTION:
            raise BotApiError(400, "Bad Request: message caption is too long")
        return self._sent(params, chat_id, caption, caption_raw, photo)

    def _m_editmessagetext(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        message = self._existing(params)
        raw = str(params.get("text", ""))
        visible = self._visible(raw, params.get("parse_mode"))
        markup = _json(params.get("reply_markup"))
        if visible == message.text and markup == message.reply_markup:
            raise BotApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current "
                "content and reply markup of the message",
            )
        message.text, message.raw, message.reply_markup = visible, raw, markup
        message.parse_mode = params.get("parse_mode")
        message.edits += 1
        return self._message_json(message)

    def _m_editmessagecaption(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        message = self._existing(params)
        if message.photo is None:
            raise BotApiError(400, "Bad Request: there is no caption in the message to edit")
        raw = str(params.get("caption", ""))
        visible = self._visible(raw, params.get("parse_mode"))
        markup = _json(params.get("reply_markup"))
        if visible == message.text and markup == message.reply_markup:
            raise BotApiError(400, "Bad Request: message is not modified")
        message.text, message.raw, message.reply_markup = visible, raw, markup
        message.edits += 1
        return self._message_json(message)

    def _m_editmessagereplymarkup(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        message = self._existing(params)
        markup = _json(params.get("reply_markup"))
        if markup == message.reply_markup:
            raise BotApiError(400, "Bad Request: message is not modified")
        message.reply_markup = markup
        message.edits += 1
        return self._message_json(message)

    def _m_deletemessage(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        message = self._existing(params, "message to delete not found")
        message.deleted = True
        return True

    def _m_getchatmember(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        user_id = _int_or_none(params.get("user_id"))
        if user_id is None:
            raise BotApiError(400, "Bad Request: user_id is required")
        user = self.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Someone"}
        status = self.members.get((chat_id, user_id), "member")
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update({"can_be_edited": False, "is_anonymous": False})
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _m_answercallbackquery(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id in self.callback_answers:
            raise BotApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.callback_answers[query_id] = {
            "text": params.get("text"),
            "show_alert": _flag(params.get("show_alert")),
        }
        return True

    def _m_setmycommands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        commands = _json(params.get("commands")) or []
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if (
                not (1 <= len(name) <= 32)
                or name != name.lower()
                or not name.replace("_", "").isalnum()
            ):
                raise BotApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not (1 <= len(description) <= 256):
                raise BotApiError(400, "Bad Request: command description is empty or too long")
        self.commands[_scope_key(params)] = commands
        return True

    def _m_getmycommands(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> list[dict[str, str]]:
        return self.commands.get(_scope_key(params), [])

    def _m_deletemycommands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.commands.pop(_scope_key(params), None)
        return True

    def _m_sendchataction(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self._chat_id(params)
        return True

    # ---- internals ---------------------------------------------------------------------------

    def _visible(self, raw: str, parse_mode: Any) -> str:
        if parse_mode == "HTML":
            return html_to_visible(raw)
        if parse_mode:
            raise BotApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r} in fake")
        return raw

    def _chat_id(self, params: dict[str, Any]) -> int:
        chat_id = _int_or_none(params.get("chat_id"))
        if chat_id is None or chat_id not in self.chats:
            raise BotApiError(400, "Bad Request: chat not found")
        return chat_id

    def _existing(
        self, params: dict[str, Any], missing: str = "message to edit not found"
    ) -> ChatMessage:
        chat_id = self._chat_id(params)
        message_id = _int_or_none(params.get("message_id"))
        for message in self.messages.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        raise BotApiError(400, f"Bad Request: {missing}")

    def _store(self, message: ChatMessage) -> None:
        self.messages.setdefault(message.chat_id, []).append(message)

    def _message_json(self, message: ChatMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.chats[message.chat_id],
            "from": self.bot_user if message.from_bot else self.users[message.sender_id or 0],
        }
        if message.photo is not None:
            body["photo"] = [
                {
                    "file_id": f"photo-{message.message_id}",
                    "file_unique_id": f"u{message.message_id}",
                    "width": 800,
                    "height": 400,
                    "file_size": len(message.photo),
                }
            ]
            if message.text:
                body["caption"] = message.text
        else:
            body["text"] = message.text
        if message.reply_markup:
            body["reply_markup"] = message.reply_markup
        if message.message_thread_id is not None:
            body["message_thread_id"] = message.message_thread_id
        return body

    def _push_update(self, content: dict[str, Any]) -> None:
        self._updates.append({"update_id": next(self._update_ids), **content})
        for waiter in list(self._poll_waiters):
            waiter.set()
        self._changed.set()

    def close(self) -> None:
        self._closing = True
        for waiter in list(self._poll_waiters):
            waiter.set()


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _flag(value: Any) -> bool:
    return value in (True, "true", "True", "1")


def _json(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return json.loads(value)
    return value


def _scope_key(params: dict[str, Any]) -> str:
    scope = _json(params.get("scope")) or {"type": "default"}
    language = params.get("language_code") or ""
    return json.dumps(scope, sort_keys=True) + (f"|{language}" if language else "")


def scope_key(scope_type: str, **fields: Any) -> str:
    """The key under which `FakeTelegramAPI.commands` stores one scope's command list."""
    return json.dumps({"type": scope_type, **fields}, sort_keys=True)


# ---- HTTP front ------------------------------------------------------------------------------


class FakeTelegramServer:
    """The fake behind aiohttp on 127.0.0.1:0; `async with FakeTelegramServer() as api: ...`."""

    def __init__(self, api: FakeTelegramAPI | None = None) -> None:
        self.api = api or FakeTelegramAPI()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeTelegramAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.api.base_url = f"http://{host}:{port}/bot"
        self.api.base_file_url = f"http://{host}:{port}/file/bot"
        return self.api

    async def __aexit__(self, *exc_info: object) -> None:
        self.api.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.api.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params: dict[str, Any] = dict(request.query)
        files: dict[str, bytes] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                for name, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        files[name] = value.file.read()
                    else:
                        params[name] = value
        status, body = await self.api.call(request.match_info["method"], params, files)
        return web.json_response(body, status=status)

    async def _file(self, request: web.Request) -> web.Response:
        return web.Response(status=404)


async def serve(api: FakeTelegramAPI | None = None) -> FakeTelegramServer:
    """A started server (call `await server.__aexit__(None, None, None)` to stop it)."""
    server = FakeTelegramServer(api)
    await server.__aenter__()
    return server


# ---- in-process transport for handler tests --------------------------------------------------


class UnexpectedNetworkCall(AssertionError):
    """A handler test made a Bot API call the fake does not know, or tried to reach a network."""


class InProcessRequest(BaseRequest):
    """A PTB request class that answers from a `FakeTelegramAPI` in memory and never opens a socket.

    Every Bot API call goes to the fake's state machine; a method the fake does not implement, or a
    URL that is not the fake's, fails the test (PTB's own tests/auxil/networking.py does the same
    with its `OfflineRequest`).
    """

    def __init__(self, api: FakeTelegramAPI) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        prefix = f"{self.api.base_url}{self.api.token}/"
        if not url.startswith(prefix):
            raise UnexpectedNetworkCall(f"handler test tried to reach a real network: {url[:40]}")
        bot_method = url[len(prefix) :]
        params: dict[str, Any] = dict(request_data.json_parameters) if request_data else {}
        files: dict[str, bytes] = {}
        if request_data is not None:
            for name, part in request_data.multipart_data.items():
                content = part[1] if isinstance(part, tuple) else part
                files[name] = content if isinstance(content, bytes) else content.read()
        status, body = await self.api.call(bot_method, params, files)
        if bot_method.lower() not in _known_methods():
            raise UnexpectedNetworkCall(
                f"handler test called an unknown Bot API method {bot_method!r}"
            )
        return status, json.dumps(body).encode()


def _known_methods() -> Iterable[str]:
    return {name[3:] for name in dir(FakeTelegramAPI) if name.startswith("_m_")}
