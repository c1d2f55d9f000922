"""Run a sync end to end: repositories into the store, then who-is-who rebuilt.

Each repository is loaded in its own transaction, so one broken repository never undoes
the others and an interrupted sync keeps every repository finished before it. Identity
tables are then rebuilt in one more transaction whenever raw data or the decision files
changed (a fingerprint in ``meta`` tells), so they never disagree with what is stored.
All locations are checked before anything is written: a bad path changes nothing.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from catherd import __version__
from catherd.config import Config, LogSite, RepositorySpec
from catherd.errors import CatherdError, InputError
from catherd.identity.lookup import reference
from catherd.identity.organisations import OrganisationMap
from catherd.identity.overrides import IdentityRef, Overrides
from catherd.identity.resolve import PERSON_ID, ResolveResult, resolve_identities
from catherd.identity.suggest import pending
from catherd.sources.decisions.layouts import check_patterns
from catherd.sources.git.repository import default_name, open_repository
from catherd.sources.github.client import Clock, GitHubClient
from catherd.sources.github.repository import GitHubRepository, is_github, parse_slug
from catherd.store.database import Store
from catherd.store.decision_loader import sync_decisions
from catherd.store.gharchive_loader import ImportResult, import_archives
from catherd.store.git_loader import GitSyncResult, Progress, sync_git_repository
from catherd.store.github_loader import GitHubSyncResult, sync_github_repository
from catherd.store.visitor_keys import VisitorKeys, default_key_file
from catherd.store.weblog_loader import ImportResult as LogImportResult
from catherd.store.weblog_loader import LogSource, import_logs

# A progress callback for one step, given its name and what it counts ("commits"...).
ProgressFactory = Callable[[str, str], Progress]


@dataclass
class SyncReport:
    repositories: list[GitSyncResult] = field(default_factory=list)
    github: list[GitHubSyncResult] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    identities: ResolveResult | None = None
    pending_duplicates: int = 0  # probable duplicate people nobody decided about yet
    decisions: list[tuple[str, int]] = field(default_factory=list)  # (repository, documents)
    traffic: LogImportResult | None = None


def sync(
    store: Store,
    config: Config,
    specs: list[RepositorySpec],
    progress: ProgressFactory | None = None,
    stop_on_error: bool = True,
    skip_missing_objects: bool = False,
    github_clock: Clock | None = None,
    logs: bool = False,
) -> SyncReport:
    """Ingest ``specs`` (checked first), then bring identity tables up to date; with
    ``logs``, also import the access logs of ``[traffic]`` sites."""
    # Load the decision files first: a typo in them must fail before anything is written.
    overrides = Overrides.load(config.overrides)
    organisations = OrganisationMap.load(config.organisations)
    patterns = check_patterns(config.decisions.get("paths"), str(config.source or "[decisions]"))
    slugs = [(spec, parse_slug(spec.location)) for spec in specs if is_github(spec.location)]
    opened = [(spec, open_repository(spec.location, config.cache_dir))
              for spec in specs if not is_github(spec.location)]  # fmt: skip
    report = SyncReport()
    mailmap = str(config.mailmap) if config.mailmap else None
    for spec, repo in opened:
        try:
            with store.transaction():
                repo_id, name = _register(store, spec, repo.location, repo.kind, str(repo.git_dir))
                result = sync_git_repository(
                    store,
                    repo,
                    repo_id,
                    spec.all_branches,
                    mailmap,
                    progress(name, "commits") if progress else None,
                    skip_missing_objects,
                )
                result.repository = name
                if not result.unchanged:
                    store.bump_raw_version()
                # in the same transaction: documents never disagree with the commits stored
                documents = sync_decisions(store, repo, repo_id, patterns)
            report.repositories.append(result)
            if documents is not None:
                report.decisions.append((name, documents))
        except CatherdError as exc:
            if stop_on_error:
                raise
            report.failures.append((spec.location, str(exc)))
    if slugs:
        _sync_github(store, config, slugs, report, progress, stop_on_error, github_clock)
    report.identities = refresh_identities(store, config, overrides, organisations,
                                           progress=progress)  # fmt: skip
    report.pending_duplicates = len(pending(store.rows("SELECT * FROM identities"), overrides))
    if logs and config.traffic.sites:
        try:
            report.traffic = import_traffic(store, config)
        except CatherdError as exc:
            if stop_on_error:
                raise
            report.failures.append(("[traffic]", str(exc)))
    return report


def import_traffic(
    store: Store,
    config: Config,
    files: list[Path] | None = None,
    site: str | None = None,
    log_format: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> LogImportResult:
    """Import access logs: ``files`` (for ``site``), or else every log of ``[traffic]``."""
    settings = config.traffic
    if files:
        sources = []
        for path in files:
            owner = _site_of(path, settings.sites, site)
            chosen = log_format or (owner.format if owner else None) or settings.format
            sources.append(LogSource(path, owner.name if owner else site or "web", chosen))
    else:
        sources = [
            LogSource(Path(found), entry.name, entry.format or settings.format)
            for entry in settings.sites
            for pattern in entry.logs
            for found in sorted(glob.glob(pattern))
        ]
    keys = VisitorKeys(settings.keys or default_key_file(config.db), settings.keep_keys_days)
    return import_logs(store, sources, keys, progress)


def _site_of(path: Path, sites: tuple[LogSite, ...], named: str | None) -> LogSite | None:
    """The configured site a file belongs to: the one named, else the one whose globs match
    it, else the only one."""
    if named is not None:
        return next((s for s in sites if s.name == named), None)
    resolved = str(path.resolve())
    matching = [s for s in sites if any(fnmatch.fnmatch(resolved, g) for g in s.logs)]
    if matching:
        return matching[0]
    if len(sites) > 1:
        names = ", ".join(s.name for s in sites)
        raise InputError(f"{path}: which site is it? name it with --site ({names})")
    return sites[0] if sites else None


def _sync_github(
    store: Store,
    config: Config,
    slugs: list[tuple[RepositorySpec, str]],
    report: SyncReport,
    progress: ProgressFactory | None,
    stop_on_error: bool,
    clock: Clock | None,
) -> None:
    """Each GitHub repository on its own: a permanent error on one does not stop the rest."""
    client = GitHubClient(
        api_url=config.github_api_url, token=config.github_token, clock=clock or Clock()
    )
    try:
        for spec, slug in slugs:
            try:
                with store.transaction():
                    repo_id, name = _register(store, spec, f"github:{slug}", "github", "")
                source = GitHubRepository(client, slug)
                result = sync_github_repository(
                    store, source, repo_id, progress(name, "GitHub items") if progress else None
                )
                report.github.append(result)
                if result.changed:
                    # logins and bots read from GitHub data: identities must be rebuilt
                    with store.transaction():
                        store.bump_raw_version()
            except CatherdError as exc:
                if stop_on_error:
                    raise
                report.failures.append((spec.location, str(exc)))
    finally:
        client.close()


def refresh_identities(
    store: Store,
    config: Config,
    overrides: Overrides | None = None,
    organisations: OrganisationMap | None = None,
    force: bool = False,
    progress: ProgressFactory | None = None,
) -> ResolveResult | None:
    """Rebuild identity tables if raw data or decision files changed since the last time."""
    fingerprint = _identity_fingerprint(store, config)
    if not force and store.scalar("SELECT value FROM meta WHERE key = 'identity_fingerprint'") == (
        fingerprint
    ):
        return None
    overrides = overrides or Overrides.load(config.overrides)
    organisations = organisations or OrganisationMap.load(config.organisations)
    team = team_references(store, config)
    step = progress("people: merging identities", "identities") if progress else None
    if step:
        step(0, 0)
    with store.transaction() as con:
        result = resolve_identities(con, overrides, organisations, team)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('identity_fingerprint', ?)", [fingerprint])
    if step:
        step(result.identities, result.identities)
    return result


def decide(
    store: Store,
    config: Config,
    texts: list[str],
    record: Callable[[Path, list[IdentityRef]], None],
    what: str,
    actor: str | None = None,
) -> tuple[list[IdentityRef], ResolveResult | None]:
    """A person's decision about identities (merge, keep apart, split, forget): check that
    ``texts`` name identities, write it to the overrides file with ``record``, audit-log it
    when ``actor`` made it on the dashboard, and rebuild who is who."""
    if config.overrides is None:
        raise InputError("no identity overrides file configured ([identity] overrides)")
    refs = [reference(store, text) for text in texts]
    record(config.overrides, refs)
    if actor is not None:
        with store.transaction() as con:
            entry = {"decision": what, "identities": [str(r) for r in refs]}
            con.execute(
                "INSERT INTO audit_log VALUES (?, ?, 'identity', ?, 'added', NULL, ?, 'dashboard')",
                [datetime.now(UTC), actor, " + ".join(texts), json.dumps(entry)],
            )
    return refs, refresh_identities(store, config)


def team_references(store: Store, config: Config) -> tuple[str, ...]:
    """Who the team is: ``[team] members``, ``[triage] team`` logins, and the funded team.

    Checked here, before anything is written: a reference that cannot name anyone is an
    error in the project file, not a silent omission.
    """
    where = f"{config.source or 'catherd.toml'}: [team] members"
    for member in config.team:
        if not PERSON_ID.match(member):
            try:
                IdentityRef.parse(member)
            except InputError as exc:
                raise InputError(f"{where}: {exc}") from None
    logins = [
        f"github:{login}" for login in config.triage.get("team", []) if isinstance(login, str)
    ]
    funded = store.rows("SELECT data->>'$.person' AS person FROM records WHERE kind = 'member'")
    return tuple(sorted({*config.team, *logins, *(row["person"] for row in funded)}))


def _identity_fingerprint(store: Store, config: Config) -> str:
    digest = hashlib.sha1(__version__.encode())
    digest.update(str(store.scalar("SELECT value FROM meta WHERE key = 'raw_version'")).encode())
    digest.update("\0".join(team_references(store, config)).encode())
    for path in (config.overrides, config.organisations):
        digest.update(b"\0")
        if path is not None and Path(path).is_file():
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def _register(
    store: Store, spec: RepositorySpec, location: str, kind: str, git_dir: str
) -> tuple[int, str]:
    """The repository's id and name, adding a row for it on first sight."""
    rows = store.con.execute(
        "SELECT repo_id, name FROM repositories WHERE location = ?", [location]
    ).fetchall()
    if rows:
        row = rows[0]
        store.con.execute(
            "UPDATE repositories SET all_branches = ?, git_dir = ? WHERE repo_id = ?",
            [spec.all_branches, git_dir, row[0]],
        )
        return int(row[0]), str(row[1])
    name = spec.name or (
        location.removeprefix("github:") if kind == "github" else default_name(location)
    )
    taken = {r[0] for r in store.con.execute("SELECT name FROM repositories").fetchall()}
    base, n = name, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    repo_id = int(store.scalar("SELECT coalesce(max(repo_id), 0) + 1 FROM repositories"))
    store.con.execute(
        "INSERT INTO repositories VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL)",
        [repo_id, name, location, kind, git_dir, spec.all_branches, datetime.now(UTC)],
    )
    return repo_id, name


def import_gharchive(
    store: Store,
    config: Config,
    paths: list[Path],
    repositories: set[str],
    owners: set[str],
    progress: Callable[[str], None] | None = None,
    everything: bool = False,
) -> ImportResult:
    """Import GH Archive dumps, then bring identity tables up to date (logins, bots)."""
    result = import_archives(store, paths, repositories, owners, progress, everything)
    if result.changed:
        with store.transaction():
            store.bump_raw_version()
    refresh_identities(store, config)
    return result


def known_repositories(store: Store) -> list[RepositorySpec]:
    """Every repository the store has ingested, as specs to sync again."""
    return [
        RepositorySpec(r["location"], r["name"], r["all_branches"])
        for r in store.rows(
            "SELECT location, name, all_branches FROM repositories ORDER BY repo_id"
        )
    ]
