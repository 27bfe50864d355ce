"""The door of a class session: ASGI middleware in front of the app that lets in only browsers
holding the session's join code (students) or its teacher key, for every page, file and websocket.

- `/join` is the one page open to all: a plain form (no script, nothing from the app) asking
  for the join code and a team name. A right code sets two cookies (the code, and the team's
  secret seat from `ClassSession.join`) and sends the browser to the class page; a wrong code or
  a bad name shows the form again with one line saying what to fix (status 403 or 400).
- `/teacher?key=…` (the address `viz --class` prints in the terminal, never on screen) sets
  the teacher's cookie and sends the browser to the console.
- Anything else without a valid cookie: 403 and a line pointing to /join (HTTP), or the
  websocket closed with code 1008 (policy violation) before the app sees it.

The cookies are HttpOnly (no script reads them) and SameSite=Strict (another site's page cannot
use them). Which view a browser gets behind the door (the console, or its own team's) is
decided on the server from its cookies (`sim.app.class_page`): no address leads to another
team's view. Nothing here imports Solara.
"""

from __future__ import annotations

import html
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from sim.program.errors import UserError

CODE_COOKIE, SEAT_COOKIE, TEACHER_COOKIE = "corridor_code", "corridor_seat", "corridor_teacher"
JOIN_PATH, TEACHER_PATH = "/join", "/teacher"
FORM_LIMIT = 200  # characters of a query string the join form reads at most

JOIN_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Corridor: join the class</title>
<style>body{{font-family:sans-serif;font-size:20px;margin:2em auto;max-width:30em;padding:0 1em}}
input,button{{font-size:22px;padding:6px;margin:6px 0;width:100%}} .problem{{color:#b71c1c;font-weight:bold}}</style>
</head><body><h1>Corridor: join the class</h1>
<p>A stylised what-if model, not a forecast.</p>{message}
<form method="get" action="/join">
<label>Join code (on the teacher's screen)<input name="code" class="join-code" autocomplete="off" maxlength="12"
 value="{code}" autofocus></label>
<label>Team name<input name="team" class="join-team" maxlength="30" value="{team}"></label>
<button type="submit" class="join-button">Join</button></form></body></html>"""


def cookies_of(headers: dict[str, str]) -> dict[str, str]:
    """The request's cookies by name ({} when there are none or they do not parse)."""
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _cookie(name: str, value: str) -> tuple[bytes, bytes]:
    return b"set-cookie", f"{name}={value}; Path=/; HttpOnly; SameSite=Strict".encode("latin-1")


async def _respond(send, status: int, body: str, headers: list | None = None) -> None:
    data = body.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store"),
                            (b"content-length", str(len(data)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


def _form(message: str = "", code: str = "", team: str = "") -> str:
    line = f'<p class="problem">{html.escape(message)}</p>' if message else ""
    return JOIN_FORM.format(message=line, code=html.escape(code), team=html.escape(team))


class ClassGate:
    """ASGI middleware: `app` is reached only with the join code or the teacher key of `session`."""

    def __init__(self, app, session):
        self.app = app
        self.session = session

    def admitted(self, cookies: dict[str, str]) -> bool:
        session = self.session
        return session.check_teacher(cookies.get(TEACHER_COOKIE)) or session.check_code(cookies.get(CODE_COOKIE))

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cookies = cookies_of(headers)
        path = scope.get("path", "")
        if scope["type"] == "http" and path == JOIN_PATH:
            return await self._join(scope, send, cookies)
        if scope["type"] == "http" and path == TEACHER_PATH:
            return await self._teacher(scope, send)
        if self.admitted(cookies):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await receive()  # the websocket.connect message
            await send({"type": "websocket.close", "code": 1008})
            return None
        return await _respond(send, 403, _form("This class session needs its join code: enter it here."))

    async def _join(self, scope, send, cookies: dict[str, str]) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")[:FORM_LIMIT])
        code, team = (query.get(k, [""])[0].strip() for k in ("code", "team"))
        session = self.session
        if not code and not team:
            joined = session.team(cookies.get(SEAT_COOKIE))
            if joined is not None and session.check_code(cookies.get(CODE_COOKIE)):
                return await _respond(send, 303, "", [(b"location", b"/")])
            return await _respond(send, 200, _form())
        if not session.check_code(code):
            return await _respond(send, 403, _form("That is not the join code on the teacher's screen; "
                                                   "check it and try again.", "", team))
        try:
            joined = session.join(team)
        except UserError as err:
            return await _respond(send, 400, _form(str(err), code, ""))
        return await _respond(send, 303, "", [(b"location", b"/"), _cookie(CODE_COOKIE, session.join_code),
                                              _cookie(SEAT_COOKIE, joined.seat)])

    async def _teacher(self, scope, send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")[:FORM_LIMIT])
        key = query.get("key", [""])[0]
        if not self.session.check_teacher(key):
            return await _respond(send, 403, _form("That teacher address is not this session's; students join here."))
        return await _respond(send, 303, "", [(b"location", b"/"), _cookie(TEACHER_COOKIE, key)])
