"""Benchmark reading decision documents against bare git commands measured in the same run.

    python benchmarks/decisions.py [--repeat N] [--documents D --commits C]

Three repositories: scikit-learn's SLEPs (the shared bundle, with its pull-request heads),
networkx (no decision document: what every other repository pays), and a SYNTHETIC
PEP-style repository of D documents changed by C main-line commits (written with git
fast-import, statuses moving Draft -> Accepted -> Final), the size of python/peps. For each,
the scan's wall time and its ratio to the bare git work it cannot avoid: one ``git log
--first-parent --name-status`` of HEAD plus one ``git cat-file --batch`` of every version of
every document (the text a status history has to read).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from catherd.sources.decisions.reader import scan
from catherd.sources.git.repository import GitRepository

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = ROOT.parent / "shared" / "data" / "git"


def mirror(bundle: Path, scratch: Path) -> Path:
    target = scratch / f"{bundle.stem}.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(bundle), str(target)], check=True)
    return target


def synthetic_peps(scratch: Path, documents: int, commits: int) -> Path:
    """SYNTHETIC: D PEP-style documents, C commits each changing one of them."""
    target = scratch / "peps.git"
    subprocess.run(["git", "init", "-q", "--bare", str(target)], check=True)
    rng = random.Random(7)
    states = ["Draft", "Accepted", "Final"]
    status = dict.fromkeys(range(1, documents + 1), 0)
    body = "Abstract\n========\n\n" + "SYNTHETIC text. " * 400 + "\n"
    chunks = []
    when = 1_000_000_000

    def doc(n: int, version: int) -> bytes:
        return (f"PEP: {n}\nTitle: Proposal {n}\nAuthor: Person {n % 50} <p{n % 50}@example.org>"
                f"\nStatus: {states[status[n]]}\nType: Standards Track\nCreated: 2001-07-05\n\n"
                f"{body}Version {version}.\n").encode()  # fmt: skip

    for c in range(commits):
        n = c + 1 if c < documents else rng.randint(1, documents)
        if c >= documents and rng.random() < 0.2 and status[n] < 2:
            status[n] += 1
        data = doc(n, c)
        when += 3600
        chunks.append(b"commit refs/heads/main\n")
        chunks.append(f"committer Bench <b@example.org> {when} +0000\n".encode())
        chunks.append(f"data 9\nchange {c % 10}\n".encode())
        chunks.append(f"M 100644 inline peps/pep-{n:04d}.rst\ndata {len(data)}\n".encode())
        chunks.append(data + b"\n")
    subprocess.run(["git", "--git-dir", str(target), "fast-import", "--quiet"],
                   input=b"".join(chunks), check=True)  # fmt: skip
    subprocess.run(["git", "--git-dir", str(target), "symbolic-ref", "HEAD", "refs/heads/main"],
                   check=True)  # fmt: skip
    return target


def bare_git(git_dir: Path, versions: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(["git", "--git-dir", str(git_dir), "log", "--first-parent", "-z",
                    "--name-status", "--find-renames", "--format=%H", "HEAD"],
                   stdout=subprocess.DEVNULL, check=True)  # fmt: skip
    subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                   input="".join(f"{v}\n" for v in versions).encode(),
                   stdout=subprocess.DEVNULL, check=True)  # fmt: skip
    return time.perf_counter() - started


def versions_of(git_dir: Path, documents: list[str]) -> list[str]:
    """commit:path of every main-line version of ``documents``."""
    if not documents:
        return []
    folders = sorted({d.split("/")[0] for d in documents})  # many pathspecs make git slow
    out = subprocess.run(["git", "--git-dir", str(git_dir), "log", "--first-parent",
                          "--format=@%H", "--name-only", "HEAD", "--", *folders],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    wanted, found, sha = set(documents), [], ""
    for line in out.splitlines():
        if line.startswith("@"):
            sha = line[1:]
        elif line in wanted:
            found.append(f"{sha}:{line}")
    return found


def measure(name: str, git_dir: Path, repeat: int) -> None:
    repo = GitRepository(name, git_dir, "bare")
    times, found = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        found = scan(repo)
        times.append(time.perf_counter() - started)
    assert found is not None
    head_docs = sorted({d.path for d in found.documents if d.ref == "HEAD"})
    reference = statistics.median(bare_git(git_dir, versions_of(git_dir, head_docs))
                                  for _ in range(repeat))  # fmt: skip
    seconds = statistics.median(times)
    commits = subprocess.run(["git", "--git-dir", str(git_dir), "rev-list", "--count", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    print(f"{name:<22}{int(commits):>7,} commits {len(found.documents):>5} documents "
          f"{len(found.changes):>7,} history rows   bare git {reference:7.3f} s   "
          f"scan {seconds:7.3f} s   ratio {seconds / reference:5.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each step (median)")
    parser.add_argument("--documents", type=int, default=700)
    parser.add_argument("--commits", type=int, default=8000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        measure("scikit-learn SLEPs", mirror(BUNDLES / "enhancement_proposals.bundle", scratch),
                args.repeat)  # fmt: skip
        measure("networkx (none)", mirror(BUNDLES / "networkx.bundle", scratch), args.repeat)
        measure("SYNTHETIC PEP-style", synthetic_peps(scratch, args.documents, args.commits),
                args.repeat)  # fmt: skip


if __name__ == "__main__":
    main()
