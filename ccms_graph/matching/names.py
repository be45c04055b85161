"""Normalize person and business names into ASCII tokens, nickname variants and phonetic keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from nicknames import NickNamer
from rapidfuzz.distance import DamerauLevenshtein
from unidecode import unidecode

# Apostrophes and similar marks join the letters around them ("O'Brien" -> "obrien"); every
# other non-alphanumeric character separates tokens ("Garcia-Lopez" -> "garcia lopez").
_JOINERS = re.compile(r"['’‘`´ʼ.]")
_SEPARATORS = re.compile(r"[^a-z0-9]+")

#: Surname particles. They are kept in the full token list but ignored when deciding whether two
#: family names agree, because clerks write "de la Cruz", "Delacruz" and "Cruz" for one person.
PARTICLES = frozenset(
    "de la las los del da das do dos di du le van von der den ter ten bin ibn al el abu ben bint st".split()
)

#: Generational suffixes and titles: not part of the identity of a name.
_NAME_NOISE = frozenset("jr sr ii iii iv mr mrs ms miss dr rev".split())


def ascii_text(value: object) -> str:
    """Lowercase ASCII text with punctuation turned into single spaces; '' for None."""
    if value is None:
        return ""
    text = unidecode(str(value)).lower()
    text = _JOINERS.sub("", text)
    return " ".join(_SEPARATORS.split(text)).strip()


def tokens(value: object) -> tuple[str, ...]:
    """The normalized word tokens of a name, titles and suffixes (Jr, Dr, III) removed."""
    return tuple(t for t in ascii_text(value).split() if t not in _NAME_NOISE)


def core_tokens(toks: tuple[str, ...]) -> tuple[str, ...]:
    """Tokens without surname particles; the tokens themselves when they are all particles."""
    core = tuple(t for t in toks if t not in PARTICLES)
    return core or toks


@dataclass(frozen=True)
class PersonName:
    """A person name as normalized token tuples; any part may be empty."""

    given: tuple[str, ...] = ()
    middle: tuple[str, ...] = ()
    family: tuple[str, ...] = ()

    @property
    def first(self) -> str:
        """The first given-name token, or ''."""
        return self.given[0] if self.given else ""

    @property
    def family_core(self) -> tuple[str, ...]:
        """Family-name tokens without particles ("de la Cruz" -> ("cruz",))."""
        return core_tokens(self.family)

    @property
    def family_compact(self) -> str:
        """The family name with spaces, hyphens and particles run together ("delacruz")."""
        return "".join(self.family)

    @property
    def is_empty(self) -> bool:
        return not (self.given or self.family)


def person_name(given: object = None, middle: object = None, family: object = None) -> PersonName:
    """Build a PersonName from the three record fields."""
    return PersonName(tokens(given), tokens(middle), tokens(family))


def parse_full_name(full: object) -> PersonName:
    """Split a free-text full name such as an alias.

    "Smith, John Paul" is family-first (comma). Otherwise the first token is the given name and
    the family name starts at the first particle after it ("Maria de la Cruz") or is the last
    token ("John Paul Smith").
    """
    if full is None:
        return PersonName()
    text = str(full)
    if "," in text:
        family_part, _, rest = text.partition(",")
        rest_toks = tokens(rest)
        return PersonName(rest_toks[:1], rest_toks[1:], tokens(family_part))
    toks = tokens(text)
    if len(toks) <= 1:
        return PersonName((), (), toks)
    start = len(toks) - 1
    for i in range(1, len(toks) - 1):
        if toks[i] in PARTICLES:
            start = i
            break
    return PersonName(toks[:1], toks[1:start], toks[start:])


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=8192)
def _relatives(given: str) -> tuple[frozenset[str], frozenset[str]]:
    """(nicknames of, names it is a nickname of) one normalized given-name token."""
    namer = _nicknamer()
    return frozenset(namer.nicknames_of(given)), frozenset(namer.canonicals_of(given))


@lru_cache(maxsize=65536)
def nickname_related(a: str, b: str) -> bool:
    """Whether two given-name tokens are the same name, one a nickname of the other ("Bill",
    "William"), or two nicknames of one name ("Peggy", "Maggie": Margaret).

    The `nicknames` package (Old-Friends/carltonnorthern names.csv) lists relations both ways
    round, so "Robert" and "William" both count "Bill" among their names; a shared name only
    links two tokens when it is a full name of both, not a nickname of either.
    """
    a, b = ascii_text(a).replace(" ", ""), ascii_text(b).replace(" ", "")
    if not a or not b:
        return False
    if a == b:
        return True
    (nick_a, canon_a), (nick_b, canon_b) = _relatives(a), _relatives(b)
    if b in nick_a or b in canon_a or a in nick_b or a in canon_b:
        return True
    return any(c not in nick_a and c not in nick_b for c in canon_a & canon_b)


def one_edit_apart(a: str, b: str) -> bool:
    """Whether two tokens are at most one edit apart (Damerau: a transposition counts as one)."""
    return DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1


@lru_cache(maxsize=65536)
def mistyped_nickname(a: str, b: str) -> bool:
    """Whether one normalized given-name token is one typo (an edit) from a nickname or full name
    of the other ("Mmike" for "Michael"); tokens of four letters or more. A token the nickname
    table knows is a name in its own right ("Mark" is not a typo of "Mari"), never a typo."""
    if min(len(a), len(b)) < 4 or a == b:
        return False
    for typed, other in ((a, b), (b, a)):
        if any(_relatives(typed)):
            continue
        nicks, canons = _relatives(other)
        if any(one_edit_apart(typed, t) for t in nicks | canons):
            return True
    return False


@lru_cache(maxsize=16384)
def phonetic_key(token: str) -> str:
    """Metaphone key of one name token, for blocking.

    Metaphone was picked over Soundex and NYSIIS because it folds common transliteration
    variants together (Mohammed/Muhammad/Mohamed -> "MHMT", Hussein/Husain -> "HSN",
    Mueller/Muller -> "MLR") while Soundex keeps the first letter (Catherine/Katherine differ).
    A token with no letters keys as itself.
    """
    norm = ascii_text(token).replace(" ", "")
    if not norm:
        return ""
    return jellyfish.metaphone(norm).upper() or norm.upper()


# Legal-form words removed from business names. Multi-word forms are matched after tokenizing.
_LEGAL_SUFFIXES = frozenset(
    """inc incorporated llc llp lp ltd limited corp corporation co company plc gmbh ag sa sas sarl
    srl spa bv nv oy ab pty pllc pc lc kg ohg ug sl sau cv sab de""".split()
)
_BUSINESS_STOPWORDS = frozenset({"the"})


#: The legal form (`nodes.vocabulary.BUSINESS_KINDS`) each designator a business name may end with
#: states: US state statutes let only a corporation end its name in "Inc" or "Corp", only an LLC in
#: "LLC", a limited partnership in "LP". "Co" and "Ltd" are left out: corporations and LLCs both use them.
_DESIGNATOR_FORMS = {"inc": "corporation", "incorporated": "corporation", "corp": "corporation",
                     "corporation": "corporation", "llc": "llc", "lc": "llc", "pllc": "llc", "lp": "partnership",
                     "llp": "partnership"}


def business_legal_form(name: object) -> str:
    """The legal form the designator a business name ends with states ("Acme Trading L.L.C." -> "llc",
    "Acme Co., Inc." -> "corporation"); '' when it ends with none, or with one that states no form ("Co")."""
    toks = tokens(name)
    return _DESIGNATOR_FORMS.get(toks[-1], "") if len(toks) > 1 else ""


def business_key(name: object) -> str:
    """Comparable form of a business name: ASCII, lowercase, no legal form, '&' == 'and'.

    "The Acme Trading Co., Inc." and "ACME TRADING" both give "acme trading".
    """
    text = str(name) if name is not None else ""
    text = text.replace("&", " and ").replace("+", " and ")
    toks = list(tokens(text))
    if toks and toks[0] in _BUSINESS_STOPWORDS:
        toks = toks[1:]
    # Strip legal forms from the end only, so "Company Store" keeps its first word.
    # "Smith & Co." leaves a dangling "and" once "co" is gone.
    while len(toks) > 1 and (toks[-1] in _LEGAL_SUFFIXES or toks[-1] == "and"):
        toks.pop()
    return " ".join(toks)
