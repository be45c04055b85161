"""Comparators: pure functions (a, b) -> comparison level, one per kind of field.

Every comparator returns one of its documented level strings and returns MISSING when either
side has nothing to compare. Levels are ordered best first in each `*_LEVELS` tuple.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from ccms_graph.matching.addresses import comparable_city, comparable_line, house_and_street, street_parts
from ccms_graph.matching.dates import Dob
from ccms_graph.matching.identifiers import digits, vin_check_digit_ok
from ccms_graph.matching.names import (
    PersonName,
    ascii_text,
    core_tokens,
    mistyped_nickname,
    nickname_related,
    one_edit_apart,
    phonetic_key,
)

MISSING = "missing"

#: Jaro-Winkler similarity above which two name tokens count as a spelling variant.
NAME_JW = 0.90


#: Names at least this long also count as variants at one Damerau-Levenshtein edit ("Tepi"/"Tehi"):
#: Jaro-Winkler alone drops below NAME_JW for a typo in a short name.
NAME_DL_MIN_LENGTH = 4


def _close(a: str, b: str) -> bool:
    """Spelling variants: Jaro-Winkler >= NAME_JW, the same Metaphone key, or one edit in a name of 4+ letters.
    Never two names with other numbers in them: "Unsub 1" and "Unsub 2", "Doe2" and "Doe3" are a file's
    placeholders for different people, not one name respelled."""
    if digits(a) != digits(b):
        return False
    if JaroWinkler.similarity(a, b) >= NAME_JW or phonetic_key(a) == phonetic_key(b):
        return True
    return min(len(a), len(b)) >= NAME_DL_MIN_LENGTH and one_edit_apart(a, b)


# --- person names -------------------------------------------------------------------------------

NAME_LEVELS = (
    "exact", "swapped", "nickname", "given_fuzzy", "initial", "family_fuzzy", "fuzzy", "swapped_fuzzy",
    "swapped_respelled",
    "family_only", "given_only", "family_fuzzy_only", "given_fuzzy_only", "swapped_only", "swapped_fuzzy_only",
    "family_differs", "family_differs_given_fuzzy", "given_differs", "given_differs_family_fuzzy", "swapped_differs",
    "swapped_differs_fuzzy", "disagree", MISSING,
)


def _family_level(a: PersonName, b: PersonName) -> str:
    return _family_tokens_level(a.family, b.family)


@lru_cache(maxsize=1 << 16)
def _family_tokens_level(fa: tuple[str, ...], fb: tuple[str, ...]) -> str:
    """`_family_level` of two family names' tokens, remembered: scoring meets the same pairs of surnames
    again and again (the candidates of a name share its surname, or one close to it)."""
    if not fa or not fb:
        return MISSING
    core_a, core_b = core_tokens(fa), core_tokens(fb)  # PersonName.family_core
    if core_a == core_b or "".join(fa) == "".join(fb):
        return "eq"
    if digits("".join(fa)) != digits("".join(fb)):  # "Doe" and "Doe 2": two placeholders (`_close`)
        return "no"
    ca, cb = set(core_a), set(core_b)
    if ca <= cb or cb <= ca:  # "Garcia" vs "Garcia Lopez": a dropped second surname
        return "fuzzy"
    if _close("".join(core_a), "".join(core_b)):
        return "fuzzy"
    if len(ca) > 1 or len(cb) > 1:  # "Gonzales" vs "Jumowu-Gonzalez": one half, respelled
        if any(min(len(x), len(y)) >= NAME_DL_MIN_LENGTH and _close(x, y) for x in ca for y in cb):
            return "fuzzy"
    return "no"


def _given_level(a: PersonName, b: PersonName) -> str:
    return _given_tokens_level(a.given, b.given)


@lru_cache(maxsize=1 << 16)
def _given_tokens_level(given_a: tuple[str, ...], given_b: tuple[str, ...]) -> str:
    """`_given_level` of two given names' tokens, remembered (see `_family_tokens_level`)."""
    if not given_a or not given_b:
        return MISSING
    ga, gb = given_a[0], given_b[0]
    if ga == gb or "".join(given_a) == "".join(given_b):
        return "eq"
    if len(ga) == 1 or len(gb) == 1:
        return "initial" if ga[0] == gb[0] else "no"
    if nickname_related(ga, gb):
        return "nick"
    if _close(ga, gb):
        return "fuzzy"
    return "nick" if mistyped_nickname(ga, gb) else "no"


