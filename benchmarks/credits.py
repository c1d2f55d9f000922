"""Release credits against the lists a project published, with `git shortlog` as reference.

For every release note in a repository (``--notes``, a glob inside its HEAD tree) whose
version names a tag (``--tag``), compare ``catherd credits`` with the note's contributor
list (names, and first-timer marks where the note has them), and do the same for
``git shortlog -s --group=author --group=trailer:co-authored-by`` over the same range with
the tag's own mailmap: the reference, measured in the same run. Prints precision and
recall per release and overall, and the time each took.

    python benchmarks/credits.py /path/to/numpy.git --notes 'doc/changelog/*-changelog.rst' \\
        --tag 'v{version}' --coauthors-since 2021-05-09
    python benchmarks/credits.py /path/to/networkx --notes 'doc/release/release_*.rst' \\
        --tag 'networkx-{version}'

``--coauthors-since``: the project credited co-authors from that day on (numpy: 2021-05-09,
when its changelog tool started to); releases tagged before are compared authors-only.
``--store FILE`` reuses a store that holds the repository (else one is made in a temporary
folder, which takes `catherd analyze`'s time).
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from catherd.community.credit_check import check_credits, matches
from catherd.community.releases import Credit, Credits, ReleaseBook
from catherd.config import Config, RepositorySpec
from catherd.pipeline import sync
from catherd.sources.changelog import published_credits
from catherd.store.database import Store


@dataclass
class Tally:
    """Matched and unmatched counts, summed over releases."""

    counts: list[int] = field(default_factory=lambda: [0] * 6)
    seconds: float = 0.0

    def add(self, credits: Credits, published: list) -> tuple[float, float, str]:
        check = check_credits(credits, published)
        missed = check.published - check.matched_published
        first_time = check.first_time or (0, 0, 0)
        values = [
            check.matched_credits,
            check.credited - check.matched_credits,
            missed,
            *first_time,
        ]
        self.counts = [a + b for a, b in zip(self.counts, values, strict=True)]
        first = "" if check.first_time is None else (
            f"{check.first_time_precision:.2f}/{check.first_time_recall:.2f}")  # fmt: skip
        return check.precision, check.recall, first

    def summary(self) -> str:
        tp, fp, fn, ftp, ffp, ffn = self.counts
        names = f"names P {tp / max(1, tp + fp):.4f} R {tp / max(1, tp + fn):.4f}"
        first = f"first-timers P {ftp / max(1, ftp + ffp):.4f} R {ftp / max(1, ftp + ffn):.4f}"
        return f"{names}   {first}   ({self.seconds:.1f} s)"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def shortlog_credits(repo: Path, book: ReleaseBook, credits: Credits, coauthors: bool) -> Credits:
    """The same release credited by `git shortlog` (names, + for first-timers), as numpy's
    tools/changelog.py does, over catherd's range, with the tag's own mailmap."""
    release = credits.release
    previous = book.previous(release)
    bases = git(repo, "merge-base", "--all", release.sha, previous.sha).split() if previous else []
    groups = ["--group=author", *(["--group=trailer:co-authored-by"] if coauthors else [])]
    mailmap = ["-c", f"mailmap.blob={release.sha}:.mailmap"]

    def names(*revs: str) -> set[str]:
        out = git(repo, *mailmap, "shortlog", "-s", *groups, *revs) if revs else ""
        found = {line.split("\t", 1)[1].strip() for line in out.splitlines() if "\t" in line}
        return found - {"Homu", "dependabot-preview"}

    current = names(release.sha, *(f"^{b}" for b in bases))
    before = names(*bases)
    named = [Credit(n, n not in before, 0) for n in sorted(current)]
    return Credits(release, credits.since, credits.rule, credits.commits, named, 0, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repository", type=Path, help="a git directory or working tree")
    parser.add_argument("--notes", required=True, help="glob of release notes in HEAD's tree")
    parser.add_argument("--tag", required=True, help="tag of a note's version: v{version}")
    parser.add_argument("--version", default=r"(\d+(?:\.\d+)+)", help="version in a file name")
    parser.add_argument("--coauthors-since", type=date.fromisoformat, default=date.min)
    parser.add_argument("--store", type=Path, help="a store that holds the repository")
    parser.add_argument("--first-time-by", default="person", choices=("person", "name"),
                        help="catherd's first-timer rule (its default: person)")
    parser.add_argument("-v", "--verbose", action="store_true", help="names that differ")
    args = parser.parse_args()
    repo = Path(
        subprocess.run(
            ["git", "-C", str(args.repository), "rev-parse", "--absolute-git-dir"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    folder = tempfile.TemporaryDirectory()
    db = args.store or Path(folder.name) / "credits.duckdb"
    if args.store is None:
        started = time.perf_counter()
        with Store(db) as store:
            config = Config(root=Path(folder.name), db=db)
            sync(store, config, [RepositorySpec(str(args.repository))],
                 skip_missing_objects=True)  # fmt: skip
        print(f"analyzed {args.repository} in {time.perf_counter() - started:.1f} s")
    notes = [p for p in git(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
             if fnmatch.fnmatch(p, args.notes)]  # fmt: skip
    ours, reference = Tally(), Tally()
    with Store(db, read_only=True) as store:
        book = ReleaseBook(store)
        tags = {r.tag: r for r in book.releases(prereleases=True)}
        print(f"{'release':10} {'listed':>6}  catherd P/R (first)       shortlog P/R (first)")
        for path in sorted(notes):
            found = re.search(args.version, Path(path).name)
            release = tags.get(args.tag.format(version=found.group(1))) if found else None
            published = published_credits(git(repo, "show", f"HEAD:{path}"))
            if release is None or not published:
                continue
            coauthors = release.tagged_at.date() >= args.coauthors_since
            started = time.perf_counter()
            credits = book.credits(release, reviewers=False, coauthors=coauthors,
                                   first_time_by=args.first_time_by)  # fmt: skip
            ours.seconds += time.perf_counter() - started
            started = time.perf_counter()
            shortlog = shortlog_credits(repo, book, credits, coauthors)
            reference.seconds += time.perf_counter() - started
            p, r, f = ours.add(credits, published)
            sp, sr, sf = reference.add(shortlog, published)
            print(f"{release.tag:10} {len(published):6}  {p:.3f}/{r:.3f} ({f or '-':9})"
                  f"   {sp:.3f}/{sr:.3f} ({sf or '-'})")  # fmt: skip
            if args.verbose:
                check = check_credits(credits, published)
                print("   credited, not listed:", ", ".join(check.extra))
                print("   listed, not credited:", ", ".join(check.missing))
                pairs = [(c, e) for c in credits.contributors for e in published if matches(c, e)]
                if check.first_time is not None:
                    print("   first time here only:",
                          ", ".join(c.name for c, e in pairs if c.first_time and not e.first_time))
                    print("   first time there only:",
                          ", ".join(c.name for c, e in pairs if e.first_time and not c.first_time))
    print(f"catherd : {ours.summary()}")
    print(f"shortlog: {reference.summary()}")
    if reference.seconds:
        print(f"time ratio (catherd / shortlog): {ours.seconds / reference.seconds:.2f}")


if __name__ == "__main__":
    sys.exit(main())
