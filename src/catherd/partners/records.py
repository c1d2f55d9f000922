"""Partnership records: what each kind holds, how it is checked, and its TOML form.

Seven kinds live in four files meant for a (private) repository, reviewed like code:
``partners.toml`` (``[[partner]]``, ``[[agreement]]``, ``[[contact]]``), ``team.toml``
(``[[member]]``: funded team members), ``priorities.toml`` (``[[priority]]``,
``[[meeting]]``) and ``sprints.toml`` (``[[sprint]]``: the community's sprints). A record
is checked on its own here (types, dates, statuses, currencies, unknown keys) and against the
others (an agreement's partner exists...); whether a team member is a known person is the
store's to say (``partners.book``).

Who may see what is part of the record: ``visibility`` is ``public``, ``sponsors`` or
``team`` (the default for anything financial or personal); contacts are always team-only.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import tomlkit
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from catherd.errors import InputError

Visibility = Literal["public", "sponsors", "team"]
AUDIENCES: dict[str, tuple[str, ...]] = {
    "public": ("public",),
    "sponsors": ("public", "sponsors"),
    "team": ("public", "sponsors", "team"),
}


def visible(visibility: str, audience: str) -> bool:
    """Whether something marked ``visibility`` shows to ``audience`` (public, sponsors, team)."""
    return visibility in AUDIENCES[audience]


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
# a quadrillion is more than any foundation's budget: larger is a typo (or 1e308)
Money = Annotated[Decimal, Field(ge=0, le=Decimal(10**15), allow_inf_nan=False)]
ACTIVE = ("signed", "renewed")  # agreements that pay
LINK = re.compile(
    r"^(?P<repo>[\w.-]+/[\w.-]+)(#(?P<number>\d+)| (?P<what>label|milestone):(?P<name>.+))$"
)


class Record(BaseModel):
    """Fields every record has; unknown keys are refused (a typo must not vanish)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: ClassVar[str]
    id: Slug

    @field_validator("*", mode="before")
    @classmethod
    def _exact_money(cls, value: Any) -> Any:
        # TOML floats are binary: 1234.56 must stay 1234.56, not 1234.5599999...
        return Decimal(repr(value)) if isinstance(value, float) else value


class Partner(Record):
    kind = "partner"
    name: str = Field(min_length=1)
    tier: str | None = None
    website: str | None = Field(None, pattern=r"^https?://")
    logo: str | None = None
    visibility: Visibility = "team"
    # organisations in the identity store (ids such as "inria.fr") whose people are this
    # partner's: they are not prospects while an agreement is active
    organisations: list[str] = []


class Agreement(Record):
    kind = "agreement"
    partner: Slug
    amount: Money  # over the whole agreement, spread evenly over its months
    currency: Currency
    start: date
    end: date  # inclusive: the last day paid for
    status: Literal["prospect", "negotiating", "signed", "renewed", "lapsed"]
    renewal: date | None = None  # when to have renewed it by (default: its end)
    likely: bool = False  # a prospect or negotiation counted in the "signed + likely" scenario
    amount_visibility: Visibility = "team"
    notes: str = ""

    @model_validator(mode="after")
    def _dates(self) -> Agreement:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class LogEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    date: date
    note: str = Field(min_length=1)
    by: str | None = None


class Contact(Record):
    kind = "contact"
    partner: Slug
    name: str = Field(min_length=1)
    role: str = ""
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    last_contact: date | None = None
    log: list[LogEntry] = []


class Member(Record):
    kind = "member"
    person: str = Field(min_length=1)  # a person id, an e-mail, "github:login" or "Name <email>"
    role: str = ""
    fte: Decimal = Field(gt=0, le=1)
    monthly_cost: Money
    currency: Currency
    start: date
    end: date | None = None  # inclusive
    funded_by: Slug | None = None  # an agreement or a partner
    visibility: Visibility = "public"  # may the person be named as funded?
    cost_visibility: Visibility = "team"

    @model_validator(mode="after")
    def _dates(self) -> Member:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Priority(Record):
    kind = "priority"
    title: str = Field(min_length=1)
    sponsors: list[Slug] = []  # partners who asked for it
    community: bool = False  # the community asked for it
    owner: str = ""
    # "owner/repo#123", "owner/repo label:NAME" or "owner/repo milestone:NAME"
    links: list[str] = []
    target: date | None = None
    status: Literal["proposed", "agreed", "in-progress", "done", "dropped"] = "proposed"
    visibility: Visibility = "public"

    @model_validator(mode="after")
    def _origin_and_links(self) -> Priority:
        if not self.sponsors and not self.community:
            raise ValueError("say where it comes from: sponsors = [...] and/or community = true")
        for link in self.links:
            if not LINK.match(link):
                raise ValueError(
                    f"link {link!r} is not 'owner/repo#N', 'owner/repo label:NAME' "
                    "or 'owner/repo milestone:NAME'"
                )
        return self