_COMBINED = {
    ("eq", "eq"): "exact",
    ("eq", "nick"): "nickname",
    ("eq", "fuzzy"): "given_fuzzy",
    ("eq", "initial"): "initial",
    ("eq", MISSING): "family_only",
    ("eq", "no"): "given_differs",
    ("fuzzy", "eq"): "family_fuzzy",
    ("fuzzy", "nick"): "family_fuzzy",
    ("fuzzy", "fuzzy"): "fuzzy",
    ("fuzzy", "initial"): "fuzzy",
    (MISSING, "eq"): "given_only",
    (MISSING, "nick"): "given_only",
    (MISSING, "fuzzy"): "given_fuzzy_only",
    ("fuzzy", MISSING): "family_fuzzy_only",
    # One side gives only a given name and the other only a surname ("Joshua", "Williams"): no part of
    # the one can be held against the other, so the names say nothing either way (their swap, one
    # side's name in the other's field, is tried by `compare_person_name`). Nor does an initial that
    # fits the other's given name when a side has no surname ("J", "John Smith").
    (MISSING, MISSING): MISSING,
    (MISSING, "initial"): MISSING,
    # The same given name under another surname: a married name, an alias, a father's surname dropped.
    ("no", "eq"): "family_differs",
    # The same, with the part that agrees respelled.
    ("no", "fuzzy"): "family_differs_given_fuzzy",
    ("fuzzy", "no"): "given_differs_family_fuzzy",
}

#: What a level found with one side's given and family names exchanged becomes: a swap plus one
#: more slip (a typo, an initial) is its own level, weaker than a clean swap, and a swap with both
#: parts respelled weaker again; a
#: lone name that equals (or is a respelling of) the other record's name in the other field
#: ("Aleksandr" as a surname, "Aleksandr Petrov") is `swapped_only` (`swapped_fuzzy_only`); one
#: side's given name equal to (a respelling of) the other's surname, the other parts unrelated, is
#: `swapped_differs` (`swapped_differs_fuzzy`): the mirror way round is family_differs, not mapped.
_SWAPPED = {"exact": "swapped", "nickname": "swapped", "given_fuzzy": "swapped_fuzzy",
            "family_fuzzy": "swapped_fuzzy", "initial": "swapped_fuzzy", "fuzzy": "swapped_respelled",
            "family_only": "swapped_only", "family_fuzzy_only": "swapped_fuzzy_only",
            "given_differs": "swapped_differs", "given_differs_family_fuzzy": "swapped_differs_fuzzy"}


def oriented(a: PersonName, b: PersonName) -> str:
    """The name level of a against b as they stand (no swap tried)."""
    return _COMBINED.get((_family_level(a, b), _given_level(a, b)), "disagree")


@lru_cache(maxsize=1 << 14)
def swap(name: PersonName) -> PersonName:
    """The same name with given and family parts exchanged (remembered: a PersonName is immutable, and
    building one was a tenth of comparing a pair of names)."""
    return PersonName(given=name.family, middle=name.middle, family=name.given)


def compare_person_name(a: PersonName, b: PersonName) -> str:
    """Agreement means the same person name, allowing nicknames, typos, initials and given/family swap.

    'swapped_fuzzy' is a swap plus one more slip (a typo or an initial in either part);
    'swapped_respelled' a swap with both parts respelled (three slips);
    'family_fuzzy_only' a respelled family name where one side has no given name, and
    'given_fuzzy_only' a respelled given name where one side has no family name;
    'swapped_only' a lone name equal to the other record's name in the other field (a surname
    "Aleksandr" for the given name of "Aleksandr Petrov"), 'swapped_fuzzy_only' a respelling of it;
    'given_differs_family_fuzzy' ('family_differs_given_fuzzy') another given name (surname) beside
    a respelled surname (given name); 'swapped_differs' one side's given name as the other's surname
    with the other parts unrelated, 'swapped_differs_fuzzy' the same with the crossed name respelled.
    """
    if a.is_empty or b.is_empty:
        return MISSING
    direct = oriented(a, b)
    if direct == "exact":
        return direct
    # Both ways round, so that the comparator stays symmetric.
    turned = (_SWAPPED.get(oriented(a, swap(b))), _SWAPPED.get(oriented(swap(a), b)))
    swapped = {lvl for lvl in turned if lvl is not None}
    if "swapped" in swapped:
        return "swapped"
    # All tokens the same but split differently ("John Paul" + "Smith" vs "John" + "Paul Smith"); two
    # lone names ("Madison" and "Madison") are not split at all.
    all_a = sorted(a.given + a.middle + a.family)
    all_b = sorted(b.given + b.middle + b.family)
    both_parts = a.given and a.family and b.given and b.family
    if both_parts and all_a == all_b and direct not in ("exact", "nickname"):
        return "swapped"
    return best_level({direct, *swapped}, NAME_LEVELS)


