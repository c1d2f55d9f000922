"""Turn what a person types (a person id, an e-mail, ``Name <email>``, ``github:login``) into
an identity reference the overrides file can record, checked against the store."""

from __future__ import annotations

from typing import Any

from catherd.errors import InputError
from catherd.identity.overrides import IdentityRef
from catherd.store.database import Store


def reference(store: Store, text: str) -> IdentityRef:
    """An identity reference for a person id, an e-mail, ``Name <email>`` or ``github:login``
    that names at least one identity of the store."""
    if text.startswith("p") and " " not in text and "@" not in text and ":" not in text:
        # The person's main address names all its identities with that address; a person
        # with placeholder addresses only is named by its most active exact identity.
        row = store.rows(
            "SELECT p.primary_email, i.name, i.email_key FROM people p JOIN identities i "
            "USING (person_id) WHERE person_id = ? ORDER BY i.contributions DESC, i.name LIMIT 1",
            [text],
        )
        if not row:
            raise InputError(f"{text!r}: no person with this id (see `catherd people`)")
        primary = row[0]["primary_email"]
        if primary and store.scalar(
            "SELECT count(*) FROM identities WHERE person_id = ? AND email_key = ?", [text, primary]
        ):
            return IdentityRef(email=primary)
        return IdentityRef(email=row[0]["email_key"], name=row[0]["name"])
    ref = IdentityRef.parse(text)
    params: list[Any]
    if ref.login:
        where, params = "login = ?", [ref.login]
    elif ref.name is not None:
        where, params = "email_key = ? AND lower(name) = lower(?)", [ref.email, ref.name]
    else:
        where, params = "email_key = ?", [ref.email]
    if not store.scalar(f"SELECT count(*) FROM identities WHERE {where}", params):
        raise InputError(f"{text!r}: no identity in the store matches it")
    return ref
