"""Run a sync end to end: repositories into the store, then who-is-who rebuilt.

Each repository is loaded in its own transaction, so one broken repository never undoes
the others and an interrupted sync keeps every repository finished before it. Identity
tables are then rebuilt in one more transaction whenever raw data or the decision files
changed (a fingerprint in ``meta`` tells), so they never disagree with what is stored.
All locations are checked before anything is written: a bad path changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from catherd import __version__
from catherd.config import Config, RepositorySpec
from catherd.errors import CatherdError
from catherd.identity.organisations import OrganisationMap
from catherd.identity.overrides import Overrides
from catherd.identity.resolve import ResolveResult, resolve_identities
from catherd.sources.git.repository import default_name, open_repository
from catherd.sources.github.client import Clock, GitHubClient
from catherd.sources.github.repository import GitHubRepository, is_github, parse_slug
from catherd.store.database import Store
from catherd.store.gharchive_loader import ImportResult, import_archives
from catherd.store.git_loader import GitSyncResult, Progress, sync_git_repository
from catherd.store.github_loader import GitHubSyncResult, sync_github_repository

ProgressFactory = Callable[[str], Progress]


@dataclass
class SyncReport:
    repositories: list[GitSyncResult] = field(default_factory=list)
    github: list[GitHubSyncResult] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    identities: ResolveResult | None = None


def sync(
    store: Store,
    config: Config,
    specs: list[RepositorySpec],
    progress: ProgressFactory | None = None,
    stop_on_error: bool = True,
    skip_missing_objects: bool = False,
    github_clock: Clock | None = None,
) -> SyncReport:
    """Ingest ``specs`` (checked first), then bring identity tables up to date."""
    # Load the decision files first: a typo in them must fail before anything is written.
    overrides = Overrides.load(config.overrides)
    organisations = OrganisationMap.load(config.organisations)
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
                    progress(name) if progress else None,
                    skip_missing_objects,
                )
                result.repository = name
                if not result.unchanged:
                    store.bump_raw_version()
            report.repositories.append(result)
        except CatherdError as exc:
            if stop_on_error:
                raise
            report.failures.append((spec.location, str(exc)))
    if slugs:
        _sync_github(store, config, slugs, report, progress, stop_on_error, github_clock)
    report.identities = refresh_identities(store, config, overrides, organisations)
    return report


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
                    store, source, repo_id, progress(name) if progress else None
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
) -> ResolveResult | None:
    """Rebuild identity tables if raw data or decision files changed since the last time."""
    fingerprint = _identity_fingerprint(store, config)
    if not force and store.scalar("SELECT value FROM meta WHERE key = 'identity_fingerprint'") == (
        fingerprint
    ):
        return None
    overrides = overrides or Overrides.load(config.overrides)
    organisations = organisations or OrganisationMap.load(config.organisations)
    with store.transaction() as con:
        result = resolve_identities(con, overrides, organisations)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('identity_fingerprint', ?)", [fingerprint])
    return result


def _identity_fingerprint(store: Store, config: Config) -> str:
    digest = hashlib.sha1(__version__.encode())
    digest.update(str(store.scalar("SELECT value FROM meta WHERE key = 'raw_version'")).encode())
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
