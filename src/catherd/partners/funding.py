"""Money: currencies with explicit rates, income and costs per month, months of runway.

Definitions (docs/partners.md): an agreement's amount is paid evenly over the days from its
start to its end, both included, so a month receives the share of its days; a team
member's monthly cost is charged by the share of the month's days they are funded. Income
counts signed and renewed agreements ("signed"), plus prospects and negotiations marked
``likely`` ("signed + likely"); lapsed agreements count in neither. Runway is the number of
whole months, from the month of ``as_of``, during which the balance (``[funding] balance``
at the start of that month, plus income, minus costs) stays at zero or above.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from catherd.config import Config
from catherd.errors import InputError
from catherd.metrics.runner import next_period
from catherd.partners.records import ACTIVE, Agreement, Member, Partner, Records

SCENARIOS = ("signed", "likely")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Funding:
    """The ``[funding]`` table: the reporting currency, rates into it, and cash in hand."""

    currency: str = "EUR"
    rates: dict[str, Decimal] = field(default_factory=dict)  # 1 unit of key = rate units
    balance: Decimal = Decimal(0)

    @property
    def currencies(self) -> set[str]:
        return {self.currency, *self.rates}

    def convert(self, amount: Decimal, currency: str) -> Decimal:
        if currency == self.currency:
            return amount
        if currency not in self.rates:
            raise InputError(f"no exchange rate from {currency} to {self.currency}: add "
                             f"{currency} = RATE to [funding.rates] in catherd.toml")  # fmt: skip
        return amount * self.rates[currency]

    @classmethod
    def of(cls, config: Config) -> Funding:
        """The ``[funding]`` table of the project file (defaults without one)."""
        return cls.from_table(config.funding, str(config.source or "catherd.toml"))

    @classmethod
    def from_table(cls, table: dict[str, Any], where: str) -> Funding:
        currency = table.get("currency", "EUR")
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isupper()):
            raise InputError(f'{where}: [funding] currency must be a code such as "EUR"')
        rates = {}
        for code, rate in dict(table.get("rates", {})).items():
            if not (len(code) == 3 and code.isupper()):
                raise InputError(f"{where}: [funding.rates] {code!r} is not a currency code")
            if not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= 0:
                raise InputError(f"{where}: [funding.rates] {code} must be a positive number")
            rates[code] = Decimal(repr(rate))
        balance = table.get("balance", 0)
        if not isinstance(balance, int | float) or isinstance(balance, bool):
            raise InputError(f"{where}: [funding] balance must be a number")
        return cls(currency, rates, Decimal(repr(balance)))


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def overlap_days(start: date, end: date | None, first: date, last: date) -> int:
    end = end or last
    return max(0, (min(end, last) - max(start, first)).days + 1)


def agreement_income(agreement: Agreement, first: date, funding: Funding) -> Decimal:
    """What ``agreement`` pays in the month starting ``first``, in the reporting currency."""
    total_days = (agreement.end - agreement.start).days + 1
    days = overlap_days(agreement.start, agreement.end, first, month_end(first))
    return funding.convert(agreement.amount, agreement.currency) * days / total_days


def member_cost(member: Member, first: date, funding: Funding) -> Decimal:
    last = month_end(first)
    share = Decimal(overlap_days(member.start, member.end, first, last)) / last.day
    return funding.convert(member.monthly_cost, member.currency) * share


def counts_in(agreement: Agreement, scenario: str) -> bool:
    if agreement.status in ACTIVE:
        return True
    return scenario == "likely" and agreement.likely and agreement.status != "lapsed"


@dataclass(frozen=True)
class Runway:
    as_of: date
    months: list[dict[str, Any]]  # month, income_signed, income_likely, costs, balance_*
    runway: dict[str, int | None]  # scenario -> whole months covered (None: beyond horizon)
    renewals: list[dict[str, Any]]  # running agreements due within the window, or overdue
    currency: str

    def runs_out(self, scenario: str) -> date | None:
        """The month the money runs out in (its balance first below zero), or None when
        it lasts beyond the horizon."""
        index = self.runway[scenario]
        return None if index is None else self.months[index]["month"]


def runway(
    records: Records, funding: Funding, as_of: date, horizon: int = 36, renewal_days: int = 90
) -> Runway:
    """Month by month from ``as_of``'s month, ``horizon`` months ahead."""
    agreements: list[Agreement] = records.of(Agreement)
    members: list[Member] = records.of(Member)
    balance = dict.fromkeys(SCENARIOS, funding.balance)
    covered: dict[str, int | None] = dict.fromkeys(SCENARIOS)
    months = []
    first = month_start(as_of)
    for index in range(horizon):
        costs = sum((member_cost(m, first, funding) for m in members), Decimal(0))
        row: dict[str, Any] = {"month": first, "costs": costs.quantize(CENT)}
        for scenario in SCENARIOS:
            income = sum(
                (agreement_income(a, first, funding) for a in agreements if counts_in(a, scenario)),
                Decimal(0),
            )
            balance[scenario] += income - costs
            row[f"income_{scenario}"] = income.quantize(CENT)
            row[f"balance_{scenario}"] = balance[scenario].quantize(CENT)
            if balance[scenario] < 0 and covered[scenario] is None:
                covered[scenario] = index
        months.append(row)
        first = next_period(first, "month")
    names = {p.id: p.name for p in records.of(Partner)}
    renewals = [
        {
            "agreement": a.id,
            "partner": a.partner,
            "partner_name": names.get(a.partner, a.partner),
            "due": a.renewal or a.end,
            "days": ((a.renewal or a.end) - as_of).days,
            "amount": funding.convert(a.amount, a.currency).quantize(CENT),
            "status": a.status,
        }
        for a in agreements
        # still running, and due within the window or already overdue (negative days)
        if a.status in ACTIVE
        and a.end >= as_of
        and ((a.renewal or a.end) - as_of).days <= renewal_days
    ]
    renewals.sort(key=lambda r: (r["due"], r["agreement"]))
    return Runway(as_of, months, covered, renewals, funding.currency)