MIDDLE_LEVELS = ("agree", "fuzzy", "initial", "disagree", MISSING)


def compare_middle_name(a: PersonName, b: PersonName) -> str:
    """Agreement means both names give the same middle name; 'initial' an initial that fits the other's."""
    if not a.middle or not b.middle:
        return MISSING
    if set(a.middle) & set(b.middle):
        return "agree"
    ma, mb = a.middle[0], b.middle[0]
    if len(ma) == 1 or len(mb) == 1:
        return "initial" if ma[0] == mb[0] else "disagree"
    return "fuzzy" if _close(ma, mb) else "disagree"


def best_level(levels: Iterable[str], order: tuple[str, ...]) -> str:
    """The best of several levels of one comparator, by its order; MISSING when there are none."""
    return min(levels, key=rank(order).__getitem__, default=MISSING)


@lru_cache(maxsize=64)
def rank(order: tuple[str, ...]) -> dict[str, int]:
    """level -> its place in a comparator's `order` (best first). Read-only: it is shared."""
    return {lvl: i for i, lvl in enumerate(order)}


# --- dates of birth -----------------------------------------------------------------------------

DOB_LEVELS = ("exact", "partial", "transposed", "typo", "year_near", "two_slips", "year_digit", "same_year", "disagree",
              MISSING)


def _slips(a: Dob, b: Dob) -> int:
    """How many of the usual slips (day/month transposed, day one off, year one off) turn full date a
    into b; 3 when it takes more (or something else)."""
    years = abs(a.year - b.year)  # type: ignore[operator]
    if years > 1:
        return 3
    best = 3
    for m, d, t in ((a.month, a.day, 0), (a.day, a.month, 1)):
        if m == b.month and abs(d - b.day) <= 1:  # type: ignore[operator]
            best = min(best, years + t + abs(d - b.day))  # type: ignore[operator]
    return best


def compare_dob(a: Dob, b: Dob) -> str:
    """Agreement means the same date of birth; lower levels are the usual clerical slips.

    'typo': one digit or two adjacent digits of the month or day, or the day one off; 'year_near':
    the year one off; 'year_digit': one other digit of the year;
    'two_slips': two of (day/month transposed, day one off, year one off) at once. A date made
    impossible by one digit ("1902-78-03") counts as that slip against the date it was typed from.
    """
    if a.is_missing or b.is_missing:
        return _impossible_slip(a, b) or _impossible_slip(b, a) or MISSING
    if a.is_full and b.is_full:
        if (a.year, a.month, a.day) == (b.year, b.month, b.day):
            return "exact"
        if a.year == b.year and a.month == b.day and a.day == b.month:
            return "transposed"
        slips = min(_slips(a, b), _slips(b, a))
        if slips == 1:  # the day one off (also 10 -> 09), or the year (1979 -> 1980)
            return "typo" if a.year == b.year else "year_near"
        if DamerauLevenshtein.distance(a.iso() or "", b.iso() or "") == 1:
            # One digit: in the month or day a typo; in the year (1958 -> 1988) a digit slip that
            # many unrelated dates share, so a level of its own.
            return "typo" if a.year == b.year else "year_digit"
        if slips == 2:
            return "two_slips"
    else:
        pairs = [(x, y) for x, y in ((a.month, b.month), (a.day, b.day)) if x is not None and y is not None]
        if all(x == y for x, y in pairs):
            if a.year == b.year:
                return "partial"
            if abs((a.year or 0) - (b.year or 0)) == 1:
                return "year_near"
    if abs((a.year or 0) - (b.year or 0)) == 1 and (a.month, a.day) == (b.month, b.day):
        return "year_near"
    if a.year == b.year:
        return "same_year"
    return "disagree"


#: Digit orders a date is typed in: YYYYMMDD, MMDDYYYY, DDMMYYYY, with where the year's digits are.
_DIGIT_ORDERS = (("{y:04d}{m:02d}{d:02d}", slice(0, 4)), ("{m:02d}{d:02d}{y:04d}", slice(4, 8)),
                 ("{d:02d}{m:02d}{y:04d}", slice(4, 8)))


