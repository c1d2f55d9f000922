"""The project file ``catherd.toml``: what to read, where the store is, where decisions live.

Relative paths in the file are relative to the file's own folder, so a project folder can
be moved or cloned as a whole.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catherd.errors import InputError
from catherd.sources.github import DEFAULT_API_URL

CONFIG_NAME = "catherd.toml"
DEFAULT_DB = "catherd.duckdb"

INIT_TEMPLATE = """\
# catherd project file. `catherd sync` reads it; relative paths are relative to this file.

[project]
name = "{name}"
# The store: one DuckDB file, nothing to start.
db = "catherd.duckdb"

# One [[repositories]] table per git repository to ingest: a working tree, a bare repository,
# a .bundle file, or a URL (cloned once as a mirror, fetched again on each sync).
[[repositories]]
location = "{location}"
# name = "{name}"           # shown in reports; defaults to the last part of the location
# all_branches = false      # true: every branch, not only the default one

[identity]
# Decisions about who is who, written by `catherd people merge/split`; review it like code.
overrides = "identities.toml"
# Your e-mail domain -> organisation map and time-bounded affiliations (see the file).
organisations = "organisations.toml"
# An extra mailmap applied on top of each repository's own .mailmap (optional).
# mailmap = "mailmap"

# The project's team: maintainers and staff, who are never counted as newcomers (the funded
# team of the partnership records counts too). E-mails, "Name <email>", github:login or
# person ids from `catherd people`.
[team]
# members = ["jane@example.org", "github:octocat"]

# The triage queue (`catherd triage`): days before an item needs a person, and the team
# (GitHub logins) whose own items are not waiting for an answer.
[triage]
# response_days = 3
# review_days = 3
# reply_days = 2
# stale_days = 60
# team = ["login1", "login2"]

# GitHub repositories are listed like git ones: location = "github:owner/name".
[github]
# api_url = "https://github.example.com/api/v3"   # GitHub Enterprise
# The token comes from the GITHUB_TOKEN environment variable; small public repositories
# also work without one (60 requests an hour). Avoid writing a token here.

# Partnership records (partners.toml, team.toml, priorities.toml) and sprints (sprints.toml):
# keep them in a private repository and load them with `catherd records import`.
[records]
# folder = "records"

# Runway: amounts are converted into one currency with these rates (no network look-ups).
[funding]
# currency = "EUR"
# rates = {{ USD = 0.92, GBP = 1.17 }}   # 1 USD = 0.92 EUR
# balance = 0                          # cash in hand at the start of the current month

# The decision log (`catherd decisions`): SLEPs, PEPs, NEPs, KEPs, JEPs/SPECs, Rust RFCs and
# ADRs are found without configuration; name other layouts here (globs, * crosses folders).
[decisions]
# paths = ["governance/proposals/*.md"]
# voters = ["login1", "login2"]   # who may vote (default: [triage] team, else anyone)
# majority = 0.667                # share of the votes cast a vote needs to pass
# stale_days = 365                # a draft or proposal under review unchanged this long
# Where metrics and ecosystem questions run: "duckdb" (this store, the default) or "spark"
# (Apache Spark over a lake of Parquet tables: `pip install 'catherd[spark]'`, Java 17).
# `--engine` on `catherd metrics`, `report` and `ecosystem` overrides the kind.
[engine]
# kind = "duckdb"
# master = "local[*]"        # or a cluster: "spark://host:7077", "yarn", "k8s://..."
# lake = "lake"              # a folder or URI (s3a://bucket/lake); default .catherd/lake
# conf = {{ "spark.executor.memory" = "4g" }}

# The accountability report (`catherd report team`): repositories of other projects where
# the funded team's work counts as upstream work (sync them like any repository).
[report]
# upstream = ["python/cpython", "cloudpipe/cloudpickle"]

# Sprints (`catherd sprint prepare/report/detect`; the sprints themselves are records, in
# sprints.toml). Issues labelled "good first issue", "Easy" or "sprint" are candidates for a
# sprint, and so are issues with these labels; those untouched for stale_days are left out.
[sprints]
# labels = ["help wanted"]
# stale_days = 365
# after_days = 30       # work in the days after a sprint still counts as the sprint's
# compare_days = 90     # newcomers this close to a sprint are the ones it is compared with
# The progress digest (`catherd digest --period 2026-10`): the address it will be published
# at (its social posts link there; {{period}} becomes the period), and the web address of
# repositories whose location is not on GitHub, for links to releases and decisions.
[digest]
# url = "https://example.org/blog/progress-{{period}}/"
# repositories = {{ {name} = "https://github.com/owner/{name}" }}

