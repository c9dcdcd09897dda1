"""What makes two user names one: the sign-in key (NFKC, case-folded) and the look-alike skeleton (Unicode TR39).

The skeleton comes from ICU's own implementation of TR39 through PyICU, the `accounts` extra: only the
forum's own accounts need it, and `forum.accounts.Accounts(app)` refuses to start without it.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

MISSING_ICU = (
    "The forum's own accounts need PyICU to tell look-alike user names apart: "
    "pip install 'flask-debate-forum[accounts]' (it builds against the system's ICU: "
    "on Debian, apt-get install libicu-dev pkg-config g++)."
)


def display_form(username: str) -> str:
    """A name as it is stored and shown: stripped, in NFC, so that "e" + a combining accent is "é"."""
    return unicodedata.normalize("NFC", username.strip())


def username_key(username: str) -> str:
    """The name an account signs in with: NFKC and case-folded, so "Ada", "ADA" and "ＡＤＡ" are one name."""
    # NFKC again after folding, since folding can undo it; the result then folds and normalises to itself.
    folded = unicodedata.normalize("NFKC", username.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


@cache
def spoof_checker() -> Any:
    """ICU's spoof checker, for skeletons and for the restriction level of a name's scripts."""
    try:
        import icu
    except ImportError:
        raise RuntimeError(MISSING_ICU) from None
    checker = icu.SpoofChecker()
    checker.setRestrictionLevel(icu.URestrictionLevel.HIGHLY_RESTRICTIVE)
    checker.setChecks(
        icu.USpoofChecks.RESTRICTION_LEVEL | icu.USpoofChecks.INVISIBLE | icu.USpoofChecks.MIXED_NUMBERS
    )
    return checker


def require_icu() -> None:
    """Fail now, with the remedy, where look-alike names could not be told apart."""
    spoof_checker()


def username_skeleton(username: str) -> str:
    """What the name looks like, in any case: "mоd1" (Cyrillic о), "rnod1" and "mod1" share "rnodl"."""
    # Names are shown as typed but told apart case-blind, and TR39's data is case-sensitive ("I" looks
    # like "l", "0" like "O", "m" like "rn"): the skeleton of the name as shown, folded, and again.
    skeleton = spoof_checker().getSkeleton
    shown = skeleton(0, unicodedata.normalize("NFKC", username.strip())).casefold()
    return str(skeleton(0, unicodedata.normalize("NFKC", shown))).casefold()


def mixes_scripts(username: str) -> bool:
    """Whether a name mixes scripts beyond TR39's "highly restrictive" level (Latin with Cyrillic, say),
    mixes digits of different systems, or hides repeated invisible marks."""
    return bool(spoof_checker().check(username) != 0)