class Meeting(Record):
    kind = "meeting"
    date: date
    title: str = Field(min_length=1)
    partners: list[Slug] = []
    priorities: list[Slug] = []  # agreed or reviewed there
    notes: str = ""
    visibility: Visibility = "team"


# Who took part in a sprint: a GitHub login (``login``, ``@login``, ``github:login``), an
# e-mail, ``Name <email>`` or a person id; matched to people through their identities.
_PERSON_REFERENCE = re.compile(
    r"^((@|github:)?[A-Za-z0-9][A-Za-z0-9_-]*|[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+"
    r"|[^<>]*<[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+>)$"
)


def _person_reference(text: str) -> str:
    if not _PERSON_REFERENCE.match(text.strip()):
        raise ValueError(f"{text!r} is not a GitHub login, an e-mail, Name <email> or a person id")
    return text.strip()


PersonReference = Annotated[str, AfterValidator(_person_reference)]


class Sprint(Record):
    kind = "sprint"
    name: str = Field(min_length=1)
    start: date
    end: date  # inclusive: the sprint's last day
    place: str = "online"  # a venue and city, or "online"
    organisers: list[PersonReference] = []
    mentors: list[PersonReference] = []
    participants: list[PersonReference] = []
    # what marks sprint work on GitHub: pull requests and issues with one of these labels,
    # or in this milestone (participants' pull requests count too)
    labels: list[str] = []
    milestone: str | None = None
    repositories: list[Annotated[str, Field(pattern=r"^[\w.-]+/[\w.-]+$")]] = []  # default: all
    visibility: Visibility = "public"
    notes: str = ""

    @model_validator(mode="after")
    def _dates(self) -> Sprint:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


KINDS: dict[str, type[Record]] = {
    model.kind: model
    for model in (Partner, Agreement, Contact, Member, Priority, Meeting, Sprint)
}
FILES: dict[str, tuple[str, ...]] = {
    "partners.toml": ("partner", "agreement", "contact"),
    "team.toml": ("member",),
    "priorities.toml": ("priority", "meeting"),
    "sprints.toml": ("sprint",),
}


class Records:
    """All records of some kinds, by kind and id."""

    def __init__(self, by_kind: dict[str, dict[str, Record]]) -> None:
        self.by_kind = by_kind

    def __iter__(self) -> Iterator[Record]:
        for kind in KINDS:
            yield from self.by_kind.get(kind, {}).values()

    def of(self, model: type[Record]) -> list[Any]:
        return list(self.by_kind.get(model.kind, {}).values())

    def get(self, kind: str, record_id: str) -> Record | None:
        return self.by_kind.get(kind, {}).get(record_id)

    def check(self, currencies: Iterable[str]) -> list[str]:
        """What is wrong between records: references to unknown ids, unknown currencies."""
        known = set(currencies)
        problems = []

        def missing(record: Record, field: str, kind: str, ids: Iterable[str]) -> None:
            for value in ids:
                if self.get(kind, value) is None:
                    problems.append(f"{record.kind} {record.id!r}: {field} {value!r} is no {kind}")

        for record in self:
            if isinstance(record, Agreement | Contact):
                missing(record, "partner", "partner", [record.partner])
            if isinstance(record, Agreement | Member) and record.currency not in known:
                problems.append(
                    f"{record.kind} {record.id!r}: unknown currency {record.currency!r} "
                    f"(known: {', '.join(sorted(known))}; add a rate under [funding.rates])"
                )
            if (
                isinstance(record, Member)
                and record.funded_by is not None
                and not (
                    self.get("agreement", record.funded_by) or self.get("partner", record.funded_by)
                )
            ):
                problems.append(
                    f"member {record.id!r}: funded_by {record.funded_by!r} is no agreement "
                    "or partner"
                )
            if isinstance(record, Priority):
                missing(record, "sponsor", "partner", record.sponsors)
            if isinstance(record, Meeting):
                missing(record, "partner", "partner", record.partners)
                missing(record, "priority", "priority", record.priorities)
        return problems


