"""A member's kept copy compressed once: each request's gzip answer is exactly the page with its own token."""

from __future__ import annotations

import gzip
import random

import pytest

from forum.caching.member_copies import MemberCopy, gzipped, keep, plain, stand_in
from forum.caching.store import page_bytes

ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."


def token(rng: random.Random, length: int = 91) -> bytes:
    """A token as Flask-WTF signs them: URL-safe letters and dots."""
    return bytes(rng.choice(ALPHABET) for _ in range(length))


def page_with(rng: random.Random, first: bytes, places: int) -> bytes:
    """A page in which `first` stands `places` times, among text that repeats pieces of it and of itself, some
    of them close together and some further apart than deflate looks back (32 KB)."""
    pieces = [b"<form method=post>", b"<input name=\"csrf_token\" value=\"", b"argument", b"\xc3\xa9 vote"]
    pieces += [first[:5], first[-7:], first[20:40]]
    out = []
    for _ in range(places + 1):
        count = rng.choice([0, 1, 40, 400, 4000])
        out.append(b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, count + 1))))
    return first.join(out)


@pytest.mark.parametrize("seed", range(30))
def test_every_requests_gzip_answer_is_the_page_with_its_own_token(seed):
    rng = random.Random(seed)
    kept_token = token(rng)
    body = page_with(rng, kept_token, rng.choice([1, 2, 3, 5, 50]))
    copy = keep(body, kept_token)
    assert len(copy.deflated) == len(copy.parts)
    for mine in (kept_token, token(rng), kept_token[::-1], b"a" * len(kept_token)):
        expected = body.replace(kept_token, mine)
        assert plain(copy, mine) == expected
        assert gzip.decompress(gzipped(copy, mine)) == expected


def test_the_answer_is_as_small_as_the_whole_page_gzip_compressed_but_for_its_tokens_stored():
    rng = random.Random(7)
    kept_token = token(rng)
    body = page_with(rng, kept_token, 5)  # as many as a thread page holds
    answer = gzipped(keep(body, kept_token), token(rng))
    assert len(answer) <= len(gzip.compress(body, compresslevel=6)) + 5 * (len(kept_token) + 40) + 100


def test_a_page_without_a_token_is_kept_as_one_stream():
    copy = keep(b"{\"threads\": []}" * 100, None)
    assert gzip.decompress(gzipped(copy, b"")) == b"{\"threads\": []}" * 100


def test_a_token_of_another_length_or_a_page_of_every_byte_is_sent_plain():
    rng = random.Random(3)
    kept_token = token(rng)
    copy = keep(page_with(rng, kept_token, 3), kept_token)
    assert gzipped(copy, kept_token + b"x") is None
    every_byte = bytes(range(256)) * 4
    whole = keep(every_byte + kept_token + every_byte, kept_token)
    assert whole.deflated == [] and gzipped(whole, kept_token) is None
    assert plain(whole, b"t" * len(kept_token)) == every_byte + b"t" * len(kept_token) + every_byte


def test_the_stand_in_is_a_byte_the_page_never_holds():
    body = bytes(range(32, 127)) * 10
    made = stand_in(body, 91)
    assert made is not None and len(made) == 91 and not set(made) & set(body)
    assert stand_in(bytes(range(256)), 91) is None


def test_a_kept_copy_counts_its_compressed_streams_against_the_store():
    copy = MemberCopy([b"x" * 300, b"y" * 300], [b"z" * 40, b"w" * 20], 91)
    assert page_bytes(copy) == 660
