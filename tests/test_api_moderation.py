"""Moderation through the API, on SQLite and PostgreSQL: verdicts, flags, hiding, locking, roles, the audit log."""

import threading

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import ConsensusChange, Member, Role
from tests.articles import make_article


@pytest.fixture
def forum(app, make_user, client):
    """An article; tokens for mia and bob (members), moe and max (moderators), ada (admin); an argument by mia."""
    ids = make_article(app)
    roles = {"mia": Role.MEMBER, "bob": Role.MEMBER, "moe": Role.MODERATOR, "max": Role.MODERATOR,
             "ada": Role.ADMIN}
    tokens = {}
    for name, role in roles.items():
        user = make_user(name, role)
        body = {"username": name, "password": user.password}
        tokens[name] = client.post("/api/v1/tokens", json=body).json["token"]
    block = ids["block1"]
    argument = client.api(
        "POST", f"/api/v1/blocks/{block}/arguments",
        {"stance": "counter", "body": "Twice, not three times."}, token=tokens["mia"],
    ).json["id"]
    with app.app_context():
        members = {m.name: m.id for m in get_session().scalars(sa.select(Member))}
    return {"ids": ids, "block": block, "tokens": tokens, "argument": argument, "members": members}


def call(client, forum, method, path, json=None, who=None):
    token = forum["tokens"][who] if who else None
    if who is None:
        return client.open(f"/api/v1{path}", method=method, json=json)
    return client.api(method, f"/api/v1{path}", json, token=token)


def verdict(status="contested", version=0, **extra):
    return {"status": status, "note": "Both **sides** have sources.", "version": version, **extra}


def test_setting_a_verdict_shows_it_on_the_thread_with_its_history(client, forum):
    block, argument = forum["block"], forum["argument"]
    answer = call(client, forum, "PUT", f"/blocks/{block}/consensus",
                  verdict(key_arguments=[argument]), who="moe")
    assert answer.status_code == 200, answer.json
    data = answer.json
    assert (data["status"], data["version"], data["key_arguments"]) == ("contested", 1, [argument])
    assert data["set_by"] == {"id": forum["members"]["moe"], "name": "moe"} and data["set_at"]
    assert "<strong>sides</strong>" in data["note_html"]
    second = call(client, forum, "PUT", f"/blocks/{block}/consensus",
                  {"status": "refuted", "note": "", "version": 1}, who="max")
    assert second.json["version"] == 2
    article = client.get(f"/api/v1/articles/{forum['ids']['article']}").json
    thread = next(b for b in article["blocks"] if b["id"] == block)["thread"]
    assert thread["consensus"]["status"] == "refuted" and thread["consensus"]["version"] == 2
    assert thread["consensus"]["set_by"]["name"] == "max"
    history = client.get(f"/api/v1/blocks/{block}/consensus/history").json["entries"]
    assert [(e["version"], e["from"], e["to"], e["by"]["name"]) for e in history] == [
        (1, "open", "contested", "moe"), (2, "contested", "refuted", "max"),
    ]
    assert history[0]["key_arguments"] == [argument] and history[0]["at"]


def test_a_verdict_note_a_reader_would_not_see_is_no_note(client, forum):
    answer = call(client, forum, "PUT", f"/blocks/{forum['block']}/consensus",
                  {"status": "open", "note": "\u200b\ufeff", "version": 0}, who="moe")
    assert answer.status_code == 200
    assert (answer.json["note"], answer.json["note_html"]) == ("", "")


def test_a_stale_version_is_refused_and_says_who_changed_it(client, forum):
    path = f"/blocks/{forum['block']}/consensus"
    assert call(client, forum, "PUT", path, verdict("supported"), who="moe").status_code == 200
    stale = call(client, forum, "PUT", path, verdict("refuted"), who="max")
    assert stale.status_code == 409
    error = stale.json["error"]
    assert error["code"] == "conflict" and "moe" in error["message"] and "supported" in error["message"]
    assert error["current"]["status"] == "supported" and error["current"]["version"] == 1
    history = client.get(f"/api/v1/blocks/{forum['block']}/consensus/history").json["entries"]
    assert len(history) == 1