def _impossible_slip(a: Dob, b: Dob) -> str | None:
    """'typo' (or 'year_digit') when a is an impossible date whose eight digits are one digit (or two
    adjacent ones swapped) from full date b's in some order; None otherwise."""
    digits = "".join(c for c in a.raw if c.isdigit())
    if a.valid or len(digits) != 8 or not b.is_full:
        return None
    for order, year in _DIGIT_ORDERS:
        typed = order.format(y=b.year, m=b.month, d=b.day)
        if DamerauLevenshtein.distance(digits, typed, score_cutoff=1) == 1:
            first = next(i for i, (x, y) in enumerate(zip(digits, typed, strict=True)) if x != y)
            return "year_digit" if year.start <= first < year.stop else "typo"
    return None


# --- sex ----------------------------------------------------------------------------------------

_SEX = {"m": "m", "male": "m", "man": "m", "f": "f", "female": "f", "woman": "f"}


def _sex(value: object) -> str | None:
    return _sex_of_text(value) if isinstance(value, str) else _SEX.get(ascii_text(value))


@lru_cache(maxsize=256)
def _sex_of_text(value: str) -> str | None:
    """`_SEX` of a stated sex, remembered: the few spellings recur on every pair."""
    return _SEX.get(ascii_text(value))


def compare_sex(a: object, b: object) -> str:
    """Agreement means both records state the same sex; 'unknown' counts as missing."""
    sa, sb = _sex(a), _sex(b)
    if sa is None or sb is None:
        return MISSING
    return "agree" if sa == sb else "disagree"


# --- identifiers and other exact values ---------------------------------------------------------

SET_LEVELS = ("agree", "disagree", MISSING)
#: A person's phones: `compare_sets`, and "household" where the pair compares as relatives do (`model`).
PHONE_LEVELS = ("agree", "household", "disagree", MISSING)
ID_LEVELS = ("agree", "typo", "disagree", MISSING)


def compare_sets(a: Collection[str], b: Collection[str]) -> str:
    """Agreement means the two records share at least one normalized value (phones, emails, ids)."""
    if not a or not b:
        return MISSING
    return "agree" if set(a) & set(b) else "disagree"


def compare_identifier(a: Collection[str], b: Collection[str]) -> str:
    """Agreement means an equal normalized identifier; 'typo' means one edit apart (one digit or a swap)."""
    level = compare_sets(a, b)
    if level == "disagree" and any(DamerauLevenshtein.distance(x, y) == 1 for x in a for y in b):
        return "typo"
    return level


#: E-mail addresses at least this long two edits apart are 'close'.
CLOSE_EMAIL_LENGTH = 15
_NO_DIGITS = str.maketrans("", "", "0123456789")


def compare_emails(a: Collection[str], b: Collection[str]) -> str:
    """Agreement means a shared (normalized) address; 'typo' one edit apart (a letter dropped, doubled,
    swapped or mistyped, in the mailbox or the domain), 'close' two edits apart when both are at least
    CLOSE_EMAIL_LENGTH long (`two_slips_apart`). Addresses that differ only in their digits
    ("j.smith12@…", "j.smith13@…": numbered mailboxes of a common name, as often two people's as one
    person's slip) are 'disagree' however close: a clerk's slip seldom keeps every letter."""
    level = compare_sets(a, b)
    if level != "disagree":
        return level
    pairs = [(x, y) for x in a for y in b if x.translate(_NO_DIGITS) != y.translate(_NO_DIGITS)]
    if any(DamerauLevenshtein.distance(x, y, score_cutoff=1) == 1 for x, y in pairs):
        return "typo"
    if any(two_slips_apart(x, y, min_length=CLOSE_EMAIL_LENGTH) for x, y in pairs):
        return "close"
    return level


KEYED_ID_LEVELS = ("agree", "typo", "close", "disagree", MISSING)
#: Values at least this long two edits apart are 'close' (shorter ones: another value).
CLOSE_ID_LENGTH = 7


def two_slips_apart(x: str, y: str, digits: bool = True, min_length: int = CLOSE_ID_LENGTH) -> bool:
    """Two values two edits apart (Damerau: a swap of neighbours is one), both at least `min_length`
    long; with `digits` False, neither of digits only (see `compare_long_identifier`)."""
    return (min(len(x), len(y)) >= min_length and (digits or not (x.isdigit() or y.isdigit()))
            and DamerauLevenshtein.distance(x, y, score_cutoff=2) == 2)


