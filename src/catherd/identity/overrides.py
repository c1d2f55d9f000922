"""The identity overrides file: a person's decisions that every later sync re-applies.

It is a TOML file meant to be reviewed like code (and kept in the project's repository):

    [[merge]]                 # these identities are one person
    identities = ["jane@old.example", "Jane Doe <jane@new.example>"]
    reason = "Jane confirmed both addresses"

    [[split]]                 # this identity is its own person, whatever the automatic rules say
    identity = "Build Account <shared@example.org>"
    reason = "a shared address"

    [[distinct]]              # not one person: stop suggesting that they are
    identities = ["chris@example.org", "chris@another.example"]
    reason = "two different Chrises"

    [[person]]                # how a person is shown, or whether it is a bot
    identity = "jane@new.example"
    name = "Jane Doe"
    bot = false

    [[forget]]                # shown nowhere by name or address (still counted, anonymously)
    identity = "someone@example.org"
    hide = false              # true: left out of every list too

An *identity reference* is an e-mail address (every identity with it), ``Name <email>`` (that
identity only) or ``github:login``. Edits keep the file's comments and layout (tomlkit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions

from catherd.errors import InputError

_NAMED = re.compile(r"^\s*(.*?)\s*<([^<>]+)>\s*$")
_HEADER = """\
# catherd identity overrides: decisions a person made about who is who.
# Written by `catherd people merge/split`; edit by hand too. Every sync re-applies them.
# An identity is "email" (all identities with it), "Name <email>" or "github:login".
"""


@dataclass(frozen=True)
class IdentityRef:
    """A parsed identity reference: ``email`` alone, ``name`` + ``email``, or a ``login``."""

    email: str | None = None
    name: str | None = None
    login: str | None = None

    @classmethod
    def parse(cls, text: str) -> IdentityRef:
        text = text.strip()
        if text.lower().startswith("github:") and len(text) > 7:
            return cls(login=text[7:].strip().lower())
        named = _NAMED.match(text)
        if named:
            return cls(email=named.group(2).strip().lower(), name=named.group(1))
        if "@" in text and " " not in text:
            return cls(email=text.lower())
        raise InputError(
            f'{text!r} is not an identity: use an e-mail, "Name <email>" or github:login'
        )

    def matches(self, row: dict[str, Any]) -> bool:
        """True if an ``identities`` row (``name``, ``email_key``, ``login``) is referenced."""
        if self.login:
            return (row.get("login") or "") == self.login
        if row.get("email_key") != self.email:
            return False
        return self.name is None or (row.get("name") or "").casefold() == self.name.casefold()

    def __str__(self) -> str:
        if self.login:
            return f"github:{self.login}"
        return f"{self.name} <{self.email}>" if self.name is not None else str(self.email)


@dataclass
class Overrides:
    merges: list[list[IdentityRef]] = field(default_factory=list)
    distinct: list[list[IdentityRef]] = field(default_factory=list)  # never suggest these
    splits: list[IdentityRef] = field(default_factory=list)
    people: list[tuple[IdentityRef, str | None, bool | None]] = field(default_factory=list)
    forget: list[tuple[IdentityRef, bool]] = field(default_factory=list)  # (who, hide too)

    @classmethod
    def load(cls, path: Path | None) -> Overrides:
        result = cls()
        if path is None or not path.exists():
            return result
        data = _read(path)
        for n, entry in enumerate(data.get("merge", []), start=1):
            refs = entry.get("identities")
            if not isinstance(refs, list) or len(refs) < 2:
                raise InputError(f"{path}: [[merge]] #{n} needs identities = [at least two]")
            result.merges.append([_ref(r, path, f"[[merge]] #{n}") for r in refs])
        for n, entry in enumerate(data.get("distinct", []), start=1):
            refs = entry.get("identities")
            if not isinstance(refs, list) or len(refs) < 2:
                raise InputError(f"{path}: [[distinct]] #{n} needs identities = [at least two]")
            result.distinct.append([_ref(r, path, f"[[distinct]] #{n}") for r in refs])
        for n, entry in enumerate(data.get("split", []), start=1):
            result.splits.append(_ref(entry.get("identity"), path, f"[[split]] #{n}"))
        for n, entry in enumerate(data.get("person", []), start=1):
            ref = _ref(entry.get("identity"), path, f"[[person]] #{n}")
            name, bot = entry.get("name"), entry.get("bot")
            if bot is not None and not isinstance(bot, bool):
                raise InputError(f"{path}: [[person]] #{n}: bot must be true or false")
            result.people.append((ref, str(name) if name else None, bot))
        for n, entry in enumerate(data.get("forget", []), start=1):
            ref = _ref(entry.get("identity"), path, f"[[forget]] #{n}")
            hide = entry.get("hide", False)
            if not isinstance(hide, bool):
                raise InputError(f"{path}: [[forget]] #{n}: hide must be true or false")
            result.forget.append((ref, hide))
        return result


def record_merge(path: Path, refs: list[IdentityRef], reason: str) -> None:
    """Append a ``[[merge]]`` decision to the overrides file (created if missing)."""
    _append(path, "merge", {"identities": [str(r) for r in refs], "reason": reason})


def record_distinct(path: Path, refs: list[IdentityRef], reason: str) -> None:
    """Append a ``[[distinct]]`` decision (not one person) to the overrides file."""
    _append(path, "distinct", {"identities": [str(r) for r in refs], "reason": reason})


def record_split(path: Path, ref: IdentityRef, reason: str) -> None:
    """Append a ``[[split]]`` decision to the overrides file (created if missing)."""
    _append(path, "split", {"identity": str(ref), "reason": reason})


def record_forget(path: Path, ref: IdentityRef, hide: bool, reason: str) -> None:
    """Append a ``[[forget]]`` request to the overrides file (created if missing)."""
    _append(path, "forget", {"identity": str(ref), "hide": hide, "reason": reason})


def _append(path: Path, kind: str, entry: dict[str, Any]) -> None:
    document = _read(path) if path.exists() else tomlkit.parse(_HEADER)
    table = tomlkit.table()
    for key, value in {**entry, "decided": date.today()}.items():
        table.add(key, value)
    if kind not in document:
        document.add(kind, tomlkit.aot())
    document[kind].append(table)  # type: ignore[union-attr]
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(tomlkit.dumps(document), encoding="utf-8")
    partial.replace(path)  # never leave a half-written file behind


def _read(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except tomlkit.exceptions.ParseError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read the overrides file: {exc.strerror}") from exc


def _ref(value: Any, path: Path, where: str) -> IdentityRef:
    if not isinstance(value, str):
        raise InputError(f"{path}: {where}: identity must be a string")
    try:
        return IdentityRef.parse(value)
    except InputError as exc:
        raise InputError(f"{path}: {where}: {exc}") from exc