def test_two_moderators_racing_on_one_verdict(app, client, forum):
    # Both saw version 0 and send at once: exactly one wins, the other is told to review.
    path = f"/api/v1/blocks/{forum['block']}/consensus"
    start = threading.Barrier(2)
    statuses = {}

    def send(name, status):
        own = app.test_client()
        start.wait()
        answer = own.put(path, json=verdict(status),
                         headers={"Authorization": f"Bearer {forum['tokens'][name]}"})
        statuses[name] = answer.status_code

    workers = [threading.Thread(target=send, args=a) for a in (("moe", "supported"), ("max", "refuted"))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(statuses.values()) == [200, 409]
    current = client.get(f"/api/v1/blocks/{forum['block']}/consensus/history").json["entries"]
    assert len(current) == 1 and current[0]["version"] == 1
    winner = next(name for name, status in statuses.items() if status == 200)
    assert current[0]["by"]["name"] == winner
    with app.app_context():
        assert get_session().scalar(sa.select(sa.func.count()).select_from(ConsensusChange)) == 1


def test_who_may_set_a_verdict_and_what_it_may_name(client, forum, app, make_user):
    path = f"/blocks/{forum['block']}/consensus"
    assert call(client, forum, "PUT", path, verdict()).status_code == 401
    assert call(client, forum, "PUT", path, verdict(), who="mia").status_code == 403
    assert call(client, forum, "PUT", path, verdict(status="won"), who="moe").status_code == 422
    assert call(client, forum, "PUT", path, verdict(version=-1), who="moe").status_code == 422
    elsewhere = call(client, forum, "POST", f"/blocks/{forum['ids']['block3']}/arguments",
                     {"stance": "support", "body": "Elsewhere."}, who="bob").json["id"]
    foreign = call(client, forum, "PUT", path, verdict(key_arguments=[elsewhere]), who="moe")
    assert foreign.status_code == 422 and foreign.json["error"]["field"] == "key_arguments"
    assert call(client, forum, "PUT", "/blocks/9999/consensus", verdict(), who="moe").status_code == 404
    assert call(client, forum, "PUT", f"/blocks/{forum['ids']['block2']}/consensus", verdict(),
                who="moe").status_code == 404  # a heading has no thread
    assert client.get(f"/api/v1/blocks/{forum['block']}/consensus/history").json == {"entries": []}


def test_flags_once_per_member_not_on_your_own(client, forum):
    path = f"/arguments/{forum['argument']}/flags"
    assert call(client, forum, "POST", path, {"reason": "spam"}).status_code == 401
    made = call(client, forum, "POST", path, {"reason": "off_topic", "note": "About trains."}, who="bob")
    assert made.status_code == 201
    assert made.json["reason"] == "off_topic" and made.json["by"]["name"] == "bob"
    assert made.json["argument_id"] == forum["argument"] and made.json["resolution"] is None
    assert call(client, forum, "POST", path, {"reason": "spam"}, who="bob").status_code == 409
    own = call(client, forum, "POST", path, {"reason": "spam"}, who="mia")
    assert own.status_code == 403
    for note in ("", "\u200b\u2060", "\ufeff "):
        other = call(client, forum, "POST", path, {"reason": "other", "note": note}, who="moe")
        assert other.status_code == 422 and other.json["error"]["field"] == "note"
    assert call(client, forum, "POST", path, {"reason": "rude"}, who="moe").status_code == 422
    assert call(client, forum, "POST", "/arguments/9999/flags", {"reason": "spam"}, who="bob").status_code == 404


def test_the_queue_and_resolving_flags(client, forum):
    argument = forum["argument"]
    reply = call(client, forum, "POST", f"/blocks/{forum['block']}/arguments",
                 {"stance": "question", "body": "Source?", "parent_id": argument}, who="bob").json["id"]
    first = call(client, forum, "POST", f"/arguments/{argument}/flags", {"reason": "abuse"}, who="bob").json
    second = call(client, forum, "POST", f"/arguments/{argument}/flags", {"reason": "spam"}, who="ada").json
    dismissed = call(client, forum, "POST", f"/arguments/{reply}/flags", {"reason": "spam"}, who="mia").json
    assert call(client, forum, "GET", "/flags").status_code == 401
    assert call(client, forum, "GET", "/flags", who="bob").status_code == 403
    queue = call(client, forum, "GET", "/flags", who="moe").json["flags"]
    assert [f["id"] for f in queue] == [first["id"], second["id"], dismissed["id"]]
    assert queue[0]["argument"]["body"] == "Twice, not three times."
    resolve = f"/flags/{dismissed['id']}/resolve"
    assert call(client, forum, "POST", resolve, {"action": "dismiss"}, who="bob").status_code == 403
    assert call(client, forum, "POST", resolve, {"action": "ban"}, who="moe").status_code == 422
    done = call(client, forum, "POST", resolve, {"action": "dismiss"}, who="moe")
    assert done.status_code == 200 and done.json["resolution"] == "dismiss"
    assert call(client, forum, "POST", resolve, {"action": "dismiss"}, who="moe").status_code == 409
    hidden = call(client, forum, "POST", f"/flags/{first['id']}/resolve",
                  {"action": "hide", "reason": "Insults a member."}, who="moe")
    assert hidden.status_code == 200 and hidden.json["resolution"] == "hide"
    # Hiding the argument closes every open flag on it.
    assert call(client, forum, "GET", "/flags", who="moe").json["flags"] == []
    assert call(client, forum, "POST", "/flags/9999/resolve", {"action": "dismiss"}, who="moe").status_code == 404
    seen = client.get(f"/api/v1/blocks/{forum['block']}/arguments").json["arguments"][0]
    assert seen["hidden"] and seen["body"] == "" and seen["hidden_reason"] == "Insults a member."
    assert [r["id"] for r in seen["replies"]] == [reply]


def test_hide_and_restore_keep_the_content(client, forum):
    argument = forum["argument"]
    hide, restore = f"/arguments/{argument}/hide", f"/arguments/{argument}/restore"
    assert call(client, forum, "POST", hide, {"reason": "Spam."}).status_code == 401
    assert call(client, forum, "POST", hide, {"reason": "Spam."}, who="bob").status_code == 403
    for blank in ("  ", "\u200b\u200c", "\u3164"):
        assert call(client, forum, "POST", hide, {"reason": blank}, who="moe").status_code == 422
    hidden = call(client, forum, "POST", hide, {"reason": "Spam."}, who="moe")
    assert hidden.status_code == 200
    assert hidden.json["hidden"] and hidden.json["body"] == "Twice, not three times."
    assert call(client, forum, "POST", hide, {"reason": "Again."}, who="moe").status_code == 409
    as_member = call(client, forum, "GET", f"/blocks/{forum['block']}/arguments", who=None).json
    assert as_member["arguments"][0]["body"] == ""
    as_moderator = client.get(f"/api/v1/blocks/{forum['block']}/arguments",
                              headers={"Authorization": f"Bearer {forum['tokens']['moe']}"}).json
    assert as_moderator["arguments"][0]["body"] == "Twice, not three times."
    restored = call(client, forum, "POST", restore, {"reason": "Not spam after all."}, who="max")
    assert restored.status_code == 200 and not restored.json["hidden"]
    assert call(client, forum, "POST", restore, {"reason": "Again."}, who="max").status_code == 409


def test_a_locked_thread_takes_no_arguments_or_votes(client, forum):
    lock = f"/blocks/{forum['block']}/lock"
    assert call(client, forum, "PUT", lock, {"locked": True, "reason": "Heated."}, who="bob").status_code == 403
    locked = call(client, forum, "PUT", lock, {"locked": True, "reason": "Heated."}, who="moe")
    assert locked.status_code == 200 and locked.json == {"id": forum["block"], "locked": True, "reason": "Heated."}
    posted = call(client, forum, "POST", f"/blocks/{forum['block']}/arguments",
                  {"stance": "support", "body": "Late."}, who="bob")
    assert posted.status_code == 403
    voted = call(client, forum, "PUT", f"/arguments/{forum['argument']}/vote", {"value": 1}, who="bob")
    assert voted.status_code == 403
    article = client.get(f"/api/v1/articles/{forum['ids']['article']}").json
    thread = next(b for b in article["blocks"] if b["id"] == forum["block"])["thread"]
    assert thread["locked"] and thread["lock_reason"] == "Heated."
    assert call(client, forum, "PUT", lock, {"locked": True, "reason": "Again."}, who="moe").status_code == 409
    unlocked = call(client, forum, "PUT", lock, {"locked": False, "reason": "Calmer now."}, who="moe")
    assert unlocked.json["locked"] is False
    assert call(client, forum, "PUT", f"/arguments/{forum['argument']}/vote", {"value": 1},
                who="bob").status_code == 200


def test_admins_appoint_moderators(client, forum):
    bob, ada = forum["members"]["bob"], forum["members"]["ada"]
    path = f"/members/{bob}/role"
    assert call(client, forum, "PUT", path, {"role": "moderator"}).status_code == 401
    refused = call(client, forum, "PUT", path, {"role": "moderator"}, who="moe")
    assert refused.status_code == 403 and refused.json["error"]["message"] == "Only an admin may do this."
    appointed = call(client, forum, "PUT", path, {"role": "moderator"}, who="ada")
    assert appointed.status_code == 200
    assert appointed.json == {"id": bob, "name": "bob", "role": "moderator"}
    assert call(client, forum, "GET", "/flags", who="bob").status_code == 200
    assert call(client, forum, "PUT", path, {"role": "king"}, who="ada").status_code == 422
    assert call(client, forum, "PUT", f"/members/{ada}/role", {"role": "member"}, who="ada").status_code == 422
    assert call(client, forum, "PUT", "/members/9999/role", {"role": "member"}, who="ada").status_code == 404


def test_the_audit_log_records_every_action_and_filters(client, forum):
    block, argument = forum["block"], forum["argument"]
    call(client, forum, "PUT", f"/blocks/{block}/consensus", verdict(), who="moe")
    call(client, forum, "POST", f"/arguments/{argument}/hide", {"reason": "Spam."}, who="moe")
    call(client, forum, "POST", f"/arguments/{argument}/restore", {"reason": "Fine."}, who="max")
    call(client, forum, "PUT", f"/blocks/{block}/lock", {"locked": True, "reason": "Heated."}, who="moe")
    call(client, forum, "PUT", f"/members/{forum['members']['bob']}/role", {"role": "moderator"}, who="ada")
    assert call(client, forum, "GET", "/audit").status_code == 401
    assert call(client, forum, "GET", "/audit", who="mia").status_code == 403
    log = call(client, forum, "GET", "/audit", who="moe").json
    assert [e["action"] for e in log["entries"]] == [
        "member.role", "thread.lock", "argument.restore", "argument.hide", "consensus.set",
        "article.import",  # the fixture's article, imported at the command line
    ]
    assert log["next"] is None
    hide = log["entries"][3]
    assert hide["actor"] == {"id": forum["members"]["moe"], "name": "moe"}
    assert hide["target"] == {"type": "argument", "id": argument} and hide["reason"] == "Spam."
    assert hide["at"]
    by_max = call(client, forum, "GET", f"/audit?actor_id={forum['members']['max']}", who="moe").json
    assert [e["action"] for e in by_max["entries"]] == ["argument.restore"]
    on_block = call(client, forum, "GET", f"/audit?target_type=block&target_id={block}", who="moe").json
    assert [e["action"] for e in on_block["entries"]] == ["thread.lock", "consensus.set"]
    assert [e["action"] for e in call(client, forum, "GET", "/audit?action=argument.hide",
                                        who="moe").json["entries"]] == ["argument.hide"]
    page = call(client, forum, "GET", "/audit?limit=2", who="moe").json
    assert len(page["entries"]) == 2 and page["next"] == page["entries"][-1]["id"]
    rest = call(client, forum, "GET", f"/audit?limit=2&before={page['next']}", who="moe").json
    assert [e["action"] for e in rest["entries"]] == ["argument.restore", "argument.hide"]
    assert call(client, forum, "GET", "/audit?limit=0", who="moe").status_code == 422


def test_flagging_has_a_daily_limit(app, client, forum):
    app.config["FORUM_RATELIMIT_FLAG"] = "2 per day"
    made = [
        call(client, forum, "POST", f"/blocks/{forum['block']}/arguments",
             {"stance": "support", "body": f"Point {n}."}, who="mia").json["id"]
        for n in range(3)
    ]
    statuses = [call(client, forum, "POST", f"/arguments/{a}/flags", {"reason": "spam"}, who="bob").status_code
                for a in made]
    assert statuses[:2] == [201, 201]
    assert statuses[2] == 429
    limited = call(client, forum, "POST", f"/arguments/{forum['argument']}/flags", {"reason": "spam"}, who="bob")
    assert limited.status_code == 429 and limited.headers.get("Retry-After")
    assert limited.json["error"]["message"]
    # Another member has a count of their own.
    assert call(client, forum, "POST", f"/arguments/{made[2]}/flags", {"reason": "spam"}, who="moe").status_code == 201


@pytest.mark.parametrize(
    "path, method, statuses",
    [
        ("/blocks/{block_id}/consensus", "put", {"200", "401", "403", "404", "409", "422"}),
        ("/blocks/{block_id}/consensus/history", "get", {"200", "404"}),
        ("/arguments/{argument_id}/flags", "post", {"201", "401", "403", "404", "409", "422", "429"}),
        ("/flags", "get", {"200", "401", "403"}),
        ("/flags/{flag_id}/resolve", "post", {"200", "401", "403", "404", "409", "422"}),
        ("/arguments/{argument_id}/hide", "post", {"200", "401", "403", "404", "409", "422"}),
        ("/arguments/{argument_id}/restore", "post", {"200", "401", "403", "404", "409", "422"}),
        ("/blocks/{block_id}/lock", "put", {"200", "401", "403", "404", "409", "422"}),
        ("/members/{member_id}/role", "put", {"200", "401", "403", "404", "422"}),
        ("/audit", "get", {"200", "401", "403", "422"}),
    ],
)
def test_moderation_statuses_are_documented(client, path, method, statuses):
    document = client.get("/api/v1/openapi.json").json
    assert statuses <= set(document["paths"][path][method]["responses"])