def compare_keyed_identifiers(a: Collection[str], b: Collection[str]) -> str:
    """Identifiers of any kind as "<kind>:<value>" keys: 'typo' when two of one kind are one edit
    apart, 'close' when two of CLOSE_ID_LENGTH characters or more are two edits apart (two slips)."""
    level = compare_sets(a, b)
    if level != "disagree":
        return level
    for x in a:
        kind, _, value = x.partition(":")
        for y in b:
            other_kind, _, other = y.partition(":")
            if kind != other_kind:
                continue
            if DamerauLevenshtein.distance(value, other, score_cutoff=1) == 1:
                return "typo"
            if two_slips_apart(value, other):
                level = "close"
    return level


def compare_unverified(a_unverified: Collection[str], a_ids: Collection[str], b_unverified: Collection[str],
                       b_ids: Collection[str]) -> str:
    """A side's unverified identifiers (keys under their own kind, "vin:<16 characters>") against the
    other side's identifiers, valid or not, as `compare_keyed_identifiers`: 'agree' an equal value of
    one kind, 'typo' one edit apart (the VIN that lost a character, against the valid one), 'close'
    two. Valid against valid is the identifier's own field; missing unless a side has an unverified one."""
    if not a_unverified and not b_unverified:
        return MISSING
    levels = []
    if a_unverified and (other := {*b_unverified, *b_ids}):
        levels.append(compare_keyed_identifiers(a_unverified, other))
    if b_unverified and a_ids:
        levels.append(compare_keyed_identifiers(a_ids, b_unverified))
    return best_level(levels, KEYED_ID_LEVELS) if levels else MISSING


LONG_ID_LEVELS = ("agree", "typo", "close", "disagree", MISSING)


def compare_long_identifier(a: Collection[str], b: Collection[str], digits: bool = False) -> str:
    """As `compare_identifier` (VIN, hull id); 'close' when two values are two edits apart and long
    enough for that to be rare by chance (`two_slips_apart`; digit-only values only with `digits`).

    Counted on the generator's vehicles and vessels (seed 23, stress copies): a VIN (17 characters)
    two edits from its copy's in 18% of true pairs and none of 304k random ones, a hull id (12) in 4%
    and none of 96k. Person identifiers (SSN, A-Number) keep `compare_identifier`: nine digits."""
    level = compare_identifier(a, b)
    if level == "disagree" and any(two_slips_apart(x, y, digits) for x in a for y in b):
        return "close"
    return level


VIN_LEVELS = ("agree", "typo_bad_check", "typo", "close_bad_check", "close", "disagree", MISSING)
#: First characters of a World Manufacturer Identifier made for North America (1-5: United States,
#: Canada, Mexico), where the ninth character must be the check digit (49 CFR 565): elsewhere it may be
#: a filler, and a VIN that fails the check is no sign of a slip.
CHECKED_VIN_REGIONS = frozenset("12345")


def _slipped_vin(x: str, y: str) -> bool:
    """Two North American VINs of which at least one fails its check digit: no vehicle carries that one."""
    return (x[0] in CHECKED_VIN_REGIONS and y[0] in CHECKED_VIN_REGIONS
            and not (vin_check_digit_ok(x) and vin_check_digit_ok(y)))


def compare_vin(a: Collection[str], b: Collection[str]) -> str:
    """As `compare_long_identifier`, with 'typo_bad_check' / 'close_bad_check' for VINs one / two edits
    apart of which one fails its check digit (`_slipped_vin`): a VIN that fails it is a slip of some
    vehicle's VIN, so the other one, a slip or two away, is very probably that vehicle's.

    Two valid VINs a slip or two apart stay 'typo' / 'close': one plant's serial run numbers a model
    year's vehicles in sequence, and two of them differ in a serial digit and the check digit. A copy
    slipped from a valid VIN fails the check 10 times in 11. Counted on the generator's vehicles (stress
    copies, seeds 23 and 29): 283 and 246 of the 308 and 264 true pairs one edit apart have a side
    failing, 125 and 99 of the 128 and 109 two edits apart; none of 304k and 287k pairs of different
    vehicles is within two edits."""
    level = compare_long_identifier(a, b)
    if level == "typo" and any(DamerauLevenshtein.distance(x, y, score_cutoff=1) == 1 and _slipped_vin(x, y)
                               for x in a for y in b):
        return "typo_bad_check"
    if level == "close" and any(two_slips_apart(x, y, digits=False) and _slipped_vin(x, y) for x in a for y in b):
        return "close_bad_check"
    return level


def compare_number(a: Collection[str], b: Collection[str]) -> str:
    """As `compare_long_identifier`, digit-only values included, for a number issued once (a business's
    EIN): two edits are what two copies each slipped once from one original show. The level adds no
    evidence (see `model.WEIGHTS`); it only stops two such values counting as two numbers."""
    return compare_long_identifier(a, b, digits=True)


