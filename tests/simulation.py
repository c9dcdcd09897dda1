"""Synthetic communities with a known truth, to measure the scorer against (the tests and bench/scoring.py).

Members belong to camps placed on one latent axis (two or three camps, of unequal sizes), each member a little off
their camp's place. Arguments have a latent quality and a slant on the same axis. A member finds an argument helpful
with probability sigmoid(QUALITY_WEIGHT·quality + BIAS + SLANT_WEIGHT·position·slant): quality pleases everyone,
slant pleases one side and displeases the other. Each member votes on a random share of the arguments (some members
and some arguments draw far more votes than others).

The truth: an argument is *bridging* (truly helpful) when members of every camp find it helpful with probability at
least BRIDGING_PROBABILITY, *partisan* when its slant is strong. Attacks (`add_brigade`, `add_sybils`) add accounts
to a community; `make_paragraphs` groups the arguments into paragraphs with a true status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from forum.scoring import ArgumentScore, score_votes

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

QUALITY_WEIGHT = 2.0
BIAS = -0.5
SLANT_WEIGHT = 5.0
MEMBER_SPREAD = 0.2
GOOD_SHARE = 0.35
GOOD_QUALITY = (2.0, 0.25)  # mean and spread
WEAK_QUALITY = (-0.8, 0.6)
EVEN_SHARE = 0.45
EVEN_LEAN = 0.1
PARTISAN_LEAN = (0.6, 1.0)
BRIDGING_PROBABILITY = 0.7
PARTISAN_SLANT = 0.5
TWO_CAMPS: tuple[tuple[float, float], ...] = ((0.6, 1.0), (0.4, -1.0))  # (share of members, place on the axis)
THREE_CAMPS: tuple[tuple[float, float], ...] = ((0.5, 1.0), (0.3, -1.0), (0.2, 0.3))
# Ids far from indices, so that a scorer mixing up ids and positions is caught.
FIRST_MEMBER_ID = 1_000
FIRST_ARGUMENT_ID = 500_000


@dataclass(frozen=True)
class Community:
    """Members, arguments and votes; member i has id FIRST_MEMBER_ID + i, argument j has id FIRST_ARGUMENT_ID + j."""

    camps: tuple[tuple[float, float], ...]
    member_camp: IntArray  # -1 for accounts added by an attack
    position: FloatArray
    quality: FloatArray
    slant: FloatArray
    voters: IntArray
    arguments: IntArray
    values: IntArray

    @property
    def members(self) -> int:
        """How many accounts there are, attackers included."""
        return int(self.member_camp.size)

    def helpful_probability(self, argument: int | IntArray, position: float | FloatArray) -> FloatArray:
        """The probability that a member at `position` finds the argument(s) helpful."""
        logit = QUALITY_WEIGHT * self.quality[argument] + BIAS + SLANT_WEIGHT * position * self.slant[argument]
        return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=np.float64)

    def bridging(self) -> npt.NDArray[np.bool_]:
        """Per argument: every camp finds it helpful with probability at least BRIDGING_PROBABILITY."""
        every = np.arange(self.quality.size)
        return np.all(
            [self.helpful_probability(every, place) >= BRIDGING_PROBABILITY for _, place in self.camps], axis=0
        )

    def partisan(self) -> npt.NDArray[np.bool_]:
        """Per argument: its slant is strong enough that the camps see it differently."""
        return np.abs(self.slant) >= PARTISAN_SLANT

    def argument_index(self, argument_id: int) -> int:
        """The index of an argument id."""
        return argument_id - FIRST_ARGUMENT_ID


def draw_votes(
    generator: np.random.Generator,
    position: FloatArray,
    activity: FloatArray,
    popularity: FloatArray,
    count: int,
    quality: FloatArray,
    slant: FloatArray,
) -> tuple[IntArray, IntArray, IntArray]:
    """About `count` distinct (member, argument) votes, members and arguments drawn by activity and popularity."""
    member = generator.choice(position.size, size=count, p=activity / activity.sum())
    argument = generator.choice(quality.size, size=count, p=popularity / popularity.sum())
    pairs = np.unique(member * quality.size + argument)
    member, argument = pairs // quality.size, pairs % quality.size
    logit = QUALITY_WEIGHT * quality[argument] + BIAS + SLANT_WEIGHT * position[member] * slant[argument]
    helpful = generator.random(pairs.size) < 1.0 / (1.0 + np.exp(-logit))
    return member.astype(np.int64), argument.astype(np.int64), np.where(helpful, 1, -1).astype(np.int64)


def make_community(
    seed: int,
    *,
    members: int = 300,
    arguments: int = 200,
    votes_per_member: float = 30.0,
    camps: Sequence[tuple[float, float]] = TWO_CAMPS,
) -> Community:
    """A community drawn from `seed`: camps of the given shares and places, about `votes_per_member` votes each."""
    generator = np.random.default_rng(seed)
    shares = np.array([share for share, _ in camps])
    member_camp = generator.choice(len(camps), size=members, p=shares / shares.sum()).astype(np.int64)
    places = np.array([place for _, place in camps])
    position = places[member_camp] + generator.normal(0.0, MEMBER_SPREAD, members)
    # Qualities and slants come in clear kinds (about a third good, under half even-handed), as on a forum where
    # most arguments are plainly good, plainly weak, or plainly one side's.
    good = generator.random(arguments) < GOOD_SHARE
    quality = np.where(good, generator.normal(*GOOD_QUALITY, arguments), generator.normal(*WEAK_QUALITY, arguments))
    even = generator.random(arguments) < EVEN_SHARE
    lean = np.where(even, generator.uniform(-EVEN_LEAN, EVEN_LEAN, arguments), generator.uniform(*PARTISAN_LEAN, arguments))
    slant = lean * generator.choice((-1.0, 1.0), size=arguments)
    activity = generator.lognormal(0.0, 0.6, members)
    popularity = generator.lognormal(0.0, 0.6, arguments)
    voter, argument, value = draw_votes(
        generator, position, activity, popularity, int(members * votes_per_member * 1.05), quality, slant
    )
    return Community(
        camps=tuple(camps),
        member_camp=member_camp,
        position=position,
        quality=quality,
        slant=slant,
        voters=voter + FIRST_MEMBER_ID,
        arguments=argument + FIRST_ARGUMENT_ID,
        values=value,
    )


def with_accounts(community: Community, position: FloatArray, votes: list[tuple[int, int, int]]) -> Community:
    """The community with new accounts at `position` (camp -1) casting `votes` (account index, argument index, ±1)."""
    first = community.members
    new = np.array(votes, dtype=np.int64).reshape(-1, 3)
    return replace(
        community,
        member_camp=np.concatenate((community.member_camp, np.full(position.size, -1, dtype=np.int64))),
        position=np.concatenate((community.position, position)),
        voters=np.concatenate((community.voters, new[:, 0] + first + FIRST_MEMBER_ID)),
        arguments=np.concatenate((community.arguments, new[:, 1] + FIRST_ARGUMENT_ID)),
        values=np.concatenate((community.values, new[:, 2])),
    )


def weak_partisan_target(community: Community, generator: np.random.Generator, side: float) -> int:
    """A low-quality argument leaning to `side` (+1 or -1) to push: the index of one drawn at random."""
    candidates = np.flatnonzero((community.quality < -0.3) & (community.slant * side >= 0.3))
    if candidates.size == 0:
        candidates = np.flatnonzero(community.quality < -0.3)
    return int(generator.choice(candidates))


def camp_like_votes(
    community: Community, generator: np.random.Generator, place: float, count: int, avoid: int
) -> list[tuple[int, int]]:
    """`count` (argument index, ±1) votes such as a member at `place` would cast, on arguments other than `avoid`."""
    others = np.delete(np.arange(community.quality.size), avoid)
    chosen = generator.choice(others, size=min(count, others.size), replace=False)
    helpful = generator.random(chosen.size) < community.helpful_probability(chosen, place)
    return [(int(a), 1 if h else -1) for a, h in zip(chosen.tolist(), helpful.tolist())]


def add_brigade(
    community: Community, seed: int, share: float, *, camp: int = 0, camouflage: int = 20, identical: bool = False
) -> tuple[Community, int]:
    """A brigade of `share` × members extra accounts of `camp`: each up-votes one weak argument leaning their way
    (the target, returned as an argument index) and down-votes most of the other side's good arguments; each also
    votes like its camp on `camouflage` other arguments, or all cast exactly the same votes when `identical`."""
    generator = np.random.default_rng(seed)
    place = community.camps[camp][1]
    side = 1.0 if place >= 0 else -1.0
    target = weak_partisan_target(community, generator, side)
    theirs = np.flatnonzero(community.bridging() & (community.slant * side <= 0))
    if theirs.size == 0:
        theirs = np.flatnonzero(community.bridging())
    size = max(1, round(share * community.members))
    position = place + generator.normal(0.0, MEMBER_SPREAD, size)
    shared = camp_like_votes(community, generator, place, camouflage, target)
    votes: list[tuple[int, int, int]] = []
    for account in range(size):
        downs = theirs if identical else generator.choice(theirs, size=max(1, int(0.8 * theirs.size)), replace=False)
        disguise = shared if identical else camp_like_votes(community, generator, place, camouflage, target)
        chosen = {target: 1} | {int(a): -1 for a in downs.tolist()}
        chosen |= {a: v for a, v in disguise if a not in chosen}
        votes.extend((account, a, v) for a, v in chosen.items())
    return with_accounts(community, position, votes), target


def add_sybils(
    community: Community, seed: int, count: int, target: int, *, positioning: int = 40
) -> Community:
    """The two-phase attack: `count` sybils first vote like the camps (split between the two largest) on
    `positioning` arguments each, to place themselves on both sides of the factor, then all up-vote `target`."""
    generator = np.random.default_rng(seed)
    places = [place for _, place in community.camps[:2]]
    position = np.array([places[account % 2] for account in range(count)], dtype=np.float64)
    votes: list[tuple[int, int, int]] = []
    for account in range(count):
        votes.extend((account, a, v) for a, v in camp_like_votes(community, generator, places[account % 2],
                                                                    positioning, target))
        votes.append((account, target, 1))
    return with_accounts(community, position, votes)


STANCES = ("support", "counter", "question")
STANCE_SHARES = (0.45, 0.4, 0.15)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph's arguments as (argument id, stance), and the status the suggestion should find."""

    arguments: tuple[tuple[int, str], ...]
    status: str


