"""Whether this request renders its page afresh, past every memo: verify mode's second rendering of a hit.

The memos (threads' snapshots, arguments' fragments) are keyed by page versions as the cached pages are: a
write that moved no version would leave them as stale as the page, and the comparison would see nothing.
"""

from __future__ import annotations

from contextvars import ContextVar

FRESH: ContextVar[bool] = ContextVar("forum_render_fresh", default=False)


def rendering_fresh() -> bool:
    """Whether the memos are to be passed by (they are still filled) for this request."""
    return FRESH.get()