QUALIFIED_LEVELS = ("agree", "agree_unqualified", "typo", "qualifier_differs", "disagree", MISSING)


def compare_qualified(a: Collection[tuple[str, str]], b: Collection[tuple[str, str]],
                      unsure: Callable[[str, str], bool] | None = None) -> str:
    """Agreement means the same number issued by the same country/state (passport, license, plate).

    'agree_unqualified': same number, issuer missing on a side (or two issuers `unsure` cannot tell
    apart: an aircraft maker's group and one of its brands, `makes_unsure`); 'typo': numbers one edit
    apart (a character mistyped or two swapped) from the same or an unknown issuer;
    'qualifier_differs': same number, different issuers (probably two documents).
    """
    if not a or not b:
        return MISSING
    best = "disagree"
    for num_a, iss_a in a:
        for num_b, iss_b in b:
            known = bool(iss_a and iss_b and not (unsure and unsure(iss_a, iss_b)))
            if num_a != num_b:
                if (not known or iss_a == iss_b) and len(num_a) >= 5 \
                        and DamerauLevenshtein.distance(num_a, num_b) == 1:
                    best = best_level((best, "typo"), QUALIFIED_LEVELS)
                continue
            if known:
                level = "agree" if iss_a == iss_b else "qualifier_differs"
            else:
                level = "agree_unqualified"
            best = best_level((best, level), QUALIFIED_LEVELS)
    return best


#: Aircraft makers' groups -> the brands they register aircraft under: the FAA registry lists Cessnas
#: and Beechcrafts built since 2014 as "Textron Aviation", older ones under the brand, so one
#: airframe's records name either. The group names neither brand: against one of them it says nothing.
MAKER_GROUPS: dict[str, frozenset[str]] = {"textron": frozenset({"cessna", "beechcraft", "hawker"})}


def makes_unsure(a: str, b: str) -> bool:
    """Whether two different normalized makes may be one maker: a group and one of its brands."""
    return a != b and (b in MAKER_GROUPS.get(a, ()) or a in MAKER_GROUPS.get(b, ()))


def compare_make(a: str, b: str) -> str:
    """`compare_word` of two makes, missing where one is a maker's group and the other its brand
    ("Textron Aviation" and "Cessna": `makes_unsure`)."""
    return MISSING if makes_unsure(a, b) else compare_word(a, b)


def compare_make_qualified(a: Collection[tuple[str, str]], b: Collection[tuple[str, str]]) -> str:
    """`compare_qualified` of serials qualified by their makes, a group and its brand taken as unknown."""
    return compare_qualified(a, b, makes_unsure)


QUALIFIED_CLOSE_LEVELS = ("agree", "agree_unqualified", "typo", "close", "qualifier_differs", "disagree", MISSING)


def compare_plate(a: Collection[tuple[str, str]], b: Collection[tuple[str, str]]) -> str:
    """As `compare_qualified` (number, state); 'close' when two numbers from the same or an unknown
    state are two edits apart (`two_slips_apart`: plates of seven characters or more, not digits only).

    Counted on the generator's vehicles (seed 23, stress copies): 8% of true pairs, 2 of 230k random
    pairs (u ~ 9e-6). Aircraft serials are left out: within one make they share a prefix and differ
    in three or four digits, so 0.6% of random same-make pairs are two edits apart (2.6% of true ones).
    """
    level = compare_qualified(a, b)
    if level not in ("qualifier_differs", "disagree"):
        return level
    if any((not iss_a or not iss_b or iss_a == iss_b) and two_slips_apart(num_a, num_b, digits=False)
           for num_a, iss_a in a for num_b, iss_b in b):
        return "close"
    return level


ADDRESS_LEVELS = ("agree", "close", "line", "street", "same_area", "disagree", MISSING)

#: Two street texts (numbers left out) are one street up to a slip when the shorter lines up with
#: part of the longer at this rapidfuzz partial ratio or more, with the words run together (so a
#: split or joined word, "coplanddrive", lines up) in their order or sorted (the second line written
#: first): a respelled word, a dropped second line ("Rose Vale"). Texts shorter than
#: STREET_MIN_LENGTH never are (too many streets are "Elm").
STREET_RATIO = 85
STREET_MIN_LENGTH = 4