def true_status(stances: Sequence[str], bridging: Sequence[bool]) -> str:
    """The status by the suggestion's rules, read from the truth: `supported` with bridging support and no bridging
    counter, `refuted` the reverse, `contested` with both, `needs_sources` when only a question is bridging, else
    `open`."""
    helpful = {stance for stance, good in zip(stances, bridging) if good}
    if "support" in helpful and "counter" in helpful:
        return "contested"
    if "support" in helpful:
        return "supported"
    if "counter" in helpful:
        return "refuted"
    return "needs_sources" if "question" in helpful else "open"


def make_paragraphs(community: Community, seed: int, *, smallest: int = 2, largest: int = 6) -> list[Paragraph]:
    """Every argument of the community placed in exactly one paragraph (of `smallest` to `largest` arguments, in
    id order) with a random stance (support, counter or question), each paragraph with its true status. A test
    that stores the community's votes and arguments this way can compare its suggestions with `status`."""
    generator = np.random.default_rng(seed)
    bridging = community.bridging()
    stances = generator.choice(len(STANCES), size=community.quality.size, p=STANCE_SHARES)
    paragraphs: list[Paragraph] = []
    start = 0
    while start < community.quality.size:
        end = min(community.quality.size, start + int(generator.integers(smallest, largest + 1)))
        members = range(start, end)
        named = tuple((FIRST_ARGUMENT_ID + i, STANCES[int(stances[i])]) for i in members)
        status = true_status([stance for _, stance in named], [bool(bridging[i]) for i in members])
        paragraphs.append(Paragraph(arguments=named, status=status))
        start = end
    return paragraphs