# Website traffic from access logs (`catherd traffic import`, and `catherd sync`): one
# [[traffic.sites]] per site; logs are globs (rotated and .gz/.bz2 files too, any order).
# The format is recognised (combined or common, with or without a virtual host in front),
# or given as an Apache LogFormat or nginx log_format string. Client addresses are never
# stored: visitors are keyed hashes whose daily keys live in a file outside the store
# (default .catherd/<store>.visitor-keys.json) and are forgotten after keep_keys_days.
[traffic]
# format = '%h %l %u %t "%r" %>s %b "%{{Referer}}i" "%{{User-Agent}}i"'
# keys = ".catherd/visitor-keys.json"
# keep_keys_days = 7
# versions = '^/(stable|dev|[0-9]+\\.[0-9]+)/'   # documentation versions, first group
#
# [[traffic.sites]]
# name = "docs"
# logs = ["/var/log/nginx/docs.access.log*"]
# hosts = ["docs.example.org"]      # its own names: not counted as referrers
"""

ORGANISATIONS_TEMPLATE = """\
# Organisations for catherd, read after the map catherd ships (which it extends and overrides).
# A domain covers its subdomains. Unmapped company domains are shown as "unknown".

[domains]
# "example.com" = "Example Inc"

# Someone's organisation for a period, whatever address they used (dates are YYYY-MM-DD;
# "from" is inclusive, "until" exclusive; either may be left out).
# [[affiliation]]
# person = "jane@example.org"          # an e-mail, "Name <email>" or github:login
# organisation = "Company A"
# until = 2021-03-01
#
# [[affiliation]]
# person = "jane@example.org"
# organisation = "Company B"
# from = 2021-03-01
"""


@dataclass(frozen=True)
class RepositorySpec:
    location: str
    name: str | None = None
    all_branches: bool = False


@dataclass(frozen=True)
class LogSite:
    """A website whose access logs are read: ``logs`` are glob patterns (absolute)."""

    name: str
    logs: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()  # the site's own host names (referrers from them are not others)
    format: str | None = None


@dataclass(frozen=True)
class TrafficSettings:
    """The ``[traffic]`` table: sites, a default log format, where visitor keys live."""

    sites: tuple[LogSite, ...] = ()
    format: str | None = None
    keys: Path | None = None  # default: beside the store (store/visitor_keys.py)
    keep_keys_days: int = 7
    versions: str | None = None  # documentation versions: an expression, first group


@dataclass
class Config:
    """Settings from ``catherd.toml`` (or defaults when there is none)."""

    root: Path
    project_name: str = "project"
    db: Path = field(default_factory=lambda: Path(DEFAULT_DB))
    repositories: list[RepositorySpec] = field(default_factory=list)
    overrides: Path | None = None
    organisations: Path | None = None
    mailmap: Path | None = None
    source: Path | None = None  # the file these settings came from
    github_api_url: str = DEFAULT_API_URL
    github_token: str | None = field(default_factory=lambda: os.environ.get("GITHUB_TOKEN") or None)
    triage: dict[str, Any] = field(default_factory=dict)  # the [triage] table, rules and team
    web: dict[str, Any] = field(default_factory=dict)  # the [web] table: public pages
    funding: dict[str, Any] = field(default_factory=dict)  # [funding]: currency, rates, balance
    records: Path | None = None  # the folder of partnership records ([records] folder)
    upstream: list[str] = field(default_factory=list)  # [report] upstream: owner/name, ...
    team: list[str] = field(default_factory=list)  # [team] members: identity references
    decisions: dict[str, Any] = field(default_factory=dict)  # [decisions]: paths, voters...
    traffic: TrafficSettings = field(default_factory=TrafficSettings)  # [traffic]
    sprints: dict[str, Any] = field(default_factory=dict)  # [sprints]: labels, days
    digest: dict[str, Any] = field(default_factory=dict)  # [digest]: url, repositories
    engine: dict[str, Any] = field(default_factory=dict)  # [engine]: kind, master, lake

    @property
    def cache_dir(self) -> Path:
        """Where mirrors of bundles and URLs live: beside the store."""
        return self.db.parent / ".catherd" / "repos"


def load_config(path: Path | None = None, db: Path | None = None) -> Config:
    """Read ``path`` (or ``./catherd.toml`` if it exists); ``db`` overrides the store path."""
    from catherd.sources.git.repository import is_url
    from catherd.sources.github.repository import is_github

    explicit = path is not None
    path = path or Path(CONFIG_NAME)
    if not path.exists():
        if explicit:
            raise InputError(f"{path}: project file not found (create one with `catherd init`)")
        config = Config(root=Path.cwd(), project_name=Path.cwd().name)
        config.overrides = Path("identities.toml").resolve()
        config.organisations = _existing(Path("organisations.toml"))
        if db is not None:
            config.db = db
        return config
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from exc
    root = path.resolve().parent
    project = _table(data, "project", path)
    identity = _table(data, "identity", path)
    config = Config(root=root, source=path)
    config.project_name = str(project.get("name") or root.name)
    config.db = db if db is not None else root / str(project.get("db", DEFAULT_DB))
    for n, entry in enumerate(data.get("repositories", []), start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("location"), str):
            raise InputError(f'{path}: [[repositories]] #{n} needs location = "path or URL"')
        location = entry["location"]
        if not is_url(location) and not is_github(location):
            location = str((root / location).resolve())
        all_branches = entry.get("all_branches", False)
        if not isinstance(all_branches, bool):
            raise InputError(f"{path}: [[repositories]] #{n}: all_branches must be true or false")
        config.repositories.append(RepositorySpec(location, entry.get("name"), all_branches))
    config.overrides = root / str(identity.get("overrides", "identities.toml"))
    if "organisations" in identity:
        config.organisations = root / str(identity["organisations"])
        if not config.organisations.is_file():
            raise InputError(f"{path}: organisations file {config.organisations} not found")
    config.triage = _table(data, "triage", path)
    config.web = _table(data, "web", path)
    config.funding = _table(data, "funding", path)
    config.decisions = _table(data, "decisions", path)
    config.sprints = _table(data, "sprints", path)
    config.records = root / str(_table(data, "records", path).get("folder", "records"))
    config.engine = _table(data, "engine", path)
    upstream = _table(data, "report", path).get("upstream", [])
    if not isinstance(upstream, list) or not all(isinstance(u, str) for u in upstream):
        raise InputError(f'{path}: [report] upstream must be a list such as ["python/cpython"]')
    config.upstream = upstream
    members = _table(data, "team", path).get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise InputError(f'{path}: [team] members must be a list such as ["jane@example.org"]')
    config.team = members
    config.traffic = _traffic(_table(data, "traffic", path), root, path)
    config.digest = _table(data, "digest", path)
    github = _table(data, "github", path)
    config.github_api_url = str(github.get("api_url", DEFAULT_API_URL))
    config.github_token = os.environ.get("GITHUB_TOKEN") or github.get("token") or None
    if identity.get("mailmap"):
        config.mailmap = root / str(identity["mailmap"])
        if not config.mailmap.is_file():
            raise InputError(f"{path}: mailmap file {config.mailmap} not found")
    return config


def _traffic(table: dict[str, Any], root: Path, path: Path) -> TrafficSettings:
    def strings(value: Any, what: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f'{path}: [traffic] {what} must be a list such as ["a", "b"]')
        return tuple(value)

    def text(value: Any, what: str) -> str | None:
        if value is not None and not isinstance(value, str):
            raise InputError(f"{path}: [traffic] {what} must be a string")
        return value

    sites = []
    for n, entry in enumerate(table.get("sites", []), start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise InputError(f'{path}: [[traffic.sites]] #{n} needs name = "..."')
        logs = strings(entry.get("logs", []), f"sites #{n} logs")
        sites.append(LogSite(entry["name"],
                             tuple(str(root / os.path.expanduser(g)) for g in logs),
                             strings(entry.get("hosts", []), f"sites #{n} hosts"),
                             text(entry.get("format"), f"sites #{n} format")))  # fmt: skip
    keep = table.get("keep_keys_days", 7)
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 0:
        raise InputError(f"{path}: [traffic] keep_keys_days must be a whole number of days")
    keys = text(table.get("keys"), "keys")
    return TrafficSettings(tuple(sites), text(table.get("format"), "format"),
                           root / keys if keys else None, keep,
                           text(table.get("versions"), "versions"))  # fmt: skip


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"{path}: [{key}] must be a table")
    return value


def _existing(path: Path) -> Path | None:
    return path.resolve() if path.is_file() else None