def compare_addresses(a: Collection[dict[str, str]], b: Collection[dict[str, str]]) -> str:
    """Agreement means a shared street address in one area (see `_area`); 'close' the same house
    number on a street spelled up to a slip, 'street' that street with another or no house number
    (both in an agreeing area); 'same_area' a shared postcode or city and state.

    'line': the same street line, or the same house on a street spelled up to a slip, where only the
    city says otherwise (no postcodes to differ, no states that differ): one place written as its
    neighbourhood on one side and its city on the other ("Los Angeles", "West Hollywood"), as
    directories and clerks do. Two towns' "1 Main St" look the same, so it weighs less than an
    agreeing area's `close`.

    Takes addresses already normalized by `addresses.normalize_address`.
    """
    a = [x for x in a if any(x.values())]
    b = [x for x in b if any(x.values())]
    if not a or not b:
        return MISSING
    found = {"disagree"}
    for x in a:
        for y in b:
            area = _area(x, y)
            line_x, line_y = comparable_line(x["line"]), comparable_line(y["line"])
            lines = bool(line_x and line_y)
            if lines and area == "conflict":
                if _city_only(x, y) and (line_x == line_y or _street(line_x, line_y) == "close"):
                    found.add("line")
            elif lines and line_x == line_y:
                return "agree"
            elif lines and ((street := _street(line_x, line_y)) == "close" or (street == "street" and area == "agree")):
                found.add(street)
            if (x["postcode"] and x["postcode"] == y["postcode"]) or (
                x["city"] and x["city"] == y["city"] and x["state"] == y["state"]
            ):
                found.add("same_area")
    return best_level(found, ADDRESS_LEVELS)


def _city_only(x: dict[str, str], y: dict[str, str]) -> bool:
    """Two addresses whose area conflicts (`_area`) by their cities alone: no two postcodes, no two states."""
    return not (x["postcode"] and y["postcode"]) and not (x["state"] and y["state"] and x["state"] != y["state"])


def _street(x: str, y: str) -> str | None:
    """'close': one street up to a slip and a house number in common; 'street': that street only.
    The same house number with the same street name after it, up to one slip, is 'close' too,
    however the rest of the line is spelled ("9 Rodway Sptreet" and "9 Rodway St, Canberra Hse")."""
    numbers_x, words_x = street_parts(x)
    numbers_y, words_y = street_parts(y)
    (house_x, name_x), (house_y, name_y) = house_and_street(x), house_and_street(y)
    if house_x and house_x == house_y and min(len(name_x), len(name_y)) >= STREET_MIN_LENGTH \
            and one_edit_apart(name_x, name_y):
        return "close"
    if min(len("".join(words_x)), len("".join(words_y))) < STREET_MIN_LENGTH:
        return None
    if max(fuzz.partial_ratio("".join(wx), "".join(wy))
           for wx, wy in ((words_x, words_y), (sorted(words_x), sorted(words_y)))) < STREET_RATIO:
        return None
    same_house = house_x == house_y if house_x and house_y else bool(numbers_x & numbers_y)
    return "close" if same_house else "street"


def _area(x: dict[str, str], y: dict[str, str]) -> str:
    """'agree': the postcode, or the city (with no other state), equal or one slip apart (a postcode
    one digit off counts only without another city); 'conflict': compared and not so ("1 Main St" of
    Reno and of Elko are two addresses, at best `compare_addresses`' 'line'); 'unknown': neither
    postcode nor city on both sides. Cities compare as `addresses.comparable_city` writes them."""
    postcode = _slip(x["postcode"], y["postcode"])
    city = _slip(comparable_city(x["city"]), comparable_city(y["city"]))
    states_differ = bool(x["state"] and y["state"] and x["state"] != y["state"])
    if postcode == "eq" or (city in ("eq", "slip") and not states_differ) or (postcode == "slip" and city != "no"):
        return "agree"
    return "unknown" if postcode is None and city is None else "conflict"


def _slip(x: str, y: str) -> str | None:
    """'eq', 'slip' (one edit apart, a transposition included), 'no', or None when a side is blank."""
    if not x or not y:
        return None
    if x == y:
        return "eq"
    return "slip" if one_edit_apart(x, y) else "no"


# --- free text: business names, vessel names, descriptions --------------------------------------

TEXT_LEVELS = ("exact", "strong", "close", "disagree", MISSING)


