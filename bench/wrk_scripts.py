"""The page benchmark's wrk scripts: the same request again and again, random votes, unique posts; its targets."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dataset import MEMBER_AGENT, SMALL_THREAD_ARGUMENTS, DataSet, fetch
from harness import COUNT_STATUSES, lua_string

# The yardsticks of the writes (bench/bare_writes.py): one statement and one commit each.
BARE_UPSERT = "bare upsert (bare Flask)"
BARE_INSERT = "bare insert (bare Flask)"
# What a browser (or an HTTP library) sends with every GET: kept pages are then sent gzip-compressed.
BROWSER = {"Accept-Encoding": "gzip, deflate"}


@dataclass
class Target:
    """One row of the table: what wrk sends, to which server, and which statuses count as success."""

    name: str
    server: str  # "forum", "hello", "rows", "bare" or "large"
    lua: Callable[[str], str]  # run id -> the request part of the Lua script
    ok: frozenset[int] = frozenset(range(200, 300))
    probe: Callable[[], str | None] | None = None  # before each run; a reason to skip it, or None
    yardstick: str | None = None  # a write's bare twin, the row its rate is divided by in "/ bare write"


def static_lua(method: str, path: str, headers: dict[str, str] | None = None) -> Callable[[str], str]:
    """The same request every time."""
    shown = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in (headers or {}).items())

    def script(_run: str) -> str:
        return (
            "local prepared\n"
            "function init(args)\n  statuses = {}\n"
            f"  prepared = wrk.format({lua_string(method)}, {lua_string(path)}, {{ {shown} }})\nend\n"
            "function request()\n  return prepared\nend\n"
        )

    return script


def vote_lua(data: DataSet, seed_: int) -> Callable[[str], str]:
    """A random vote (1, -1, 0) on a random argument of the write article, never the voter's own."""
    arguments = ", ".join(f"{{{a}, {b}}}" for a, b in data.write_arguments)
    tokens = ", ".join(f"{{{member}, {lua_string(secret)}}}" for member, secret in data.seed_tokens)

    def script(_run: str) -> str:
        return f"""
local arguments = {{ {arguments} }}
local tokens = {{ {tokens} }}
local values = {{ "1", "-1", "0" }}
function init(args)
  statuses = {{}}
  math.randomseed({seed_} + number * 7919)
end
function request()
  local argument = arguments[math.random(#arguments)]
  local token
  repeat token = tokens[math.random(#tokens)] until token[1] ~= argument[2]
  return wrk.format("PUT", "/api/v1/arguments/" .. argument[1] .. "/vote",
    {{ ["Authorization"] = "Bearer " .. token[2], ["Content-Type"] = "application/json" }},
    '{{"value": ' .. values[math.random(#values)] .. '}}')
end
"""

    return script


def form_vote_lua(data: DataSet, cookie: str, csrf: str, seed_: int) -> Callable[[str], str]:
    """A random vote through the thread page's htmx form, as the signed-in member, on a random argument."""
    arguments = ", ".join(str(a) for a, _ in data.write_arguments)
    headers = {"Cookie": cookie, "User-Agent": MEMBER_AGENT, "HX-Request": "true",
               "Content-Type": "application/x-www-form-urlencoded"}
    shown = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())

    def script(_run: str) -> str:
        return f"""
local arguments = {{ {arguments} }}
local values = {{ "1", "-1", "0" }}
local csrf = {lua_string(csrf)}
function init(args)
  statuses = {{}}
  math.randomseed({seed_} + number * 7919)
end
function request()
  return wrk.format("POST", "/arguments/" .. arguments[math.random(#arguments)] .. "/vote", {{ {shown} }},
    "value=" .. values[math.random(#values)] .. "&csrf_token=" .. csrf)
end
"""

    return script


