"""The declaration of every record type, its fields, and the link types allowed between them.

This is the single place types are described. The marshmallow schemas, the API schemas,
the forms, the graph legend and matching all read it instead of repeating it (principle 7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

# ---------------------------------------------------------------------------------------------
# Field and type declarations
# ---------------------------------------------------------------------------------------------

#: Field kinds: how a value is validated, stored and shown.
#:   str     short text (one line)          text    long text (narratives, notes)
#:   int     whole number                   float   decimal number
#:   bool    yes/no                         enum    one of `choices`
#:   list    list of short strings          dob     date of birth: YYYY-MM-DD, else kept raw and flagged
#:   date    calendar date (YYYY-MM-DD)     json    list of {type, value} objects (generic identifiers)
FIELD_KINDS = frozenset({"str", "text", "int", "float", "bool", "enum", "list", "dob", "date", "json"})


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "str"
    label: str = ""
    choices: tuple[str, ...] = ()
    #: Identifier kind (see ccms_graph.matching) when the value identifies the record exactly.
    identifier: str | None = None
    #: Field that qualifies an identifier (passport -> country, plate -> state).
    qualifier: str | None = None
    max_length: int = 200
    minimum: float | None = None
    maximum: float | None = None
    #: For a date: the date field of the same record this one may not come before (served after issued).
    not_before: str | None = None

    def __post_init__(self) -> None:
        assert self.kind in FIELD_KINDS, self.kind
        if not self.label:
            object.__setattr__(self, "label", self.name.replace("_", " ").capitalize())


@dataclass(frozen=True)
class RecordType:
    name: str  #: the Neo4j label, e.g. "Person"
    plural: str
    fields: tuple[Field, ...]
    #: Fields whose values make up the record's caption, in order.
    caption: tuple[str, ...]
    #: A record must carry at least one of these to be accepted (nothing to identify it by otherwise).
    identifying: tuple[str, ...] = ()
    #: Extra labels the node carries (e.g. "SubjectRecord", "Document").
    extra_labels: tuple[str, ...] = ()
    #: Whether the record takes addresses, phones, emails and social handles as selector links.
    selectors: bool = False
    description: str = ""

    @property
    def slug(self) -> str:
        return self.plural.lower().replace(" ", "-")

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def identifier_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.identifier)

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.name, *self.extra_labels)


SEXES = ("M", "F", "X", "U")
THING_CATEGORIES = ("firearm", "currency", "narcotics", "electronic_device", "document", "other")
#: Units a seizure's quantity is counted in (ICM PIA: "seized items per office per fiscal year").
SEIZURE_UNITS = ("each", "kg", "g", "lb", "oz", "l", "usd")
WARRANT_TYPES = ("arrest", "search", "seizure", "tracking", "other")
COURT_PROCEEDINGS = ("complaint", "indictment", "information", "plea", "conviction", "acquittal", "dismissal",
                     "sentence", "other")
BUSINESS_KINDS = ("corporation", "llc", "partnership", "sole_proprietorship", "nonprofit", "government", "other")
VESSEL_KINDS = ("cargo", "tanker", "fishing", "pleasure", "passenger", "tug", "other")

# The six Subject Record types. A Subject Record may appear in many cases (SUBJECT_IN links).
PERSON = RecordType(
    name="Person",
    plural="Persons",
    caption=("given_name", "middle_name", "family_name"),
    # A first name alone is weak, but partial records are normal: an alias or one identifier suffices,
    # and so does a phone, an e-mail or a social handle: a subject may be known only by how they are
    # reached (CBP CCMS PIA §2.1 lists them among a subject's biographic data). An address alone is not:
    # a household shares it.
    identifying=("given_name", "family_name", "aliases", "ssn", "a_number", "passport",
                 "drivers_license", "fbi_number", "pilot_license", "identifiers",
                 "phones", "emails", "social_handles"),
    extra_labels=("SubjectRecord",),
    selectors=True,
    fields=(
        Field("given_name"),
        Field("middle_name"),
        Field("family_name"),
        Field("aliases", "list", "Names and aliases"),
        Field("dob", "dob", "Date of birth"),
        Field("sex", "enum", choices=SEXES),
        Field("height_cm", "int", "Height (cm)", minimum=30, maximum=272),
        Field("weight_kg", "int", "Weight (kg)", minimum=1, maximum=650),
        Field("eye_colour"),
        Field("hair_colour"),
        Field("scars_marks_tattoos", "list", "Scars, marks and tattoos"),
        Field("citizenship", "list"),
        Field("immigration_status"),
        Field("criminal_history_note", "text", "Criminal history"),
        Field("ssn", identifier="ssn", label="SSN"),
        Field("a_number", identifier="a_number", label="A-Number"),
        Field("passport", identifier="passport", qualifier="passport_country", label="Passport number"),
        Field("passport_country", label="Passport country"),
        Field("drivers_license", identifier="drivers_license", qualifier="drivers_license_state",
              label="Driver's licence"),
        Field("drivers_license_state", label="Driver's licence state"),
        Field("fbi_number", identifier="fbi_number", label="FBI number"),
        # CBP CCMS PIA §2.1 lists the pilot's licence among a subject's identifiers. The authority
        # (FAA, Transport Canada, EASA state...) qualifies the number, as a country does a passport.
        Field("pilot_license", identifier="pilot_license", qualifier="pilot_license_authority",
              label="Pilot's licence (certificate number)"),
        Field("pilot_license_authority", label="Pilot's licence issuing authority"),
        Field("identifiers", "json", "Other identifiers"),
    ),
)

BUSINESS = RecordType(
    name="Business",
    plural="Businesses",
    caption=("name",),
    identifying=("name", "dbas", "ein", "registration_number", "identifiers"),
    extra_labels=("SubjectRecord",),
    selectors=True,
    fields=(
        Field("name"),
        Field("dbas", "list", "Doing business as"),
        Field("ein", identifier="ein", label="EIN"),
        Field("registration_number", identifier="registration_number", qualifier="jurisdiction"),
        Field("jurisdiction"),
        Field("kind", "enum", choices=BUSINESS_KINDS),
        Field("identifiers", "json", "Other identifiers"),
    ),
)

VEHICLE = RecordType(
    name="Vehicle",
    plural="Vehicles",
    caption=("year", "make", "model", "plate"),
    identifying=("vin", "plate", "make", "model", "identifiers"),
    extra_labels=("SubjectRecord",),
    fields=(
        Field("vin", identifier="vin", label="VIN"),
        Field("plate", identifier="plate", qualifier="plate_state"),
        Field("plate_state"),
        Field("make"),
        Field("model"),
        Field("year", "int", minimum=1886, maximum=2100),
        Field("colour"),
        Field("identifiers", "json", "Other identifiers"),
    ),
)

VESSEL = RecordType(
    name="Vessel",
    plural="Vessels",
    caption=("name", "imo"),
    identifying=("name", "hull_id", "imo", "mmsi", "documentation_number", "identifiers"),
    extra_labels=("SubjectRecord",),
    fields=(
        Field("name"),
        Field("hull_id", identifier="hin", label="Hull ID (HIN)"),
        Field("imo", identifier="imo", label="IMO number"),
        Field("mmsi", identifier="mmsi", label="MMSI"),
        Field("documentation_number", identifier="documentation_number"),
        Field("flag"),
        Field("kind", "enum", choices=VESSEL_KINDS),
        Field("identifiers", "json", "Other identifiers"),
    ),
)

AIRCRAFT = RecordType(
    name="Aircraft",
    plural="Aircraft",
    caption=("tail_number", "make", "model"),
    identifying=("tail_number", "serial_number", "icao24", "identifiers"),
    extra_labels=("SubjectRecord",),
    fields=(
        Field("tail_number", identifier="n_number", label="Tail (N-) number"),
        Field("serial_number", identifier="serial"),
        Field("make"),
        Field("model"),
        Field("icao24", identifier="icao24", label="ICAO 24-bit address"),
        Field("identifiers", "json", "Other identifiers"),
    ),
)

THING = RecordType(
    name="Thing",
    plural="Things",
    caption=("category", "description"),
    identifying=("description", "serial", "imei", "identifiers"),
    extra_labels=("SubjectRecord",),
    fields=(
        Field("category", "enum", choices=THING_CATEGORIES),
        Field("serial", identifier="serial", label="Serial number"),
        Field("imei", identifier="imei", label="IMEI"),
        Field("description", "text"),
        Field("quantity", "float", minimum=0),
        Field("value", "float", "Value (USD)", minimum=0),
        Field("identifiers", "json", "Other identifiers"),
    ),
)

ENTITY_TYPES: dict[str, RecordType] = {t.name: t for t in (PERSON, BUSINESS, VEHICLE, VESSEL, AIRCRAFT, THING)}

# Shared selector nodes tie records together across cases. They are merged on their key, never
# duplicated: two cases touching the same phone number share one Phone node.
SELECTOR_TYPES: dict[str, str] = {
    "Phone": "e164",
    "Email": "address",
    "Address": "key",
    "SocialHandle": "key",
    "Identifier": "key",
    # Financial selectors (CBP CCMS PIA §2.1, financial data): keyed by their normalised form
    # (matching.identifiers: bank_account, crypto_wallet, payment_handle), e.g. "bank:021000021:123456".
    "BankAccount": "key",
    "CryptoWallet": "key",
    "PaymentHandle": "key",
    # Telecom selectors (ICM TLS: IMSI, IMEI and IP identifiers), keyed by their normalised form
    # (logic.identity.telecom_selectors), e.g. "imsi:310150123456789", "ip:2001:db8::1".
    "IMSI": "key",
    "IMEI": "key",
    "IPAddress": "key",
}

#: Telecom selector types: named by the TLS's subscriber and miscellaneous records (`logic.identity.telecom`),
#: held by those records and drawn from a number by IDENTIFIED_AS; one shared by two cases alerts both agents.
TELECOM_SELECTORS = ("IMSI", "IMEI", "IPAddress")

#: Financial selector types -> the link a Person or Business holds one by, and the record input that
#: carries them (a list of objects: see `validation`). An account shared by two cases' subjects alerts
#: both agents (`logic.identity.financial`).
FINANCIAL_SELECTORS: dict[str, tuple[str, str]] = {
    "BankAccount": ("HOLDS_ACCOUNT", "bank_accounts"),
    "CryptoWallet": ("USES_WALLET", "crypto_wallets"),
    "PaymentHandle": ("USES_PAYMENT_HANDLE", "payment_handles"),
}

#: FinCEN filings a document may cite, each by its 14-digit BSA Identifier (validated, stored normalised).
FINANCIAL_REFERENCES = (
    Field("sar_references", "list", "SAR references (BSA IDs)", identifier="sar"),
    Field("ctr_references", "list", "CTR references (BSA IDs)", identifier="ctr"),
)

#: Where an event happened: a place as written, and optional WGS84 coordinates, which the service keeps
#: as one `point` in the property `location` (logic/location/coordinates.py: checked as a pair, at most
#: 7 decimals; the map and the area queries read that point, through its POINT index).
PLACE_FIELDS = (
    Field("place", label="Place (as written)"),
    Field("latitude", "float", "Latitude (WGS84)", minimum=-90, maximum=90),
    Field("longitude", "float", "Longitude (WGS84)", minimum=-180, maximum=180),
)

# Case documents. Each carries the label Document beside its own.
DOCUMENT_TYPES: dict[str, RecordType] = {
    t.name: t
    for t in (
        RecordType(
            name="ReportOfInvestigation",
            plural="Reports of Investigation",
            caption=("title",),
            identifying=("title",),
            extra_labels=("Document",),
            fields=(Field("title"), Field("narrative", "text", max_length=200_000),
                    Field("report_date", "date"), *FINANCIAL_REFERENCES),
        ),
        RecordType(
            name="ArrestReport",
            plural="Arrest reports",
            caption=("title",),
            identifying=("title",),
            extra_labels=("Document",),
            fields=(Field("title"), Field("narrative", "text", max_length=200_000),
                    Field("incident_date", "date"), *PLACE_FIELDS,
                    Field("charges", "list", "Charges (statutes)"),
                    Field("arresting_office", label="Arresting office (code)", max_length=40),
                    Field("on_warrant", "bool", "Arrested on a warrant"), *FINANCIAL_REFERENCES),
        ),
        RecordType(
            name="SeizureReport",
            plural="Seizure reports",
            caption=("title",),
            identifying=("title",),
            extra_labels=("Document",),
            fields=(Field("title"), Field("narrative", "text", max_length=200_000),
                    Field("incident_date", "date"), *PLACE_FIELDS,
                    Field("category", "enum", "Item category", choices=THING_CATEGORIES),
                    Field("quantity", "float", minimum=0, maximum=1e12),
                    Field("unit", "enum", choices=SEIZURE_UNITS),
                    Field("value_usd", "float", "Value (USD)", minimum=0, maximum=1e13), *FINANCIAL_REFERENCES),
        ),
        # A warrant obtained in the case (ICM PIA: warrants among the outcomes management reports on):
        # counted by the statistics when issued and again when served.
        RecordType(
            name="Warrant",
            plural="Warrants",
            caption=("title",),
            identifying=("title",),
            extra_labels=("Document",),
            fields=(Field("title"), Field("warrant_type", "enum", "Warrant type", choices=WARRANT_TYPES),
                    Field("issuing_court", label="Issuing court"), Field("issued_date", "date", "Date issued"),
                    Field("served_date", "date", "Date served", not_before="issued_date"),
                    Field("narrative", "text", max_length=200_000)),
        ),
        RecordType(
            name="SurveillanceReport",
            plural="Electronic surveillance reports",
            caption=("title",),
            identifying=("title",),
            extra_labels=("Document",),
            fields=(Field("title"), Field("narrative", "text", max_length=200_000),
                    Field("incident_date", "date"), Field("authority", label="Legal authority"), *FINANCIAL_REFERENCES),
        ),
        RecordType(
            name="Evidence",
            plural="Evidence items",
            caption=("title",),
            identifying=("title",),
            extra_labels=("Document",),
            fields=(Field("title"), Field("description", "text"), Field("collected_date", "date"),
                    Field("chain_of_custody", "text"), *FINANCIAL_REFERENCES),
        ),
        # CBP CCMS PIA §2.4: case files "may contain information derived from other sources including court
        # documents, reports from other agencies, investigative notes".
        RecordType(
            name="CourtRecord",
            plural="Court records",
            caption=("title",),
            identifying=("title",),
            extra_labels=("Document",),
            fields=(Field("title"), Field("court"), Field("docket_number", label="Docket number"),
                    Field("filed_date", "date", "Date filed"),
                    # The prosecution's outcomes the statistics count (indictments, convictions, sentences).
                    Field("proceeding", "enum", "Proceeding", choices=COURT_PROCEEDINGS),
                    Field("sentence_months", "int", "Sentence (months of custody)", minimum=0, maximum=12_000),
                    Field("fine_usd", "float", "Fine (USD)", minimum=0, maximum=1e12),
                    Field("summary", "text", max_length=200_000), *FINANCIAL_REFERENCES),
        ),
        RecordType(
            name="CaseNote",
            plural="Case notes",
            caption=("title",),
            identifying=("title",),
            extra_labels=("Document",),
            fields=(Field("title"), Field("note", "text", max_length=200_000), Field("note_date", "date")),
        ),
    )
}

ALL_RECORD_TYPES: dict[str, RecordType] = {**ENTITY_TYPES, **DOCUMENT_TYPES}

CASE_STATUSES = ("requested", "open", "referred", "closed", "combined")
CLOSE_REASONS = ("no_new_information", "prosecution_declined", "prosecution_complete", "combined")
APPROVAL_STATUSES = ("pending", "approved", "returned")
ROLES = ("agent", "analyst", "supervisor", "attorney", "auditor", "admin")
#: The headquarters office: its supervisors (and those of offices within it) approve auditor accounts and
#: accounts that report to no one (see logic/people/users.py).
HEADQUARTERS = "HQ"
OFFICE_KINDS = ("field_office", "sector", "branch", "port", "unit")

# ---------------------------------------------------------------------------------------------
# Link vocabulary
# ---------------------------------------------------------------------------------------------

SUBJECTS = frozenset(ENTITY_TYPES)
CONVEYANCES = frozenset({"Vehicle", "Vessel", "Aircraft"})
DOCUMENTS = frozenset(DOCUMENT_TYPES)
FINANCIAL = frozenset(FINANCIAL_SELECTORS)
TELECOM = frozenset(TELECOM_SELECTORS)
SELECTORS = frozenset({"Phone", "Email", "Address", "SocialHandle"}) | FINANCIAL | TELECOM


@dataclass(frozen=True)
class LinkType:
    name: str
    sources: frozenset[str]
    targets: frozenset[str]
    directed: bool = True
    description: str = ""
    #: Extra properties the link may carry, beyond who/when/reason/source/status.
    properties: tuple[str, ...] = ()
    #: System links are the service's bookkeeping (never shown as record content, never drawn by hand).
    system: bool = False
    same_type: bool = field(default=False)
    #: The one path that draws links of this type, when it is not a user's hand (None: anyone who may
    #: write the record draws it through `logic.entities.links`). Links are refused there, naming
    #: this path: a merge drawn by hand would skip its supervisor's approval, and a hand-drawn call
    #: would be a call record nobody imported.
    drawn_by: str | None = None

    def __post_init__(self) -> None:
        if self.system and not self.drawn_by:
            raise ValueError(f"system link {self.name} must say which path draws it (drawn_by)")

    def allows(self, source_label: str, target_label: str) -> bool:
        ok = source_label in self.sources and target_label in self.targets
        if not ok and not self.directed:
            ok = target_label in self.sources and source_label in self.targets
        if ok and self.same_type:
            ok = source_label == target_label
        return ok


LINK_TYPES: dict[str, LinkType] = {
    lt.name: lt
    for lt in (
        LinkType("SUBJECT_IN", SUBJECTS, frozenset({"Case"}), description="is a subject in the case",
                 properties=("role",)),
        LinkType("ASSOCIATE_OF", frozenset({"Person"}), frozenset({"Person"}), directed=False,
                 description="known associate"),
        LinkType("FAMILY_OF", frozenset({"Person"}), frozenset({"Person"}), directed=False,
                 description="family member", properties=("relation",)),
        LinkType("EMPLOYED_BY", frozenset({"Person"}), frozenset({"Business"}), description="works for"),
        LinkType("OFFICER_OF", frozenset({"Person"}), frozenset({"Business"}),
                 description="officer or director of", properties=("title",)),
        LinkType("OWNS", frozenset({"Person", "Business"}), SUBJECTS, description="owns"),
        LinkType("REGISTERED_TO", CONVEYANCES, frozenset({"Person", "Business"}),
                 description="registered to"),
        LinkType("OPERATES", frozenset({"Person", "Business"}), CONVEYANCES | {"Business"},
                 description="operates"),
        LinkType("TRAVELLED_ON", frozenset({"Person", "Thing"}), CONVEYANCES,
                 description="travelled or was carried on", properties=("date", "reference")),
        LinkType("USES_PHONE", frozenset({"Person", "Business"}), frozenset({"Phone"}), description="uses phone"),
        LinkType("USES_EMAIL", frozenset({"Person", "Business"}), frozenset({"Email"}), description="uses email"),
        LinkType("USES_HANDLE", frozenset({"Person", "Business"}), frozenset({"SocialHandle"}),
                 description="uses social media handle"),
        LinkType("HOLDS_ACCOUNT", frozenset({"Person", "Business"}), frozenset({"BankAccount"}),
                 description="holds or signs on bank account"),
        LinkType("USES_WALLET", frozenset({"Person", "Business"}), frozenset({"CryptoWallet"}),
                 description="uses cryptocurrency wallet"),
        LinkType("USES_PAYMENT_HANDLE", frozenset({"Person", "Business"}), frozenset({"PaymentHandle"}),
                 description="uses peer-to-peer payment handle"),
        LinkType("RESIDES_AT", frozenset({"Person"}), frozenset({"Address"}), description="resides at"),
        LinkType("LOCATED_AT", frozenset({"Business", "Vehicle", "Vessel", "Aircraft", "Thing"}),
                 frozenset({"Address"}), description="located at"),
        LinkType("MENTIONS", DOCUMENTS, SUBJECTS | SELECTORS, description="the document mentions"),
        LinkType("PART_OF", DOCUMENTS, frozenset({"Case"}), description="document filed in the case"),
        # A document citing another (evidence referenced in a Report of Investigation); drawn by a writer of
        # the citing document, and both must be readable (`logic.entities.links`).
        LinkType("REFERENCES", DOCUMENTS, DOCUMENTS, description="the document references"),
        # Collateral cases: drawn by a writer of the first case, the other being readable.
        LinkType("RELATED_CASE", frozenset({"Case"}), frozenset({"Case"}), directed=False,
                 description="related (collateral) case"),
        LinkType("SUB_RECORD_OF", SUBJECTS, SUBJECTS, same_type=True,
                 description="resolved as the same individual; the target is the master record",
                 drawn_by="identity resolution: request a merge, which a supervisor approves (undo it by unmerging)"),
        LinkType("CALLED", frozenset({"Phone"}), frozenset({"Phone"}),
                 description="call detail records between two numbers",
                 properties=("count", "first_at", "last_at", "total_seconds"),
                 drawn_by="the telecom import: load the call detail records into the case"),
        LinkType("IDENTIFIED_AS", frozenset({"Phone"}), TELECOM,
                 description="the number's subscriber or miscellaneous records name this IMSI, IMEI or IP address",
                 drawn_by="the telecom import: load the subscriber or miscellaneous records into the case"),
        LinkType("HAS_IDENTIFIER", SUBJECTS, frozenset({"Identifier"}), system=True,
                 description="carries this identifier",
                 drawn_by="the service, from the record's identifier fields"),
    )
}


#: Link types users see as record content (every type but the service's bookkeeping); a deleted
#: record's links of these types are retired with it. Not all are drawn by hand: see HAND_DRAWN_LINK_TYPES.
USER_LINK_TYPES = tuple(name for name, lt in LINK_TYPES.items() if not lt.system)

#: Link types a user may draw and retire by hand (`POST /links`, `POST /links/retire`); the others
#: come only from the path their `drawn_by` names.
HAND_DRAWN_LINK_TYPES = tuple(name for name, lt in LINK_TYPES.items() if lt.drawn_by is None)

def caption(type_name: str, props: dict) -> str:
    """A human caption for a record, built from its type's caption fields (`CAPTION_FIELDS` hold them all)."""
    if type_name == "Case":
        return f"{props.get('case_number', '')} {props.get('title', '')}".strip()
    if type_name in SELECTOR_TYPES:
        return str(props.get("display") or props.get(SELECTOR_TYPES[type_name]) or "")
    t = ALL_RECORD_TYPES.get(type_name)
    if t is None:
        return str(props.get("name") or props.get("uid") or "")
    parts = [str(props[f]) for f in t.caption if props.get(f) not in (None, "")]
    if not parts and type_name == "Person" and props.get("aliases"):
        parts = [props["aliases"][0]]
    return " ".join(parts) or f"{t.name} {str(props.get('uid', ''))[:8]}"


#: Every property `caption` reads, whatever the type: a query that needs only a node's caption reads
#: these (`caption_projection`) instead of all its properties, whose dates cost the driver far more to
#: decode than the text it needs.
CAPTION_FIELDS: tuple[str, ...] = tuple(dict.fromkeys((
    "uid", "case_number", "title", "display", "name", "aliases", *SELECTOR_TYPES.values(),
    *(f for t in ALL_RECORD_TYPES.values() for f in t.caption))))


def caption_projection(var: str) -> str:
    """A Cypher map projection of `var`'s `CAPTION_FIELDS`, for `caption` to read."""
    return var + " {" + ", ".join(f".{f}" for f in CAPTION_FIELDS) + "}"