def statuses_from(paragraphs: Sequence[Paragraph], helpful: npt.NDArray[np.bool_]) -> list[str]:
    """Each paragraph's status by the same rules, from helpful flags by argument index instead of the truth."""
    return [
        true_status(
            [stance for _, stance in paragraph.arguments],
            [bool(helpful[argument - FIRST_ARGUMENT_ID]) for argument, _ in paragraph.arguments],
        )
        for paragraph in paragraphs
    ]


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """The probability that a random positive scores above a random negative (ties count half)."""
    pos, neg = np.asarray(positive, dtype=np.float64), np.asarray(negative, dtype=np.float64)
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    above = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(above / (pos.size * neg.size))


def tallies(community: Community) -> tuple[FloatArray, FloatArray]:
    """Per argument index: helpful and not-helpful vote counts."""
    index = community.arguments - FIRST_ARGUMENT_ID
    size = community.quality.size
    up = np.bincount(index[community.values > 0], minlength=size).astype(np.float64)
    down = np.bincount(index[community.values < 0], minlength=size).astype(np.float64)
    return up, down


def raw_scores(community: Community) -> FloatArray:
    """Per argument index: helpful minus not-helpful votes."""
    up, down = tallies(community)
    return up - down


def wilson_scores(community: Community, z: float = 1.96) -> FloatArray:
    """Per argument index: the Wilson lower bound of the share of helpful votes (0 without votes)."""
    up, down = tallies(community)
    n = np.maximum(up + down, 1.0)
    p = up / n
    centre = p + z * z / (2 * n) - z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.where(up + down > 0, centre / (1 + z * z / n), 0.0)