def parse(
    text: str, where: str, kinds: tuple[str, ...]
) -> tuple[dict[str, dict[str, Record]], list[str]]:
    """The records of one file's text, and what is wrong with them (each naming ``where``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {}, [f"{where}: not valid TOML: {exc}"]
    problems = [
        f"{where}: unknown table [[{key}]] (this file holds {', '.join(kinds)})"
        for key in data
        if key not in kinds
    ]
    found: dict[str, dict[str, Record]] = {kind: {} for kind in kinds}
    for kind in kinds:
        entries = data.get(kind, [])
        if not isinstance(entries, list):
            problems.append(f"{where}: {kind} must be written [[{kind}]]")
            continue
        for n, entry in enumerate(entries, start=1):
            name = (
                f"{kind} {entry.get('id')!r}"
                if isinstance(entry.get("id"), str)
                else f"{kind} #{n}"
            )
            try:
                record = KINDS[kind].model_validate(entry)
            except ValidationError as exc:
                problems.extend(f"{where}: {name}: {_explain(error)}" for error in exc.errors())
                continue
            if record.id in found[kind]:
                problems.append(f"{where}: {name}: a second {kind} with this id")
            found[kind][record.id] = record
    return found, problems


def _explain(error: Any) -> str:
    place = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (a typo?)"
    return f"{place}: {message}" if place else message


def kinds_in(folder: Path) -> tuple[str, ...]:
    """The kinds of record whose files ``folder`` holds: an import replaces those only."""
    return tuple(
        kind for name, kinds in FILES.items() if (folder / name).is_file() for kind in kinds
    )


def read_folder(folder: Path) -> tuple[Records, list[str]]:
    """Read the record files present in ``folder`` (at least one must be)."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder of records")
    present = [name for name in FILES if (folder / name).is_file()]
    if not present:
        raise InputError(f"{folder}: none of {', '.join(FILES)} is there")
    by_kind: dict[str, dict[str, Record]] = {}
    problems: list[str] = []
    for name in present:
        found, wrong = parse(
            (folder / name).read_text(encoding="utf-8"), str(folder / name), FILES[name]
        )
        by_kind.update(found)
        problems.extend(wrong)
    return Records(by_kind), problems


def to_toml(records: Records, kinds: tuple[str, ...]) -> str:
    """One file's text: records in id order, default values left out (they read back the same)."""
    document = tomlkit.document()
    document.add(
        tomlkit.comment("catherd partnership records: `catherd records import` reads this file")
    )
    for kind in kinds:
        tables = tomlkit.aot()
        for record in sorted(records.by_kind.get(kind, {}).values(), key=lambda r: r.id):
            tables.append(_table(record))
        if len(tables):
            document.add(kind, tables)
    return tomlkit.dumps(document)


def record_toml(record: Record) -> str:
    """One record as the body of its TOML table (what the dashboard's edit form shows)."""
    return tomlkit.dumps(_table(record))


def record_from_toml(kind: str, text: str) -> tuple[Record | None, list[str]]:
    """A record of ``kind`` from the body of its TOML table, or what is wrong with it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [f"not valid TOML: {exc}"]
    try:
        return KINDS[kind].model_validate(data), []
    except ValidationError as exc:
        return None, [_explain(error) for error in exc.errors()]


def _table(record: BaseModel) -> Any:
    table = tomlkit.table()
    for name, field in type(record).model_fields.items():
        value = getattr(record, name)
        if name != "id" and value == field.default:
            continue
        if isinstance(value, list) and value and isinstance(value[0], BaseModel):
            entries = tomlkit.aot()
            for entry in value:
                entries.append(_table(entry))
            table.add(name, entries)
        else:
            table.add(name, _plain(value))
    return table


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def from_json(kind: str, data: dict[str, Any]) -> Record:
    return KINDS[kind].model_validate(data)
