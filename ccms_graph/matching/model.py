"""Score a pair of records with a Fellegi-Sunter log-odds model and explain the score field by field.

Each field's comparator gives a level; the feature table below turns (field, level) into a
weight, the log2 likelihood ratio log2(m/u), where m = P(level | same entity) and
u = P(level | different entities). The sum of the weights plus the entity type's prior log-odds
is turned into a 0..1 score with the logistic function (base 2), then into a decision band.

Where the numbers come from: they are hand-set estimates, not fitted to CCMS data. m values
assume 2-5% clerical error per field (the rates reported in the record-linkage literature,
e.g. Winkler 2006, and the Splink defaults); u values are the chance of agreement between two
random records (1 in 365*80 for a full date of birth, 1 in 80 for a birth year, a name's share
of the population for names). `weights.refit` re-estimates them from
the store (u from random pairs, m by EM anchored by sub-records and judged hits) and `score` takes
its result as `weights`; the tests pin behaviour, not the exact numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ccms_graph.matching import compare as cmp
from ccms_graph.matching import features, records
from ccms_graph.matching.compare import swap
from ccms_graph.matching.frequencies import NameCounts, NameFrequency, as_lookup
from ccms_graph.matching.names import PersonName, one_edit_apart, phonetic_key

MATCH = "match"
POSSIBLE = "possible"
NO_MATCH = "no_match"

#: Default decision thresholds on the score; deployments set theirs in settings, which the logic layer
#: passes in (`deconflict.Config`).
MATCH_THRESHOLD = 0.90
POSSIBLE_THRESHOLD = 0.50

#: Prior log2-odds that a blocked candidate pair is the same entity, when the caller gives none.
#: People: about one in a million stored records; deconfliction passes `person_prior` of the
#: actual population instead. Other types are blocked on sharper keys and have fewer records.
PRIORS = {"Person": -20.0, "Business": -10.0, "Vehicle": -10.0, "Vessel": -10.0, "Aircraft": -10.0, "Thing": -8.0}

#: Defaults of `person_prior`: the share of new person records that duplicate a stored one, and
#: the smallest population the prior assumes (so a near-empty database does not make every weak
#: resemblance a match). Deployments set theirs (CCMS_MATCH_DUPLICATE_RATE, _POPULATION_FLOOR).
DUPLICATE_RATE = 0.5
POPULATION_FLOOR = 100_000


def person_prior(population: int, duplicate_rate: float = DUPLICATE_RATE, floor: int = POPULATION_FLOOR) -> float:
    """Prior log2-odds that a new person record is one given stored person: with a share q of new
    records duplicating someone among N stored people, each stored person is the one with
    probability q/N."""
    q = min(max(duplicate_rate, 1e-6), 1 - 1e-6)
    n = max(population, floor, 1)
    return math.log2(q / n) - math.log2(1 - q / n)


# Name weights are built from parts (see _name_weight): the family and given name agreement
# weights are log2(0.95 / share of population with that name), clamped, so "John Smith" is
# worth less than "Zbigniew Brzezinski". Clamps, log2 units, by where the shares come from:
# - the built-in census table (or a caller's mapping) knows only common names and gives every
#   other name one assumed share, so a name it does not list may still be common in a
#   deployment's files ("Abdulrahman"): a rare-looking name alone stays `possible`;
# - names counted over the stored people (`frequencies.NameCounts`, blended with the table) are
#   observed: a name unique among a million people is worth about 20 bits.
FAMILY_WEIGHT_RANGE = (3.0, 12.0)
GIVEN_WEIGHT_RANGE = (2.0, 10.0)
COUNTED_FAMILY_WEIGHT_RANGE = (3.0, 22.0)
COUNTED_GIVEN_WEIGHT_RANGE = (2.0, 20.0)
#: One part of a name level: a fixed weight, or "tf" / "tf~" (computed from name frequencies).
Part = str | float
#: Both given names stated and unrelated (no nickname, respelling or initial) beside a surname that
#: agrees: another first name for the same person, log2 units. m ~ 3% of copies (an alias's or a
#: middle name written as the first, a name replaced beyond a typo: 1.4% of the generator's clerical
#: pairs, 7% of FEBRL's), u ~ 1 (log2(0.03) ~ -5). It was -8 (m ~ 0.5%), to keep relatives apart: a
#: spouse, child or sibling shares the surname, the house and often the phone, a twin the date of
#: birth too, and those weights summed as if a stranger shared them. That double count is now taken
#: out where it arises (RELATIVE_SURNAME_WEIGHT), so the penalty can say what a clerk does. peer.py
#: --no-splink, P / R / F1 at `match`, -8 -> -5 with the cap: febrl3 0.9998 / 0.982 / 0.991 -> 0.9998 /
#: 0.986 / 0.993, febrl4 1.000 / 0.993 / 0.996 -> 1.000 / 0.995 / 0.997, clerical persons 0.9992 /
#: 0.989 / 0.994 -> 1.000 / 0.989 / 0.994 (false matches 4 -> 0), stress 0.9993 / 0.806 / 0.892 ->
#: 0.9995 / 0.807 / 0.893; at `possible` every row gained too. Rescored offline, -4 gained a little
#: more on every row (FEBRL's m, not a clerk's) and -3 raised stress false matches 2 -> 4.
GIVEN_DIFFERS = -5.0
#: The surname of a pair whose given names differ (the given_differs levels) weighs at most this many
#: bits, log2 units, where the pair shares what relatives share: a house (address `agree` or `close`),
#: a phone, or a full date of birth (twins). Counted frequencies weigh a surname by how rarely
#: strangers share it (up to 22 bits), but relatives share it by birth or marriage: given the same
#: house or birthday, the same surname is the rule, not a coincidence, and the shared field has
#: counted it already. Without the cap a household of a rare surname (4 clerical pairs: surname 22
#: bits, another given name, date of birth and sex) was a `match`, and so would be twins of a rare
#: surname on name and date alone (about 30% likely the same person: a twin is as common as a copy
#: with the given name replaced); at 8 neither is raised as a `match`. The date of birth's part of the
#: cap costs the generator, which has no twins: with the house and phone only, F1 at `match` was
#: febrl3 0.9932, clerical persons 0.995, stress 0.897 (the rare-surname copies born the same day
#: under another given name are now `possible`).
RELATIVE_SURNAME_WEIGHT = 8.0
NAME_LEVEL_PARTS: dict[str, tuple[Part, Part] | tuple[Part, Part, float]] = {
    # level: (family part, given part[, fixed adjustment]); "tf" is the frequency-adjusted
    # agreement weight, "tf~" the same less FUZZY_DISCOUNT (a respelled name: see below).
    "exact": ("tf", "tf"),
    "swapped": ("tf", "tf", -2.0),  # a swap is itself a (common) clerical error
    "nickname": ("tf", 5.0),  # Bill/William: nickname tables link many names, so weaker
    "given_fuzzy": ("tf", "tf~"),
    "initial": ("tf", 2.0),
    "family_fuzzy": ("tf~", "tf"),
    "fuzzy": ("tf~", "tf~"),
    # A swap plus a typo or an initial (two slips): a little below "fuzzy".
    "swapped_fuzzy": ("tf~", "tf~", -1.0),
    # A swap with both parts respelled: three slips at once, rare in one clerk's copy.
    "swapped_respelled": ("tf~", "tf~", -3.0),
    "family_only": ("tf", 0.0),
    "given_only": (0.0, "tf"),
    "family_fuzzy_only": ("tf~", 0.0),
    "given_fuzzy_only": (0.0, "tf~"),
    # A lone name matching the other record's name in the other field: a clerk put it in the wrong
    # field, which costs what a swap does. Weighed on the tokens that agree (_crossed_lone_weight).
    "swapped_only": (0.0, "tf", -2.0),
    "swapped_fuzzy_only": (0.0, "tf~", -2.0),
    # Both given names stated and unrelated (no nickname, respelling or initial): GIVEN_DIFFERS,
    # with the surname capped where the pair shares what relatives do (RELATIVE_SURNAME_WEIGHT).
    "given_differs": ("tf", GIVEN_DIFFERS),
    # The given name agrees and the surname is another one: a married name or an alias (m ~ 5% of
    # copies; different people differ in surname almost always), so the given name still counts.
    "family_differs": (-4.0, "tf"),
    # Either of the two with the part that agrees respelled (a typo on top of the other name).
    "given_differs_family_fuzzy": ("tf~", GIVEN_DIFFERS),
    "family_differs_given_fuzzy": (-4.0, "tf~"),
    # One side's given name is the other's surname (or a respelling of it) and the other parts are
    # unrelated: a swap and another name at once. Weighed on the crossed tokens, as a given name
    # that differs is, less what a swap costs.
    "swapped_differs": ("tf", GIVEN_DIFFERS, -2.0),
    "swapped_differs_fuzzy": ("tf~", GIVEN_DIFFERS, -2.0),
    "disagree": (-8.0, 0.0),
    cmp.MISSING: (0.0, 0.0),
}

#: Without counted frequencies (the built-in table only), or for respellings neither one edit apart
#: nor sounding alike, what a respelled name ("Tihiclu" for "Tihilu") is worth below the exact
#: spelling, log2 units:
#: m falls to the share of copies with a slip in that name (~10%, -3.3) and u grows by the few
#: stored names one edit away from it (~x2, -1). A rare name respelled still says a lot; a common
#: one falls to the floors below.
FUZZY_DISCOUNT = 4.5
#: A respelled name is worth at most this many bits per letter of its shortest token (before the
#: discount): short names have many neighbours one edit away ("Gopa": Vopa, Goba, Copa, ...), so
#: agreeing up to a typo says less than the name's own rarity suggests.
FUZZY_BITS_PER_LETTER = 2.0
#: Counted frequencies (`frequencies.NameCounts`) replace the length cap and FUZZY_DISCOUNT for a
#: token one edit from the other side's: its weight is log2(TYPO_SHARE / u), with TYPO_SHARE the
#: share of copies with a slip in that name and u the share of people whose token is it or one edit
#: from it (counted, so a short name in a crowded neighbourhood weighs little on its own).
TYPO_SHARE = 0.1
#: The same for two spellings further apart that sound alike ("Mohammed", "Muhammad"): a clerk's
#: transliteration, rarer than a typo; u is then the share of people whose token sounds the same.
VARIANT_SHARE = 0.02
#: A name part one side has only half of ("Lana" for "Fejene-Lana"): the shared half's weight less
#: this (the copy dropped a part, itself a common slip).
PART_DISCOUNT = 2.0
#: Both sides carry the same surname particles ("van der Williams"), log2 units: the share of people
#: with particles is a few percent, and a clerk keeps them most of the time.
PARTICLES_AGREE = 3.0
#: Middle names: an initial agreeing or a different name; an agreeing name weighs as a given name.
MIDDLE_WEIGHTS = {"initial": 1.0, "disagree": -2.0, cmp.MISSING: 0.0}
#: Lowest weight of a respelled (family, given) name: what the fixed levels were worth before the
#: term-frequency adjustment (two spelling variants agreeing by chance is still unusual).
FUZZY_FLOOR = (6.0, 3.0)

#: The "unverified" field of the types other than Person: identifiers an import kept though they failed
#: their kind's checks (a VIN of 16 characters, an IMEI failing Luhn, an IMO failing its check digit),
#: against the other record's identifiers of the same kind, valid or not (`compare.compare_unverified`).
#: Such a value is usually a valid one slipped once, so one edit from the other side's ('typo') weighs
#: as its kind's typo (VIN 10, IMO and hull id 6, EIN 8, IMEI 4, ICAO address 3), two ('close') as its
#: kind's close where it has one. An equal value ('agree': the same malformed value copied twice) is
#: strong, but held at the prior plus two bits (12, a thing's 10): a `possible` on its own, never a
#: `match` without more, and never decisive (DECISIVE leaves it out): the value failed its checks, so
#: it may be a placeholder or a truncation many records share. Another value ('disagree') weighs 0:
#: the value is a slip already. Person keeps its unverified identifiers among `other_ids`.
UNVERIFIED_WEIGHTS: dict[str, dict[str, float]] = {
    name: {"agree": agree, "typo": typo, "close": close, "disagree": 0.0, cmp.MISSING: 0.0}
    for name, agree, typo, close in (("Business", 12.0, 8.0, 0.0), ("Vehicle", 12.0, 10.0, 8.5),
                                     ("Vessel", 12.0, 8.0, 4.0), ("Aircraft", 12.0, 3.0, 0.0),
                                     ("Thing", 10.0, 4.0, 0.0))
}

#: The feature table: field -> level -> weight (log2 m/u). Person name weights are computed.
WEIGHTS: dict[str, dict[str, dict[str, float]]] = {
    "Person": {
        # u for a full date is 1/(365*80) -> ~14.8 (13.4 counted on the generator). Slips: Counted on the generator's labelled pairs (training split, seed 23; u over 300k
        # random pairs of its population): log2(m/u) = transposed 11.9, typo 7.9, year_near 10.6,
        # two_slips 6.9. The generator corrupts far more often than clerks do (m ~ 5-18% per
        # slip), so the weights sit between that fit and the literature's m ~ 1-2%: a slip still
        # says "probably the same date", two slips at once much less.
        # The same year with another month and day beyond those slips ("same_year"): u ~ 1/80 (0.8-1.3%
        # of random pairs, counted on FEBRL 1-4 and the generator), m small, as a copy seldom has both
        # replaced (0.05-0.26% of FEBRL's true pairs, 0.04% of the generator's clerical ones, 0.12% of
        # its stress ones), so log2(m/u) ~ -2 to -5; held at the weakest, -2, for a day and month
        # filled in where only the year was known. At 0 it was neutral, and a full name then carried a
        # pair alone: FEBRL's namesakes (two "oliver hobson"s born in 1976, with other numbers and
        # houses) were `match`es, 2 of febrl2's 3 false matches and febrl3's only one.
        # One other digit of the year ("year_digit", 1963 -> 1968): u 0.04-0.06% of random pairs in every
        # labelled set (as rare as a day typo), m 0.4-0.6% of FEBRL 2-4's true pairs and 0.3% of the
        # generator's stress ones, so log2(m/u) 2.9-3.7 (7.7 on RLdata10000, whose copies slip far more):
        # held at the lowest measured, 3. At 2 an exact common name with a year's digit slipped stayed
        # under `possible`, its owner never told.
        "dob": {"exact": 14.8, "partial": 6.0, "transposed": 10.0, "typo": 8.0, "year_near": 9.0,
                "two_slips": 6.0, "year_digit": 3.0, "same_year": -2.0, "disagree": -6.0, cmp.MISSING: 0.0},
        "sex": {"agree": 0.9, "disagree": -4.0, cmp.MISSING: 0.0},
        # SSN/A-Number: unique per person; an equal value is decisive (see DECISIVE), a different
        # valid value is strong evidence against (m ~ 0.1% for a mistyped SSN).
        # A value one edit from the other (a digit mistyped or two swapped): m ~ 1-2% of copies,
        # u ~ 100 neighbours in 10^9 values, so still strong evidence (log2(0.01 / 1e-7) ~ 17; held
        # lower, since a typo'd identifier is also how two family members' numbers can look).
        "ssn": {"agree": 25.0, "typo": 10.0, "disagree": -12.0, cmp.MISSING: 0.0},
        "a_number": {"agree": 25.0, "typo": 10.0, "disagree": -10.0, cmp.MISSING: 0.0},
        "fbi_number": {"agree": 22.0, "typo": 8.0, "disagree": -10.0, cmp.MISSING: 0.0},
        # People renew passports and hold several; a different number is weak evidence against.
        "passport": {"agree": 16.0, "agree_unqualified": 13.0, "typo": 6.0, "qualifier_differs": 2.0, "disagree": -1.0,
                     cmp.MISSING: 0.0},
        "drivers_license": {"agree": 15.0, "agree_unqualified": 11.0, "typo": 6.0, "qualifier_differs": 0.0,
                            "disagree": -1.0, cmp.MISSING: 0.0},
        # Any other identifier of the person, compared as kind + value (a national ID, a state ID): equal
        # values of one kind are about as rare by chance as an SSN's (FEBRL's soc_sec_id), short of
        # decisive since the kind is free text.
        # Two slips in one value (two digits, or a digit and a swap): m ~ 0.5% of copies, u ~ 3e-4
        # for a seven-digit number (counted on FEBRL's soc_sec_id), so a few bits.
        "other_ids": {"agree": 20.0, "typo": 10.0, "close": 3.0, "disagree": 0.0, cmp.MISSING: 0.0},
        # Phones and addresses are shared by households; people have many, so no penalty. A phone two
        # records share beside a house they share, under other given names and without a date of birth
        # that agrees ("household", `_household_phone`), is how relatives compare: the house has counted it.
        "phones": {"agree": 10.0, "household": 1.0, "disagree": 0.0, cmp.MISSING: 0.0},
        # An e-mail address one slip from the other's ("typo": a letter dropped, doubled, swapped or
        # mistyped; `compare.compare_emails`): rare by chance, as addresses are long and numbered ones
        # of a common name ("j.smith12", "j.smith13") are not counted as slips; but a mailbox named after
        # its holder is one letter from a relative's ("joan.smith", "john.smith"), so well short of an
        # equal address. Two slips ("close", addresses of 15 characters or more): a few bits.
        "emails": {"agree": 12.0, "typo": 8.0, "close": 4.0, "disagree": 0.0, cmp.MISSING: 0.0},
        # A social media handle is one account: shared by few besides its holder.
        "handles": {"agree": 12.0, "disagree": 0.0, cmp.MISSING: 0.0},
        # A bank account, wallet or payment handle: held by few (a joint account, a mule's), so a shared
        # one is strong evidence of the same person, short of a handle's; people hold many, so no penalty.
        "accounts": {"agree": 10.0, "disagree": 0.0, cmp.MISSING: 0.0},
        # The same street address: u ~ 1e-5 between random people, but a household shares it and
        # people move (m ~ 0.5), so about 8 bits; no penalty for another address. The same house
        # on a street spelled with a slip ("close") is the same address copied badly: a household
        # shares it as much as the clean spelling, so nearly as strong. The street without the same
        # number ("street": a number mistyped or left out, or a neighbour) is weaker evidence.
        "addresses": {"agree": 8.0, "close": 6.0, "line": 3.0, "street": 3.0, "same_area": 1.0, "disagree": 0.0,
                      cmp.MISSING: 0.0},
    },
    "Business": {
        # An exact name with the legal form agreeing (or unknown) and nothing else to compare stays
        # `possible` (log-odds 1.0-1.5): the generator's namesakes look exactly like that. peer.py
        # seed 23 / 29, clerical: 42 / 55 true pairs and 23 / 13 namesakes; raising those written
        # identically, designator included, would add 41 true and 6 false matches on seed 23
        # (P 0.994). Rejected with figures (all pairs scored offline): a "same designator" level
        # (+1.5 to +2.5) added 4-8 false matches on seed 29; weighing an exact name by how many stored
        # records bear it (Splink's term frequency) lifted clerical F1 at `possible` about 0.97 -> 0.98 but
        # moved no pair to `match`. Splink's best threshold on seed 23 (F1 0.983) is at P 0.998.
        "name": {"exact": 11.0, "strong": 9.0, "close": 5.0, "contained": 5.0, "disagree": -5.0, cmp.MISSING: 0.0},
        # An EIN one slip from the other's ("typo"): u ~ 1e-7 between random businesses (about 90
        # one-edit neighbours among ~10^9 nine-digit numbers), m ~ 3% (clerical slips), so log2(m/u)
        # ~ 18; held at 8, like a VIN's typo below its own, so that with the name agreeing it is a
        # `match` and with another name and nothing else it is not. Two slips apart ("close",
        # `compare.compare_number`: two copies each slipped once) is neutral, not `disagree`: about
        # 4,000 nine-digit numbers are two edits from any EIN, too many to count it for, and the
        # -12 of another EIN would bury a name and address that agree (generator, seed 23: 23 true
        # stress pairs and 1 clerical one, none of 150,000 random pairs).
        "ein": {"agree": 25.0, "typo": 8.0, "close": 0.0, "disagree": -12.0, cmp.MISSING: 0.0},
        "registration": {"agree": 16.0, "agree_unqualified": 10.0, "typo": 5.0, "qualifier_differs": 1.0, "disagree": -4.0,
                         cmp.MISSING: 0.0},
        # The legal form (LLC, corporation, sole proprietorship) is copied from registration papers,
        # so another one is rarely a slip (m ~ 5%), while a namesake of another legal form is the
        # usual look-alike ("Garcia Logistics LLC" and "Garcia Logistics Inc": u ~ 0.6), log2(m/u)
        # ~ -3.6; at -1 an exact name with another legal form and nothing else was `possible`
        # (clerical: 73 of the 165 false `possible` hits, no true pair with another kind).
        # A record without a `kind` takes the form its name's designator states ("Inc": a
        # corporation; `names.business_legal_form`), as a clerk reads it off the name: "Premier Alpha
        # Electronics LLC" against "Premier Alpha Electronics Inc" with no kinds given differ. Two
        # forms one of which was read off a name ("named_differs") weigh -1.5, not -3: a designator is
        # typed with the name, and slips more often than a kind copied from the papers ("Inc" for an
        # LLC), so an exact name and an address that agree stay a `match` (peer.py, seed 23: at -3, 5
        # true stress pairs fell to `possible`; at -1.5, 1), while an exact name and nothing else is no
        # longer `possible`.
        "kind": {"agree": 0.5, "named_differs": -1.5, "disagree": -3.0, cmp.MISSING: 0.0},
        "addresses": {"agree": 5.0, "close": 4.0, "line": 3.0, "street": 2.0, "same_area": 1.0, "disagree": -1.0,
                      cmp.MISSING: 0.0},
        # A phone one slip from the other's ("typo", one digit or two swapped): rare by chance
        # between two businesses (u ~ 1e-5 within an area code), but one office's lines are often
        # numbered in a run (…0100, …0101), so held at 4, below the shared number's 6: with an
        # exact name a `match`, with another name and nothing else not (generator, seed 23: 27 true
        # clerical pairs and 58 stress ones, none of 150,000 random pairs).
        "phones": {"agree": 6.0, "typo": 4.0, "disagree": 0.0, cmp.MISSING: 0.0},
        # One firm's mailboxes differ by a word ("sales@", "sale@"), so a slip weighs less than for a person.
        "emails": {"agree": 8.0, "typo": 4.0, "close": 0.0, "disagree": 0.0, cmp.MISSING: 0.0},
        "handles": {"agree": 8.0, "disagree": 0.0, cmp.MISSING: 0.0},
        "accounts": {"agree": 8.0, "disagree": 0.0, cmp.MISSING: 0.0},
        "unverified": UNVERIFIED_WEIGHTS["Business"],
    },
    "Vehicle": {
        # A vehicle has one VIN for life; a typo'd VIN still points strongly at the vehicle.
        # Two slips in it ("close", `compare.compare_long_identifier`): m ~ 0.5% of clerical copies
        # (18% of the generator's stress pairs); u ~ 1e-7 (none of 304k generated pairs; real VINs:
        # about 1 pair in 10^4 shares make, model, year and plant, and their six-digit serials are two
        # edits apart about 1 time in 1,000), so log2(m/u) ~ 15. Held at 8.5, since such a serial run
        # also agrees on the make, model and year weighed below: a close VIN with make and model
        # agreeing is `possible` (log-odds +1), and stays short of `match` with year and colour
        # agreeing too (+3.0; `match` is +3.17) unless another identifier (the plate) agrees.
        # Those serial runs are two VINs that both pass their check digit. One or two slips from a VIN
        # that FAILS it ("typo_bad_check", "close_bad_check", `compare.compare_vin`) is another case:
        # that VIN is no vehicle's, so the pair is a run neighbour only if a neighbour's copy slipped
        # onto the right characters (u ~ 1e-7 x 0.02 x 2/17 ~ 2e-10 two edits apart, far less one edit
        # apart), while m stays a copy's slip rate (0.5-2%): log2(m/u) above 20. Held at 15 and 12, so
        # that one slip with nothing else known is a `match` (+5) and with another make `possible`, and
        # two slips need the make and model (+4.5) or more. peer.py's generated vehicles, every pair
        # scored, F1 at `match` seed 23 / 29: stress 0.562 / 0.573 -> 0.776 / 0.750 (P 1.000), clerical
        # 0.953 / 0.953 -> 0.957 / 0.958.
        "vin": {"agree": 25.0, "typo_bad_check": 15.0, "typo": 10.0, "close_bad_check": 12.0, "close": 8.5,
                "disagree": -15.0, cmp.MISSING: 0.0},
        # Plates move between vehicles and get reissued: strong but not decisive.
        # Two slips in a plate of 7+ characters ("close", `compare.compare_plate`): m ~ 0.5%, u ~ 1e-5
        # (about 5,000 strings two edits from a 3-letter 4-digit plate among 1.8e8; 2 of 230k
        # generated pairs), log2(m/u) ~ 9. Held at 3, below the typo's 6 as that is below its own
        # ~14: a state's millions of plates fill much of that space, and plates are reissued.
        # The same plate with its state left off one side ("agree_unqualified"): the look-alike is the
        # same string issued by another state (the 3-letter 4-digit format is shared by about ten), so
        # 1 bit below `agree` (was 3): with the make and model agreeing a `match` (+3.5), as a plate of
        # one state is with them, and with another make or model not. peer.py's generated vehicles, every
        # pair scored, stress F1 at `match` seed 23 / 29: 0.789 / 0.764 -> 0.801 / 0.785, no new false pair.
        # A plate one slip off stays `possible` with make, model, year and colour agreeing (+0.5): tag
        # offices issue plates in sequence, so one dealer's week of new cars of a model holds plates one
        # slip apart (27 and 21 true stress pairs, seeds 23 / 29, are left there for that).
        "plate": {"agree": 12.0, "agree_unqualified": 11.0, "typo": 6.0, "close": 3.0, "qualifier_differs": 2.0,
                  "disagree": -1.0, cmp.MISSING: 0.0},
        "make": {"agree": 1.0, "disagree": -3.0, cmp.MISSING: 0.0},
        "model": {"agree": 1.5, "disagree": -2.0, cmp.MISSING: 0.0},
        "year": {"agree": 1.5, "near": 0.0, "disagree": -3.0, cmp.MISSING: 0.0},
        "colour": {"agree": 0.5, "disagree": -0.5, cmp.MISSING: 0.0},  # repaints happen
        "unverified": UNVERIFIED_WEIGHTS["Vehicle"],
    },
    "Vessel": {
        # An IMO number one slip off: its check digit lets through no swap of neighbours and only
        # about one single-digit slip in eight, so two valid numbers are seldom one edit apart (about
        # 1.4 in use per ship, u ~ 1e-5), while a copy slips 1-2% of the time: log2(m/u) ~ 11, held
        # at 10 as the other issued-once identifiers' typos (SSN, VIN).
        "imo": {"agree": 25.0, "typo": 10.0, "disagree": -15.0, cmp.MISSING: 0.0},
        # An MMSI one slip off: ~60 neighbours within a country's prefixes, a quarter of them in
        # use, u ~ 1e-5, m ~ 1-2%, log2(m/u) ~ 10; but registrars assign MMSIs in sequence and boat
        # names are shared by many, so held at 7: with an exact name +3.0 (`possible`), a `match`
        # with the flag or the kind agreeing too; a sister ship with the next number (its name
        # numbered apart is only `close`, `compare.compare_text`) stays `possible`. The MMSI changes
        # with the flag, so another one weighs little.
        "mmsi": {"agree": 25.0, "typo": 7.0, "disagree": -6.0, cmp.MISSING: 0.0},
        # A hull id one slip off: one builder's boats of one year differ only in the serial, so a
        # production run holds neighbours; held at 7 like the MMSI. Two slips off ("close"): m ~
        # 0.5%, u below 1e-6 between random hull ids (none of 96k generated pairs), held at 4 for the
        # same runs: with the same name a `possible`, a `match` only with more.
        "hin": {"agree": 25.0, "typo": 7.0, "close": 4.0, "disagree": -10.0, cmp.MISSING: 0.0},
        # A documentation (official) number is issued once for the vessel's life and stays through a
        # new name and flag: with the name and the flag both changed (-3) still a `match`.
        "documentation_number": {"agree": 18.0, "disagree": -4.0, cmp.MISSING: 0.0},
        "name": {"exact": 6.0, "strong": 4.0, "close": 2.0, "disagree": -2.0, cmp.MISSING: 0.0},
        "flag": {"agree": 1.0, "disagree": -1.0, cmp.MISSING: 0.0},  # reflagging is common
        "kind": {"agree": 0.5, "disagree": -1.0, cmp.MISSING: 0.0},
        "unverified": UNVERIFIED_WEIGHTS["Vessel"],
    },
    "Aircraft": {
        # Re-registration gives another N-number ("disagree" weighs little). One slip off: about 100
        # neighbours of a five-character N-number among ~300,000 registered, u ~ 1e-4 (5e-5 between
        # the generator's random aircraft), m ~ 1-2%: 7 bits, as EM put it (6.8, stress generator):
        # with the make and model agreeing still short of `possible` (-0.5). The ICAO address is
        # derived from the N-number (neighbouring registrations get neighbouring addresses), so its
        # typo stays low: both one slip off is one piece of evidence, not two.
        "n_number": {"agree": 25.0, "typo": 7.0, "disagree": -4.0, cmp.MISSING: 0.0},
        "icao24": {"agree": 25.0, "typo": 3.0, "disagree": -4.0, cmp.MISSING: 0.0},  # follows registration
        # Serial qualified by make: the same serial from two manufacturers is two aircraft.
        "serial": {"agree": 25.0, "agree_unqualified": 20.0, "typo": 8.0, "qualifier_differs": 2.0, "disagree": -12.0,
                   cmp.MISSING: 0.0},
        "make": {"agree": 1.0, "disagree": -4.0, cmp.MISSING: 0.0},
        "model": {"agree": 1.5, "disagree": -2.0, cmp.MISSING: 0.0},
        "unverified": UNVERIFIED_WEIGHTS["Aircraft"],
    },
    "Thing": {
        "imei": {"agree": 25.0, "typo": 4.0, "disagree": -12.0, cmp.MISSING: 0.0},
        "serial": {"agree": 25.0, "agree_unqualified": 20.0, "typo": 8.0, "qualifier_differs": 2.0, "disagree": -10.0,
                   cmp.MISSING: 0.0},
        "category": {"agree": 1.0, "disagree": -6.0, cmp.MISSING: 0.0},
        "description": {"strong": 4.0, "close": 2.0, "disagree": -1.0, cmp.MISSING: 0.0},
        "unverified": UNVERIFIED_WEIGHTS["Thing"],
    },
}

#: field -> levels that make a pair a `match` whatever else disagrees: these identifiers are
#: issued once per entity. Serial numbers count only with the same (or an unknown) make for
#: aircraft, category for things, because two manufacturers can use the same serial.
DECISIVE: dict[str, dict[str, frozenset[str]]] = {
    "Person": {"ssn": frozenset({"agree"}), "a_number": frozenset({"agree"})},
    "Business": {"ein": frozenset({"agree"})},
    "Vehicle": {"vin": frozenset({"agree"})},
    "Vessel": {"imo": frozenset({"agree"}), "mmsi": frozenset({"agree"}), "hin": frozenset({"agree"})},
    "Aircraft": {"n_number": frozenset({"agree"}), "icao24": frozenset({"agree"}),
                 "serial": frozenset({"agree", "agree_unqualified"})},
    "Thing": {"imei": frozenset({"agree"}), "serial": frozenset({"agree", "agree_unqualified"})},
}


#: field -> the identifiers issued once for an entity's life (`DECISIVE` also holds ones that are
#: re-issued: an N-number and its ICAO address follow the registration, an MMSI the flag). Where one
#: of these disagrees, no identifier decides a pair alone (`_decisive`).
PERMANENT: dict[str, frozenset[str]] = {
    "Person": frozenset({"ssn", "a_number"}), "Business": frozenset({"ein"}), "Vehicle": frozenset({"vin"}),
    "Vessel": frozenset({"imo", "hin"}), "Aircraft": frozenset({"serial"}), "Thing": frozenset({"imei", "serial"}),
}


def _decisive(entity_type: str, levels: Mapping[str, str]) -> tuple[list[str], bool]:
    """(the fields whose level makes the pair a `match` (`DECISIVE`), whether they conflict). They
    conflict where a `PERMANENT` identifier names something else ('disagree'): an N-number re-issued
    to another airframe (the manufacturer's serial differs), an MMSI reassigned to another hull (the
    IMO number differs), or one of the two mistaken. Then none decides: the weights do, the agreeing
    identifier's and the disagreeing one's among them, and the pair is at least `possible`, so a
    person judges what a shared identifier on another craft means (`assess`). A re-registered aircraft
    (another N-number, the same serial) stays decisive: an N-number is not issued for life."""
    rules = DECISIVE[entity_type]
    decisive = sorted(f for f, level in levels.items() if level in rules.get(f, ()))
    if decisive and any(levels.get(f) == "disagree" for f in PERMANENT[entity_type]):
        return [], True
    return decisive, False


Row = tuple[str, object, object, str]  # field, value shown for a, value shown for b, level


def _show(values: object) -> object:
    """A JSON-friendly, order-stable rendering of a normalized value for the explanation."""
    if isinstance(values, set | frozenset):
        return sorted(":".join(v) if isinstance(v, tuple) else v for v in values) or None
    return values if values not in ("", None, []) else None


def _name_str(n: PersonName | None) -> str | None:
    return " ".join(n.given + n.middle + n.family) if n else None


def _clamp(x: float, bounds: tuple[float, float]) -> float:
    return max(bounds[0], min(bounds[1], x))


def _tf_weight(tokens: tuple[str, ...], lookup: Callable[[str], float], bounds: tuple[float, float]) -> float:
    # Every agreeing token of a multi-part name counts ("garcia lopez" is rarer than either half,
    # taken as independent), less the chance (5%) that a clerk gets the whole part wrong.
    if not tokens:
        return bounds[0]
    bits = sum(math.log2(1.0 / max(lookup(t), 1e-9)) for t in dict.fromkeys(tokens))
    return _clamp(bits + math.log2(0.95), bounds)


@dataclass(frozen=True)
class _Role:
    """How one name part is weighed: share lookups, clamps, and the respelling floor (table only)."""

    lookup: Callable[[str], float]
    near: Callable[[str], float] | None  # share one edit away; None without counted frequencies
    sounds: Callable[[str], float] | None  # share with the same Metaphone key; likewise
    bounds: tuple[float, float]
    floor: float


def _pair(a_tokens: tuple[str, ...], b_tokens: tuple[str, ...], close: Callable[[str, str], bool]) -> tuple[str, str] | None:
    return next(((x, y) for x in a_tokens for y in b_tokens if x != y and close(x, y)), None)


def _sound_alike(x: str, y: str) -> bool:
    return phonetic_key(x) == phonetic_key(y)


def _respelled_weight(a_tokens: tuple[str, ...], b_tokens: tuple[str, ...], role: _Role) -> float:
    """A respelled part: tokens both sides share count in full; a token one edit from the other side's
    weighs log2(TYPO_SHARE / u), u being the share of people with that token or one an edit away
    (counted frequencies only); one side's tokens all within the other's is a dropped half."""
    shared = tuple(t for t in dict.fromkeys(a_tokens) if t in b_tokens)
    base = _tf_weight(shared, role.lookup, (0.0, role.bounds[1])) if shared else 0.0
    rest_a = tuple(t for t in a_tokens if t not in shared)
    rest_b = tuple(t for t in b_tokens if t not in shared)
    counted = role.near is not None  # near and sounds come together, from NameCounts
    if counted and (pair := _pair(rest_a, rest_b, one_edit_apart)):
        u = max(role.lookup(t) + role.near(t) for t in pair)  # type: ignore[misc]
        weight = base + math.log2(TYPO_SHARE / u)
    elif counted and (pair := _pair(rest_a, rest_b, _sound_alike)):
        u = max(max(role.sounds(t), role.lookup(t) + role.near(t)) for t in pair)  # type: ignore[misc]
        weight = base + math.log2(VARIANT_SHARE / u)
    elif shared and not rest_a and not rest_b:
        weight = base  # the same tokens (the other part of the name was the respelled one)
    elif shared and (not rest_a or not rest_b):
        weight = base - PART_DISCOUNT
    else:
        # Neither: the more common token of each side sets the weight, capped by length.
        sides = [t for t in (a_tokens, b_tokens) if t] or [()]
        common = [(max(t, key=role.lookup),) if t else () for t in sides]
        weight = min(_tf_weight(t, role.lookup, role.bounds) for t in common)
        shortest = min((len(tok) for t in sides for tok in t), default=0)
        weight = min(weight, FUZZY_BITS_PER_LETTER * shortest) - FUZZY_DISCOUNT
    # Counted frequencies measured how often such a pair agrees by chance; the table did not, so
    # there the fixed floor stands.
    return _clamp(weight, role.bounds) if counted else max(role.floor, min(weight, role.bounds[1]))


def _part_weight(part: Part, a_tokens: tuple[str, ...], b_tokens: tuple[str, ...], role: _Role) -> float:
    """One name part's weight: a fixed number, or the term-frequency weight ("tf", "tf~").

    The more common of the two spellings sets the weight (min over both sides, so the weight is
    symmetric and a typo'd spelling, unknown to the frequency table, does not inflate it). A side
    with no tokens in this part (a lone name matched through a swap) is left out. Token sets that
    overlap without being equal ("Fosewuri" vs "Fosewuri Luwo") weigh as a dropped half.
    """
    if not isinstance(part, str):
        return float(part)
    if part == "tf~":
        return _respelled_weight(a_tokens, b_tokens, role)
    if a_tokens and b_tokens and set(a_tokens) != set(b_tokens) and set(a_tokens) & set(b_tokens):
        return _respelled_weight(a_tokens, b_tokens, role)
    sides = [t for t in (a_tokens, b_tokens) if t] or [()]
    return min(_tf_weight(t, role.lookup, role.bounds) for t in sides)


def _larger(f: Callable[[str], float], g: Callable[[str], float]) -> Callable[[str], float]:
    return lambda token: max(f(token), g(token))


def _per_role(
    share: Callable[[str], Callable[[str], float]], swapped: bool
) -> tuple[Callable[[str], float], Callable[[str], float]]:
    """(family, given) share lookups from a role -> lookup source."""
    family, given = share("family"), share("given")
    if swapped:  # a token may be a surname on one side and a given name on the other
        family = given = _larger(family, given)
    return family, given


def _roles(freq: NameFrequency | None, swapped: bool) -> tuple[_Role, _Role]:
    """The name roles for `freq`: built once per counted population, not per pair (building them was
    a quarter of scoring a pair)."""
    if isinstance(freq, NameCounts):
        return freq.derived(("roles", swapped), lambda: _build_roles(freq, swapped))
    return _build_roles(freq, swapped)


def _build_roles(freq: NameFrequency | None, swapped: bool) -> tuple[_Role, _Role]:
    counted = isinstance(freq, NameCounts)
    family_lookup, given_lookup = _per_role(lambda role: as_lookup(freq, role), swapped)
    # (family, given); only counted frequencies know names one edit away or sounding alike.
    near: tuple[Callable[[str], float] | None, Callable[[str], float] | None] = (None, None)
    sounds: tuple[Callable[[str], float] | None, Callable[[str], float] | None] = (None, None)
    if isinstance(freq, NameCounts):
        near, sounds = _per_role(freq.neighbours, swapped), _per_role(freq.sounds, swapped)
    return (_Role(family_lookup, near[0], sounds[0],
                  COUNTED_FAMILY_WEIGHT_RANGE if counted else FAMILY_WEIGHT_RANGE, FUZZY_FLOOR[0]),
            _Role(given_lookup, near[1], sounds[1],
                  COUNTED_GIVEN_WEIGHT_RANGE if counted else GIVEN_WEIGHT_RANGE, FUZZY_FLOOR[1]))


def _aligned_weight(parts: tuple[Part, ...], a: PersonName, b: PersonName, roles: tuple[_Role, _Role],
                    whole_given: bool = False, family_cap: float | None = None) -> float:
    family_role, given_role = roles
    family = _part_weight(parts[0], a.family_core, b.family_core, family_role)
    if parts[0] == "tf" and a.family == b.family and len(a.family) > len(a.family_core):
        family += PARTICLES_AGREE  # "van der Williams" on both sides, not just "Williams"
    if family_cap is not None:
        family = min(family, family_cap)
    span = slice(None) if whole_given else slice(1)
    given = _part_weight(parts[1], a.given[span], b.given[span], given_role)
    return family + given


#: Levels whose names agree with one side's given and family names exchanged.
_SWAPPED_LEVELS = frozenset({"swapped", "swapped_fuzzy", "swapped_respelled"})
#: Levels where one side's lone name agrees with the other's name in the other field.
_CROSSED_LONE_LEVELS = frozenset({"swapped_only", "swapped_fuzzy_only"})
#: Levels where one side's given name agrees with the other's surname and the rest differs.
_CROSSED_DIFFERS_LEVELS = {"swapped_differs": frozenset({"given_differs"}),
                           "swapped_differs_fuzzy": frozenset({"given_differs_family_fuzzy"})}
#: Levels where the surnames agree (or one side's surname is the other's given name) and the given
#: names are unrelated: how relatives compare (RELATIVE_SURNAME_WEIGHT).
_GIVEN_DIFFERS_LEVELS = frozenset({"given_differs", "given_differs_family_fuzzy", *_CROSSED_DIFFERS_LEVELS})


def _crossed_lone_weight(part: Part, a: PersonName, b: PersonName, freq: NameFrequency | None) -> float:
    """The lone name ("Aleksandr" as a surname) against the other record's name in the other field
    (its given name), looked up as the more common of a surname and a given name."""
    lone, full = (b, a) if a.given and a.family else (a, b)
    here = lone.family_core or lone.given[:1]
    there = full.given[:1] if lone.family else full.family_core
    return _part_weight(part, here, there, _roles(freq, swapped=True)[1])


def _name_weight(level: str, a: PersonName, b: PersonName, freq: NameFrequency | None,
                 relatives: bool = False) -> float:
    """Weight of a name level with term-frequency adjustment, symmetric in a and b.

    For swapped levels each part weighs the tokens that agree (one side's surname, every token of
    it, with the other's given name), each looked up as the more common of a surname and a given
    name, and the lower of the two ways round is kept (so the weight stays symmetric); for the
    crossed levels with the rest unrelated (`swapped_differs`), the way round where the crossed names
    line up. `relatives`: the pair shares a house, a phone or a date of birth, so a surname beside
    another given name weighs at most RELATIVE_SURNAME_WEIGHT.
    """
    parts = NAME_LEVEL_PARTS[level]
    total = parts[2] if len(parts) > 2 else 0.0
    cap = RELATIVE_SURNAME_WEIGHT if relatives and level in _GIVEN_DIFFERS_LEVELS else None
    if level in _CROSSED_LONE_LEVELS:
        return total + _crossed_lone_weight(parts[1], a, b, freq)
    if level not in _SWAPPED_LEVELS and level not in _CROSSED_DIFFERS_LEVELS:
        return total + _aligned_weight(parts, a, b, _roles(freq, swapped=False), family_cap=cap)
    roles = _roles(freq, swapped=True)
    if level in _CROSSED_DIFFERS_LEVELS:  # weighed the way round where the crossed names line up
        return total + max(_aligned_weight(parts, x, y, roles, family_cap=cap) for x, y in ((a, swap(b)), (swap(a), b))
                           if cmp.oriented(x, y) in _CROSSED_DIFFERS_LEVELS[level])
    return total + min(_aligned_weight(parts, a, swap(b), roles, whole_given=True),
                       _aligned_weight(parts, swap(a), b, roles, whole_given=True))


def _middle_weight(level: str, a: PersonName, b: PersonName, freq: NameFrequency | None) -> float:
    """Middle names: an agreeing one weighs as a given name does; a different one counts against."""
    if level in ("agree", "fuzzy"):
        role = _roles(freq, swapped=False)[1]
        return _part_weight("tf" if level == "agree" else "tf~", a.middle[:1], b.middle[:1], role)
    return MIDDLE_WEIGHTS[level]


def _person_names(
    a: records.PersonView, b: records.PersonView, freq: NameFrequency | None, relatives: bool = False
) -> tuple[str, float, PersonName | None, PersonName | None]:
    """The best-weighted pair over all names and aliases: (level, weight, name of a, name of b)."""
    rank = cmp.rank(cmp.NAME_LEVELS)
    best: tuple[float, int, str, PersonName | None, PersonName | None] | None = None
    for na in a.names:
        for nb in b.names:
            level = cmp.compare_person_name(na, nb)
            weight = _name_weight(level, na, nb, freq, relatives)
            if best is None or (weight, -rank[level]) > best[:2]:
                best = (weight, -rank[level], level, na, nb)
    if best is None:
        return cmp.MISSING, 0.0, a.names[0] if a.names else None, b.names[0] if b.names else None
    return best[2], best[0], best[3], best[4]


_probe_view: tuple[str, records.PersonView] | None = None


def _view_of_probe(rec: Mapping) -> records.PersonView:
    """person_view of the first record, remembered for the next call: a probe is scored against ~100
    candidates in a row, and normalizing it was half the scoring time. Keyed by content, not identity."""
    global _probe_view
    key = repr(sorted(rec.items(), key=lambda kv: kv[0]))
    held = _probe_view  # one read: another thread may replace the slot meanwhile
    if held is not None and held[0] == key:
        return held[1]
    view = records.person_view(rec)
    _probe_view = (key, view)
    return view


#: Address levels that put two people in one house (RELATIVE_SURNAME_WEIGHT).
_SAME_HOUSE = frozenset({"agree", "close"})


class _Side(NamedTuple):
    """One person record as its explanation shows it: its view, and the name the pair was weighed on."""

    view: records.PersonView
    name: PersonName | None


def _addrs_str(addresses: list[dict[str, str]]) -> list[str] | None:
    return [_addr_str(x) for x in addresses] or None


def _shown_ids(kind: str) -> Callable[[_Side], object]:
    return lambda s: _show(s.view.ids[kind])


#: field -> the value of one side a person pair's explanation shows (`Comparison.rows`).
_PERSON_SHOWN: dict[str, Callable[[_Side], object]] = {
    "name": lambda s: _name_str(s.name),
    "middle_name": lambda s: " ".join(s.name.middle) if s.name and s.name.middle else None,
    "dob": lambda s: s.view.dob.iso() or (s.view.dob.raw or None),
    "sex": lambda s: s.view.sex,
    **{kind: _shown_ids(kind) for kind in records.PERSON_ID_KINDS},
    "passport": lambda s: _show(s.view.passports),
    "drivers_license": lambda s: _show(s.view.licenses),
    "other_ids": lambda s: _show(s.view.other_ids),
    "phones": lambda s: _show(s.view.phones),
    "emails": lambda s: _show(s.view.emails),
    "handles": lambda s: _show(s.view.handles),
    "accounts": lambda s: _show(s.view.accounts),
    "addresses": lambda s: _addrs_str(s.view.addresses),
}

_NO_NAMES: tuple[PersonName | None, PersonName | None] = (None, None)


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two records compared field by field: each field's level and the weights computed per pair
    (person names). The values an explanation shows are written out only when asked (`rows`):
    deconfliction scores about a hundred candidates a query and shows a few, and writing every
    candidate's values out was about a tenth of scoring it.

    It keeps the records, not their normalized views, and `rows` normalizes them again: a view is a
    score of objects, and held for every candidate until the query's end they fed the garbage
    collector more than the explanations they replaced (39,000 pairs of 1M people: 1.4 s of
    collection with the views held, 0.4 s with every pair explained and 0.4 s keeping the records;
    per pair 86, 75 and 61 us). So a pair explained at once (`score`) costs a normalization more
    than it did; deconfliction explains about twenty candidates a query."""

    entity_type: str
    #: field -> level, every field (missing ones included) in the explanation's order.
    levels: dict[str, str]
    #: field -> weight, for the fields whose weight is computed rather than looked up.
    computed: dict[str, float]
    a: Mapping
    b: Mapping
    #: People: the names of a and b the pair was weighed on (the best-weighted pair of names).
    names: tuple[PersonName | None, PersonName | None] = _NO_NAMES

    def rows(self) -> list[Row]:
        """[(field, shown a, shown b, level)] in `levels` order."""
        shown: Mapping[str, Callable[[Any], object]]
        if self.entity_type == "Person":
            a: Any = _Side(_view_of_probe(self.a), self.names[0])
            b: Any = _Side(records.person_view(self.b), self.names[1])
            shown = _PERSON_SHOWN
        elif self.entity_type == "Business":
            a, b, shown = records.business_view(self.a), records.business_view(self.b), _BUSINESS_SHOWN
        else:
            view, _, shown = _VIEWS[self.entity_type]
            a, b = view(self.a), view(self.b)
        return [(f, shown[f](a), shown[f](b), level) for f, level in self.levels.items()]


def _person_comparison(ra: Mapping, rb: Mapping, freq: NameFrequency | None) -> Comparison:
    a, b = _view_of_probe(ra), records.person_view(rb)
    address_level = cmp.compare_addresses(a.addresses, b.addresses)
    phone_level = cmp.compare_sets(a.phones, b.phones)
    dob_level = cmp.compare_dob(a.dob, b.dob)
    relatives = address_level in _SAME_HOUSE or phone_level == "agree" or dob_level == "exact"
    name_level, name_weight, na, nb = _person_names(a, b, freq, relatives)
    middle_level = cmp.compare_middle_name(na, nb) if na and nb else cmp.MISSING
    weights = {"name": name_weight,
               "middle_name": _middle_weight(middle_level, na, nb, freq) if na and nb else 0.0}
    levels = {
        "name": name_level,
        "middle_name": middle_level,
        "dob": dob_level,
        "sex": cmp.compare_sex(a.sex, b.sex),
        **{kind: cmp.compare_identifier(a.ids[kind], b.ids[kind]) for kind in records.PERSON_ID_KINDS},
        "passport": cmp.compare_qualified(a.passports, b.passports),
        "drivers_license": cmp.compare_qualified(a.licenses, b.licenses),
        "other_ids": cmp.compare_keyed_identifiers(a.other_ids, b.other_ids),
        "phones": phone_level,
        "emails": cmp.compare_emails(a.emails, b.emails),
        "handles": cmp.compare_sets(a.handles, b.handles),
        "accounts": cmp.compare_sets(a.accounts, b.accounts),
        "addresses": address_level,
    }
    if _household_phone(levels):
        levels["phones"] = "household"
    return Comparison("Person", levels, weights, ra, rb, (na, nb))


#: Date of birth levels that say nothing for a pair being one person.
_NO_BIRTH_AGREEMENT = frozenset({"disagree", cmp.MISSING})


def _household_phone(levels: Mapping[str, str]) -> bool:
    """The pair shares a phone and a house, its given names differ, and no date of birth agrees: how a
    spouse, parent, child or sibling compares. A household's landline and its address are one fact
    about it, not two about a person: the phone then weighs as "household" (1 bit) instead of "agree"
    (10), as the surname of such a pair is capped (RELATIVE_SURNAME_WEIGHT). Counted twice they made 13
    of the generator's clerical households (another given name, another date of birth, one house and
    phone: 15.9 bits) a `match` once the prior was estimated from the store's duplicates (`prevalence`)."""
    return (levels["phones"] == "agree" and levels["addresses"] in _SAME_HOUSE
            and levels["name"] in _GIVEN_DIFFERS_LEVELS and levels["dob"] in _NO_BIRTH_AGREEMENT)


def _addr_str(addr: dict[str, str]) -> str:
    return ", ".join(v for v in addr.values() if v)


#: field -> the value of one side a business pair's explanation shows.
_BUSINESS_SHOWN: dict[str, Callable[[records.BusinessView], object]] = {
    "name": lambda v: v.names or None,
    "ein": lambda v: _show(v.ein),
    "registration": lambda v: _show(v.registrations),
    "kind": lambda v: v.kind or v.named_form or None,
    "addresses": lambda v: _addrs_str(v.addresses),
    "phones": lambda v: _show(v.phones),
    "emails": lambda v: _show(v.emails),
    "handles": lambda v: _show(v.handles),
    "accounts": lambda v: _show(v.accounts),
    "unverified": lambda v: _show(v.unverified),
}


def _unverified_level(entity_type: str, ra: Mapping, va: Any, rb: Mapping, vb: Any) -> str:
    """The "unverified" field of a type other than Person (`compare.compare_unverified`): each side's
    unverified identifiers against the other's, valid ones included; missing when neither has one,
    without reading the valid ones (most pairs)."""
    ua, ub = features.unverified_keys(entity_type, va), features.unverified_keys(entity_type, vb)
    if not ua and not ub:
        return cmp.MISSING
    return cmp.compare_unverified(ua, features.identifier_keys(entity_type, ra, va), ub,
                                  features.identifier_keys(entity_type, rb, vb))


def _business_comparison(ra: Mapping, rb: Mapping) -> Comparison:
    a, b = records.business_view(ra), records.business_view(rb)
    levels = {
        "name": cmp.compare_business_names(a.names, b.names),
        "ein": cmp.compare_number(a.ein, b.ein),
        "registration": cmp.compare_qualified(a.registrations, b.registrations),
        "kind": cmp.compare_legal_form(a.kind, a.named_form, b.kind, b.named_form),
        "addresses": cmp.compare_addresses(a.addresses, b.addresses),
        "phones": cmp.compare_identifier(a.phones, b.phones),
        "emails": cmp.compare_emails(a.emails, b.emails),
        "handles": cmp.compare_sets(a.handles, b.handles),
        "accounts": cmp.compare_sets(a.accounts, b.accounts),
        "unverified": _unverified_level("Business", ra, a, rb, b),
    }
    return Comparison("Business", levels, {}, ra, rb)


def _shown_field(f: str) -> Callable[[dict], object]:
    return lambda view: _show(view[f])


_VEHICLE = (("vin", cmp.compare_vin), ("plate", cmp.compare_plate), ("make", cmp.compare_word),
            ("model", cmp.compare_model), ("year", cmp.compare_year), ("colour", cmp.compare_word))
_VESSEL = (("imo", cmp.compare_identifier), ("mmsi", cmp.compare_identifier), ("hin", cmp.compare_long_identifier),
           ("documentation_number", cmp.compare_sets), ("name", cmp.compare_text), ("flag", cmp.compare_word),
           ("kind", cmp.compare_word))
_AIRCRAFT = (("n_number", cmp.compare_identifier), ("icao24", cmp.compare_identifier),
             ("serial", cmp.compare_make_qualified), ("make", cmp.compare_make), ("model", cmp.compare_model))
_THING = (("imei", cmp.compare_identifier), ("serial", cmp.compare_qualified), ("category", cmp.compare_word),
          ("description", cmp.compare_description))
#: type -> (its view, (field, comparator) in the explanation's order, field -> the value shown).
_VIEWS: dict[str, tuple[Callable[[Mapping], dict], tuple, dict[str, Callable[[dict], object]]]] = {
    name: (view, spec, {**{f: _shown_field(f) for f, _ in spec}, "unverified": _shown_field("unverified")})
    for name, view, spec in (("Vehicle", records.vehicle_view, _VEHICLE), ("Vessel", records.vessel_view, _VESSEL),
                             ("Aircraft", records.aircraft_view, _AIRCRAFT), ("Thing", records.thing_view, _THING))
}


def comparison(entity_type: str, a: Mapping, b: Mapping, name_frequency: NameFrequency | None = None) -> Comparison:
    """How two records of `entity_type` compare, field by field (see `Comparison`)."""
    if entity_type not in WEIGHTS:
        raise ValueError(f"unknown entity type {entity_type!r}; expected one of {records.ENTITY_TYPES}")
    if entity_type == "Person":
        return _person_comparison(a, b, name_frequency)
    if entity_type == "Business":
        return _business_comparison(a, b)
    view, spec, _ = _VIEWS[entity_type]
    va, vb = view(a), view(b)
    levels = {f: compare(va[f], vb[f]) for f, compare in spec}
    levels["unverified"] = _unverified_level(entity_type, a, va, b, vb)
    return Comparison(entity_type, levels, {}, a, b)


def decide(score: float, match_threshold: float = MATCH_THRESHOLD, possible_threshold: float = POSSIBLE_THRESHOLD) -> str:
    """The decision band of a 0..1 score."""
    if score >= match_threshold:
        return MATCH
    return POSSIBLE if score >= possible_threshold else NO_MATCH


@dataclass(frozen=True, slots=True)
class Scored:
    """A pair's score (see `assess`), with what its explanation is written from when asked."""

    score: float
    decision: str
    log_odds: float
    decisive: list[str]
    comparison: Comparison
    #: The weight of each field, in `comparison.levels` order.
    weights: list[float]

    def explanation(self) -> list[dict]:
        """[{"field", "a", "b", "level", "weight"}, ...]: one row per field, missing ones included (weight 0)."""
        return [{"field": f, "a": va, "b": vb, "level": level, "weight": round(w, 3)}
                for (f, va, vb, level), w in zip(self.comparison.rows(), self.weights, strict=True)]

    def as_dict(self) -> dict:
        """What `score` returns."""
        return {"score": self.score, "decision": self.decision, "log_odds": self.log_odds, "decisive": self.decisive,
                "explanation": self.explanation()}


_NO_WEIGHTS: Mapping[str, float] = {}


def assess(
    entity_type: str,
    a: Mapping,
    b: Mapping,
    *,
    match_threshold: float = MATCH_THRESHOLD,
    possible_threshold: float = POSSIBLE_THRESHOLD,
    name_frequency: NameFrequency | None = None,
    prior: float | None = None,
    weights: Mapping[str, Mapping[str, float]] | None = None,
) -> Scored:
    """Score two records of `entity_type` ("Person", "Business", "Vehicle", "Vessel", "Aircraft", "Thing"),
    the explanation left to `Scored.explanation` (deconfliction writes out only the candidates it shows).

    `name_frequency` (token -> share of population, function or dict, or `frequencies.NameCounts`)
    overrides the built-in US name table for Person names; `prior` (log2 odds) overrides the type's
    PRIORS entry; `weights` (field -> level -> weight, as `weights.stored` estimates them) overrides
    the feature table where it has a level.
    """
    if entity_type not in WEIGHTS:
        raise ValueError(f"unknown entity type {entity_type!r}; expected one of {records.ENTITY_TYPES}")
    table = WEIGHTS[entity_type]
    total = PRIORS[entity_type] if prior is None else prior
    compared = comparison(entity_type, a, b, name_frequency)
    computed = compared.computed
    fitted = weights or {}
    each = []
    for field_name, level in compared.levels.items():
        if field_name in computed:
            weight = computed[field_name]
        else:
            weight = fitted.get(field_name, _NO_WEIGHTS).get(level, table[field_name][level])
        total += weight
        each.append(weight)
    decisive, conflicting = _decisive(entity_type, compared.levels)
    value = 1.0 / (1.0 + 2.0 ** (-total)) if total > -1000 else 0.0
    if decisive:
        value = max(value, match_threshold)
    elif conflicting:
        value = max(value, possible_threshold)
    decision = MATCH if decisive else decide(value, match_threshold, possible_threshold)
    return Scored(value, decision, total, decisive, compared, each)


def score(entity_type: str, a: Mapping, b: Mapping, **options: Any) -> dict:
    """Score two records of `entity_type` with `assess` and its `options`, explained.

    Returns {"score": 0..1, "decision": "match"|"possible"|"no_match", "log_odds": float,
    "decisive": [fields], "explanation": [{"field", "a", "b", "level", "weight"}, ...]} with one
    explanation row per field, missing ones included (weight 0).
    """
    return assess(entity_type, a, b, **options).as_dict()