def rank_of(scores: FloatArray, index: int, among: Sequence[int] | None = None) -> int:
    """The 1-based rank of argument `index` among the arguments `among` (all by default) ordered by score, highest
    first (ties to the worse rank)."""
    chosen = scores if among is None else scores[np.asarray(among, dtype=np.int64)]
    return int((chosen >= scores[index]).sum())


def paragraph_of(paragraphs: Sequence[Paragraph], index: int) -> list[int]:
    """The argument indices of the paragraph holding argument `index`."""
    wanted = FIRST_ARGUMENT_ID + index
    for paragraph in paragraphs:
        ids = [argument for argument, _ in paragraph.arguments]
        if wanted in ids:
            return [argument - FIRST_ARGUMENT_ID for argument in ids]
    raise ValueError(f"no paragraph holds argument {index}")


@dataclass(frozen=True)
class Scored:
    """The scorer's verdicts on a community by argument index: helpfulness (-inf when unknown) and helpful."""

    helpfulness: FloatArray
    helpful: npt.NDArray[np.bool_]
    scores: dict[int, ArgumentScore]


def score(community: Community, seed: int = 0) -> Scored:
    """Score the community's votes."""
    scores = score_votes(community.voters.tolist(), community.arguments.tolist(), community.values.tolist(), seed=seed)
    helpfulness = np.full(community.quality.size, -np.inf)
    helpful = np.zeros(community.quality.size, dtype=bool)
    for argument_id, result in scores.items():
        index = community.argument_index(argument_id)
        if result.helpfulness is not None:
            helpfulness[index] = result.helpfulness
        helpful[index] = bool(result.helpful)
    return Scored(helpfulness=helpfulness, helpful=helpful, scores=scores)
