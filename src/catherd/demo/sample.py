"""Build a store from the shipped sample: ``catherd demo``.

The sample (``data/``, see its README) is cloudpickle's real git history, PyGithub's real
recorded GitHub traffic and SYNTHETIC partnership records. The demo goes through the same
code as a user's own project: it writes a ``catherd.toml``, syncs the bundle like any
repository, and syncs the GitHub repository with catherd's real client against a replay
server on 127.0.0.1 that answers what was recorded (so pagination, ETags, cursors, the loader
and the tables metrics read are all exercised). Where a recording stops, so does the
listing: a next page it does not hold is answered as an empty page; a listing never recorded
gets 404 and is skipped with a warning, as a disabled feature would be. Records are imported
like ``catherd records import``. Running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from catherd.config import CONFIG_NAME, Config, RepositorySpec, load_config
from catherd.demo.replay import Exchange, ReplayServer, read_recording, route
from catherd.errors import InputError
from catherd.partners import book
from catherd.partners.funding import Funding
from catherd.partners.records import kinds_in, read_folder
from catherd.pipeline import ProgressFactory, SyncReport, refresh_identities, sync
from catherd.store.database import Store

DATA = Path(__file__).parent / "data"
BUNDLE = DATA / "cloudpickle.bundle"
RECORDINGS = DATA / "github-api"
RECORDS = DATA / "records"
GITHUB_SLUG = "PyGithub/PyGithub"
# (recording, how many of its exchanges to serve: None for all). The first and last hold
# more than the repository-wide listings a sync reads.
SERVED = (
    ("PaginatedList.testCustomPerPageIteration", 1),  # GET /repos/PyGithub/PyGithub
    ("Repository.testGetIssues", None),
    ("Repository.testGetIssuesEvents", None),
    ("Repository.testGetPullsComments", 1),
)
PROVENANCE = (
    "git: cloudpickle's real history (465 commits, 2015-2025, BSD-3-Clause); GitHub: real "
    f"recorded API answers of another repository, {GITHUB_SLUG} (2012, LGPL-3.0), replayed "
    "on 127.0.0.1; partnership records: SYNTHETIC"
)

DEMO_MARK = "# Written by `catherd demo`"
PROJECT_FILE = """\
# Written by `catherd demo`: the sample project shipped with catherd ({data}).
# Its git history is cloudpickle's; the GitHub activity in the store is PyGithub's, from
# recorded API answers the demo replayed once (it is not listed below, so `catherd sync`
# here needs no network); the partnership records are SYNTHETIC.

[project]
name = "catherd demo (git: cloudpickle; GitHub: PyGithub, 2012)"
db = "catherd.duckdb"

[[repositories]]
location = "{bundle}"
name = "cloudpickle"

[records]
folder = "{records}"

[funding]
currency = "EUR"
rates = {{ USD = 0.92 }}   # 1 USD = 0.92 EUR (a fixed rate for the demo)
"""


@dataclass
class Demo:
    config: Config
    sync: SyncReport
    records_changed: int


def recorded_exchanges() -> list[Exchange]:
    """The recorded exchanges the demo's replay server answers with."""
    exchanges: list[Exchange] = []
    for name, count in SERVED:
        exchanges += read_recording(RECORDINGS / f"{name}.txt")[:count]
    return exchanges


def end_of_recordings(exchanges: list[Exchange]) -> Callable[[str], tuple[int, bytes] | None]:
    """A page past the recorded ones of a recorded listing is empty: the listing ends there."""
    recorded = {route(e.method, e.path)[1] for e in exchanges}
    return lambda path: (200, b"[]") if path in recorded else None


def build(folder: Path, progress: ProgressFactory | None = None) -> Demo:
    """Write ``folder/catherd.toml`` and bring ``folder/catherd.duckdb`` up to date."""
    project = folder / CONFIG_NAME
    if project.exists() and not project.read_text(encoding="utf-8").startswith(DEMO_MARK):
        raise InputError(f"{project} is not the demo's: give the demo a folder of its own (-o)")
    folder.mkdir(parents=True, exist_ok=True)
    project.write_text(
        PROJECT_FILE.format(data=DATA, bundle=BUNDLE, records=RECORDS), encoding="utf-8"
    )
    config = load_config(project)
    incoming, problems = read_folder(RECORDS)
    if problems:  # the tests check the shipped records: this would be a packaging bug
        raise InputError(f"{RECORDS}: the sample's records do not check: {'; '.join(problems)}")
    exchanges = recorded_exchanges()
    with (
        ReplayServer(
            exchanges, fallback=end_of_recordings(exchanges), rewrite_bodies=False
        ) as server,
        Store(config.db) as store,
    ):
        # the recordings hold REST answers: no token, so no GraphQL request is made
        replayed = replace(config, github_api_url=server.url, github_token=None)
        github = RepositorySpec(f"github:{GITHUB_SLUG}")
        report = sync(store, replayed, [*config.repositories, github], progress)
        changes = book.replace(store, incoming, kinds_in(RECORDS), Funding.of(config),
                               "catherd demo", "import", force=True)  # fmt: skip
        refresh_identities(store, config)  # the funded team is the project's team
    return Demo(config, report, len(changes))