def post_lua(data: DataSet, seed_: int) -> Callable[[str], str]:
    """A new argument with a source in a thread of the write article; every body is unique."""
    threads = ", ".join(str(t) for t in data.write_threads)
    tokens = ", ".join(lua_string(secret) for _, secret in data.seed_tokens)

    def script(run: str) -> str:
        return f"""
local threads = {{ {threads} }}
local tokens = {{ {tokens} }}
local stances = {{ "counter", "support", "question" }}
local sent = 0
function init(args)
  statuses = {{}}
  math.randomseed({seed_} + number * 7919)
end
function request()
  sent = sent + 1
  -- The run, the wrk thread and a counter make every body unique, so no post is a duplicate.
  local body = string.format('{{"stance": "%s", "body": "Benchmark post {run}-%d-%d: the *figures* ' ..
    'for this paragraph deserve a second look.", "sources": [{{"url": "https://example.org/bench/%d", ' ..
    '"title": "Bench source"}}]}}', stances[math.random(#stances)], number, sent, sent)
  return wrk.format("POST", "/api/v1/blocks/" .. threads[math.random(#threads)] .. "/arguments",
    {{ ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
       ["Content-Type"] = "application/json" }}, body)
end
"""

    return script


def write_script(workdir: Path, target: Target, run: str) -> Path:
    """The whole Lua file for one run of a target."""
    path = workdir / f"{target.server}-{run}.lua"
    path.write_text(target.lua(run) + COUNT_STATUSES)
    return path


def targets_for(data: DataSet, cookie: str, csrf: str, forum: str, args: argparse.Namespace) -> list[Target]:
    """The table's rows, in order."""
    thread = f"/blocks/{data.thread}"
    api = f"/api/v1/blocks/{data.thread}/arguments"
    n = args.arguments
    repeat = {"headers": {}}

    def etag() -> str | None:
        # The thread page's current validator, as a browser would have kept it from its last visit.
        status, headers, _ = fetch(forum, thread, {})
        tag = {k.lower(): v for k, v in headers.items()}.get("etag")
        if status != 200 or not tag:
            return "the thread page sends no ETag"
        repeat["headers"] = {"If-None-Match": tag}
        return None

    def repeat_lua(run: str) -> str:
        return static_lua("GET", thread, {**BROWSER, **repeat["headers"]})(run)

    def get(path: str, headers: dict[str, str] | None = None) -> Callable[[str], str]:
        return static_lua("GET", path, {**BROWSER, **(headers or {})})

    return [
        Target("hello world (bare Flask)", "hello", get("/")),
        Target("200 rows, one query (bare Flask)", "rows", get("/rows")),
        Target("home page", "forum", get("/")),
        Target("article page", "forum", get(data.article_path)),
        Target(f"thread page ({n} arguments), anonymous", "forum", get(thread)),
        Target(f"thread page ({n} arguments), anonymous, no compression", "forum", static_lua("GET", thread)),
        Target(f"thread page ({n} arguments), member", "forum",
               get(thread, {"Cookie": cookie, "User-Agent": MEMBER_AGENT})),
        Target(f"thread page ({n} arguments), repeat visit (If-None-Match)", "forum", repeat_lua,
               ok=frozenset([*range(200, 300), 304]), probe=etag),
        Target(f"thread page ({SMALL_THREAD_ARGUMENTS} arguments), anonymous", "forum",
               get(f"/blocks/{data.small_thread}")),
        Target(f"API arguments ({n}), anonymous", "forum", get(api)),
        Target(f"API arguments ({n}), member token", "forum",
               get(api, {"Authorization": f"Bearer {data.member_token}"})),
        Target(BARE_UPSERT, "bare", vote_lua(data, args.seed)),
        Target("API vote", "forum", vote_lua(data, args.seed), yardstick=BARE_UPSERT),
        Target("thread page vote (htmx form)", "forum", form_vote_lua(data, cookie, csrf, args.seed),
               yardstick=BARE_UPSERT),
        Target(BARE_INSERT, "bare", post_lua(data, args.seed)),
        Target("API post argument", "forum", post_lua(data, args.seed), yardstick=BARE_INSERT),
    ]
