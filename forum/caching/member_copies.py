"""A member's own copy of a page: kept split at its CSRF token, and also compressed once, so that each request
joins its own token into a gzip answer without compressing the page again.

The page is compressed (raw deflate, one stream) with a stand-in of the token's length at every place the token
stood, made of a byte that occurs nowhere in the page: no match can then reach into a stand-in, and the distances
of those reaching over one stay right for a token of the same length. The stream is cut before and after each
stand-in (byte-aligned by a sync flush) and the stand-ins' own blocks are left out. A request puts its own token in
their places as stored blocks, between a gzip header and the trailer (the CRC-32 and length of the page it sends).
"""

from __future__ import annotations

import struct
import zlib
from typing import NamedTuple

LEVEL = 6  # as the shared pages' gzip copies
# The gzip member header (RFC 1952): deflate, no flags, no time (as `gzip.compress(mtime=0)`), no OS named.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
STORED_MAX = 0xFFFF  # the most a stored block holds


class MemberCopy(NamedTuple):
    """A member's page split at its CSRF token and, when it could be compressed so, the deflate stream of each
    part (for a token of `token_length` bytes between them); the stores weigh both."""

    parts: list[bytes]
    deflated: list[bytes]
    token_length: int


def stand_in(body: bytes, length: int) -> bytes | None:
    """`length` times a byte absent from `body`; None if every byte value occurs in it."""
    unused = next((value for value in range(256) if bytes((value,)) not in body), None)
    return None if unused is None else bytes((unused,)) * length


def keep(body: bytes, token: bytes | None) -> MemberCopy:
    """A member's page to keep: split at `token`, and compressed unless no stand-in can be made for it."""
    parts = body.split(token) if token else [body]
    length = len(token) if token else 0
    placeholder = stand_in(body, length) if length <= STORED_MAX else None
    if placeholder is None:
        return MemberCopy(parts, [], length)
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    deflated = []
    for part in parts[:-1]:
        deflated.append(compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH))
        compressor.compress(placeholder)
        compressor.flush(zlib.Z_SYNC_FLUSH)  # the stand-in's own blocks: each request stores its token there
    deflated.append(compressor.compress(parts[-1]) + compressor.flush(zlib.Z_FINISH))
    return MemberCopy(parts, deflated, length)


def plain(copy: MemberCopy, token: bytes) -> bytes:
    """The page with `token` joined in."""
    return token.join(copy.parts) if len(copy.parts) > 1 else copy.parts[0]


def gzipped(copy: MemberCopy, token: bytes) -> bytes | None:
    """The page with `token` joined in, as a gzip member; None if it was kept uncompressed, or for a token of
    another length (the distances over it would not hold)."""
    if not copy.deflated or (len(copy.parts) > 1 and len(token) != copy.token_length):
        return None
    body = plain(copy, token)
    trailer = struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)
    # A stored block, not the last: its three header bits (0, 00) padded to the byte, then LEN and NLEN.
    stored = b"\x00" + struct.pack("<HH", len(token), len(token) ^ 0xFFFF) + token
    return b"".join((GZIP_HEADER, stored.join(copy.deflated), trailer))


# An empty last block (fixed codes, end of block at once): it closes a stream of pieces each ended by a sync flush.
LAST_BLOCK = b"\x03\x00"
# Where `assembled` puts the CSRF token between pieces.
TOKEN = None


def deflated_piece(data: bytes) -> bytes:
    """`data` as deflate blocks of their own: they refer to nothing before them, end byte-aligned (a sync flush)
    and are not the last, so that such pieces may be joined in any order into one stream."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def assembled(pieces: list[tuple[bytes, bytes] | None], token_length: int) -> MemberCopy:
    """A member's copy made of pieces (each a part of the page and its `deflated_piece`) and, where an item is
    `TOKEN`, the place of the CSRF token: no page compressed whole, only the pieces that were not kept."""
    parts: list[bytes] = []
    deflated: list[bytes] = []
    plain_run: list[bytes] = []
    deflated_run: list[bytes] = []
    for piece in pieces:
        if piece is TOKEN:
            parts.append(b"".join(plain_run))
            deflated.append(b"".join(deflated_run))
            plain_run, deflated_run = [], []
        else:
            plain_run.append(piece[0])
            deflated_run.append(piece[1])
    parts.append(b"".join(plain_run))
    deflated.append(b"".join(deflated_run) + LAST_BLOCK)
    if token_length > STORED_MAX:
        deflated = []
    return MemberCopy(parts, deflated, token_length)