def compare_text(a: str, b: str) -> str:
    """Agreement means the same normalized text; 'strong'/'close' are Jaro-Winkler >= 0.95 / 0.88
    or the same words in another order. Names whose numbers differ ("Sea Breeze 2" and "Sea Breeze 3",
    "Ocean Star I" and "Ocean Star II", "Store 112" and "Store 113") are at most 'close': sister ships,
    branches and units are numbered apart, so the letters agreeing says less than it seems."""
    if not a or not b:
        return MISSING
    if a == b:
        return "exact"
    jw = JaroWinkler.similarity(a, b)
    if jw >= 0.95 or sorted(a.split()) == sorted(b.split()):
        return "close" if _numbers(a) != _numbers(b) else "strong"
    if jw >= 0.88:
        return "close"
    return "disagree"


_DIGIT_RUNS = re.compile(r"\d+")
_ROMAN = frozenset({"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"})


def _numbers(text: str) -> list[str]:
    """The numbers a name is written with: runs of digits and Roman numerals standing as words."""
    return sorted(_DIGIT_RUNS.findall(text) + [w for w in text.split() if w in _ROMAN])


def compare_best_text(a: Iterable[str], b: Iterable[str]) -> str:
    """The best compare_text level over every pair of names (name and DBAs, for instance)."""
    bs = [y for y in b if y]
    return best_level((compare_text(x, y) for x in a if x for y in bs), TEXT_LEVELS)


BUSINESS_NAME_LEVELS = ("exact", "strong", "close", "contained", "disagree", MISSING)

#: The fewest letters the shorter name of a 'contained' pair has: "Ace" is in too many names.
CONTAINED_MIN_LETTERS = 4


def compare_business_names(a: Iterable[str], b: Iterable[str]) -> str:
    """The best level over every pair of names and DBAs (normalized by `names.business_key`): a pair's
    `compare_text` level, or 'contained' where that disagrees but every word of one name is among the
    other's: a trade name written with what the place is or where ("Bones" and "Bones Restaurant",
    "Spago" and "Spago (Los Angeles)", "Katsu" and "Restaurant Katsu"), as directories and filings differ."""
    bs = [y for y in b if y]
    return best_level((_business_name_level(x, y) for x in a if x for y in bs), BUSINESS_NAME_LEVELS)


def _business_name_level(x: str, y: str) -> str:
    level = compare_text(x, y)
    return "contained" if level == "disagree" and _contained(x, y) else level


def _contained(x: str, y: str) -> bool:
    wx, wy = frozenset(x.split()), frozenset(y.split())
    short, long = (wx, wy) if len(wx) <= len(wy) else (wy, wx)
    return short <= long and sum(len(w) for w in short) >= CONTAINED_MIN_LETTERS


DESCRIPTION_LEVELS = ("strong", "close", "disagree", MISSING)


def compare_description(a: str, b: str) -> str:
    """Agreement means descriptions sharing most words (rapidfuzz token-set ratio >= 90; 'close' >= 70)."""
    a, b = ascii_text(a), ascii_text(b)
    if not a or not b:
        return MISSING
    ratio = fuzz.token_set_ratio(a, b)
    return "strong" if ratio >= 90 else "close" if ratio >= 70 else "disagree"


WORD_LEVELS = ("agree", "disagree", MISSING)


def compare_word(a: str, b: str) -> str:
    """Agreement means the same short normalized value (make, model, colour, flag, category),
    allowing a one-letter typo in words of five letters or more."""
    if not a or not b:
        return MISSING
    if a == b or (min(len(a), len(b)) >= 5 and DamerauLevenshtein.distance(a, b) <= 1):
        return "agree"
    return "disagree"


def compare_model(a: str, b: str) -> str:
    """Agreement means the same model designation written with or without its spaces and hyphens
    ("F-150", "F150"; "PA-28-181", "PA28181"), as `compare_word` allows a typo (the blocking's
    `model_key` reads a model the same way)."""
    return compare_word(a.replace(" ", ""), b.replace(" ", ""))


LEGAL_FORM_LEVELS = ("agree", "named_differs", "disagree", MISSING)


def compare_legal_form(a_kind: str, a_named: str, b_kind: str, b_named: str) -> str:
    """Agreement means the same legal form, each side's the kind stated or else the one its name's
    designator states ("Inc": a corporation); 'named_differs' means two forms, one read off a name."""
    level = compare_word(a_kind or a_named, b_kind or b_named)
    if level != "disagree" or (a_kind and b_kind):
        return level
    return "named_differs"


YEAR_LEVELS = ("agree", "near", "disagree", MISSING)


def compare_year(a: int | None, b: int | None) -> str:
    """Agreement means the same model year; 'near' means one year apart (model vs sale year)."""
    if a is None or b is None:
        return MISSING
    return "agree" if a == b else "near" if abs(a - b) == 1 else "disagree"
