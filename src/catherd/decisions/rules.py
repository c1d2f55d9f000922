"""``[decisions]`` settings the log reasons with: who may vote, the majority a vote needs,
and how long a proposal may wait unchanged before it is reported as stale."""

from __future__ import annotations

from dataclasses import dataclass

from catherd.config import Config
from catherd.errors import InputError


@dataclass(frozen=True)
class DecisionRules:
    voters: frozenset[str] | None = None  # GitHub logins, lower-cased; None: anyone
    voters_from: str = "anyone"  # where the list came from, said beside every tally
    majority: float = 2 / 3  # of the votes cast (for and against)
    stale_days: int = 365

    @classmethod
    def from_config(cls, config: Config) -> DecisionRules:
        """From ``[decisions]``; without ``voters``, the ``[triage] team`` votes."""
        table = config.decisions
        where = f"{config.source or 'catherd.toml'}: [decisions]"
        voters, voters_from = table.get("voters"), "[decisions] voters"
        if voters is None and config.triage.get("team"):
            voters, voters_from = config.triage["team"], "[triage] team"
        if voters is not None and (
            not isinstance(voters, list) or not all(isinstance(v, str) and v for v in voters)
        ):
            raise InputError(f'{where} voters must be a list of GitHub logins such as ["ada"]')
        majority = table.get("majority", 2 / 3)
        if isinstance(majority, bool) or not isinstance(majority, int | float) or not (
            0 < majority <= 1
        ):
            raise InputError(f"{where} majority must be a share of the votes cast, 0 < m <= 1")
        stale = table.get("stale_days", 365)
        if isinstance(stale, bool) or not isinstance(stale, int) or stale < 1:
            raise InputError(f"{where} stale_days must be a whole number of days, at least 1")
        return cls(
            frozenset(v.lower().lstrip("@") for v in voters) if voters is not None else None,
            voters_from if voters is not None else "anyone",
            float(majority),
            stale,
        )
