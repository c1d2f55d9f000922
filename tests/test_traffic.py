"""Website traffic from real access logs: Elastic's Apache log (10,000 lines) and Matomo's format
cases, checked against GoAccess run on the same files, and against counts computed here in
Python from the raw lines; idempotent and incremental imports; no address in the store."""

from __future__ import annotations

import bz2
import gzip
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import crawleruseragents
import pytest
from typer.testing import CliRunner

from catherd.cli.main import app
from catherd.errors import InputError
from catherd.sources.weblogs import log_format
from catherd.store.database import Store
from catherd.store.visitor_keys import VisitorKeys
from catherd.store.weblog_loader import ImportResult, LogSource, import_logs
from catherd.traffic.figures import (
    Scope,
    doc_versions,
    top_downloads,
    top_pages,
    top_referrers,
    traffic_summary,
    traffic_totals,
)

from .conftest import SHARED, shared_file, table_digest

APACHE = SHARED / "weblogs" / "elastic-examples" / "apache_logs"
MATOMO = SHARED / "weblogs" / "matomo-log-analytics"
GOACCESS = shutil.which("goaccess")
needs_goaccess = pytest.mark.skipif(GOACCESS is None, reason="goaccess is not installed")
VHOST_COMBINED = '%v %h %^[%d:%t %^] "%r" %s %b "%R" "%u"'
# Matomo's cases in the combined / common family: the format catherd must recognise, and
# GoAccess's name for it (VCOMBINED wants host:port, so vhost files get a format string)
FAMILY = {
    "common.log": ("common", "COMMON"),
    "common.log.gz": ("common", "COMMON"),
    "common.log.bz2": ("common", "COMMON"),
    "common_vhost.log": ("vhost_common", '%v %h %^[%d:%t %^] "%r" %s %b'),
    "common_complete.log": ("vhost_combined", VHOST_COMBINED),
    "common_encoding_big5.log": ("vhost_combined", VHOST_COMBINED),
    "static_ignores.log": ("vhost_combined", VHOST_COMBINED),
    "ncsa_extended.log": ("combined", "COMBINED"),
    "icecast2.log": ("combined", "COMBINED"),  # a trailing field after the user agent
    "logs_to_tests.log": ("combined", "COMBINED"),  # a comment line, a size of "-"
    "ovh.log": ("combined", "COMBINED"),  # a virtual host in the ident field
}
OTHER_FORMATS = ["alb.log", "amazon_cloudfront_web.log", "caddy_json.log", "elb.log", "gandi.log",
                 "haproxy.log", "iis.log", "netscaler.log", "nginx_json.log", "s3.log",
                 "traefik_json.log"]  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def _shared_logs() -> None:
    # module scope: it runs before the module's other fixtures, which read the logs too
    shared_file("weblogs", "elastic-examples", "apache_logs")
    shared_file("weblogs", "matomo-log-analytics")


def load(
    store: Store, folder: Path, *paths: Path, site: str = "web", fmt: str | None = None,
    keep: int = 7,
) -> ImportResult:  # fmt: skip
    keys = VisitorKeys(folder / "keys.json", keep)
    return import_logs(store, [LogSource(p, site, fmt) for p in paths], keys)


def goaccess(path: Path, folder: Path, fmt: str) -> dict[str, object]:
    """GoAccess's own counts for ``path`` (decompressed first: Debian's build reads plain files)."""
    if path.suffix in (".gz", ".bz2"):
        plain = folder / f"plain-{path.stem}"
        opener = gzip.open if path.suffix == ".gz" else bz2.open
        with opener(path, "rb") as src:
            plain.write_bytes(src.read())
        path = plain
    out = folder / "goaccess.json"
    custom = ["--date-format=%d/%b/%Y", "--time-format=%T"] if "%" in fmt else []
    subprocess.run([GOACCESS, str(path), f"--log-format={fmt}", *custom, "-o", str(out)],
                   check=True, capture_output=True)  # fmt: skip
    report = json.loads(out.read_bytes().decode("utf-8", "replace"))
    return {
        "requests": report["general"]["valid_requests"],
        "visitors": report["general"]["unique_visitors"],
        "not_found": report["not_found"]["metadata"]["hits"]["total"]["value"],
        "days": {d["data"]: d["visitors"]["count"] for d in report["visitors"]["data"]},
    }


def raw_lines(path: Path) -> list[dict[str, str]]:
    """The combined log's fields, split here in Python (the independent reading)."""
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        quoted = line.split('"')
        head = quoted[0].split()
        status, size = quoted[2].split()
        method, _, rest = quoted[1].partition(" ")
        rows.append({"host": head[0], "day": head[3][1:12], "method": method,
                     "path": rest.split(" ")[0].split("?")[0], "status": status, "size": size,
                     "referrer": quoted[3], "agent": quoted[5]})  # fmt: skip
    return rows


def kind_of(agent: str) -> str:
    """crawler-user-agents' own Python matcher and tags (not the SQL the store uses)."""
    tags = {t for n in crawleruseragents.matching_crawlers(agent)
            for t in crawleruseragents.CRAWLER_USER_AGENTS_DATA[n]["tags"]}  # fmt: skip
    if tags - {"http-library"}:
        return "bot"
    if tags or not re.match(r"(Mozilla|Opera)/", agent):
        return "tool"
    return "browser"


# -- equal to GoAccess ---------------------------------------------------------------------------
@needs_goaccess
def test_apache_log_requests_visitors_and_404s_equal_goaccess(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        result = load(store, tmp_path, APACHE)
        days = traffic_summary(store, "day")
        totals = traffic_totals(store)
    expected = goaccess(APACHE, tmp_path, "COMBINED")
    assert result.files[0].format == "combined" and result.files[0].stats.unparsed == 0
    assert (totals["requests"], totals["visitors"], totals["not_found"]) == (
        expected["requests"], expected["visitors"], expected["not_found"])  # fmt: skip
    assert (totals["requests"], totals["visitors"], totals["not_found"]) == (10_000, 2_095, 213)
    assert {d["period"].strftime("%Y%m%d"): d["visitors"] for d in days} == expected["days"]


@needs_goaccess
def test_matomo_format_cases_equal_goaccess(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        for name, (ours, _) in FAMILY.items():
            result = load(store, tmp_path, MATOMO / name, site=name)
            assert (result.files[0].state, result.files[0].format) == ("new", ours), name
            assert result.files[0].stats.unparsed == 0, name
        for name, (_, theirs) in FAMILY.items():
            totals = traffic_totals(store, Scope(site=name))
            expected = goaccess(MATOMO / name, tmp_path, theirs)
            got = {k: totals[k] for k in ("requests", "visitors", "not_found")}
            assert got == {k: expected[k] for k in got}, name


@needs_goaccess
def test_a_custom_apache_format_reads_gandi_logs_as_goaccess_does(tmp_path: Path) -> None:
    path = MATOMO / "gandi.log"
    gandi = '%V %h %l %u %t (%T s) "%r" %>s %b "%{Referer}i" "%{User-agent}i"'
    with Store(tmp_path / "s.duckdb") as store:
        result = load(store, tmp_path, path, fmt=gandi)
        totals = traffic_totals(store)
        vhosts = store.rows("SELECT DISTINCT vhost FROM web_requests")
    expected = goaccess(path, tmp_path, '%v %h %^[%d:%t %^] (%^) "%r" %s %b "%R" "%u"')
    assert result.files[0].stats.requests == 2 == expected["requests"]
    assert totals["visitors"] == expected["visitors"]
    assert vhosts == [{"vhost": "www.example.com"}]


def test_other_formats_are_counted_as_unparsed_never_fatal(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        result = load(store, tmp_path, *(MATOMO / n for n in OTHER_FORMATS), APACHE)
        assert store.scalar("SELECT count(*) FROM web_requests") == 10_000
        assert store.scalar("SELECT count(*) FROM web_logs") == 1  # left to read with a format
    states = {f.path.name: f.state for f in result.files}
    assert states == {**dict.fromkeys(OTHER_FORMATS, "unrecognised"), "apache_logs": "new"}
    for f in result.files[:-1]:
        assert f.stats.unparsed > 0 and f.stats.requests == 0 and f.stats.samples


def test_time_zones_keep_the_servers_day_and_store_utc(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        load(store, tmp_path, MATOMO / "common.log")  # [10/Feb/2012:16:42:07 -0500]
        row = store.rows("SELECT day, requested_at, status, bytes, path FROM web_requests")[0]
    assert str(row["day"]) == "2012-02-10" and str(row["requested_at"]) == "2012-02-10 21:42:07"
    assert (row["status"], row["bytes"], row["path"]) == (301, 368, "/")


# -- the figures against counts made here --------------------------------------------------------
def test_figures_equal_an_independent_count_of_the_raw_lines(tmp_path: Path) -> None:
    raw = raw_lines(APACHE)
    kinds = {a: kind_of(a) for a in {r["agent"] for r in raw}}
    with Store(tmp_path / "s.duckdb") as store:
        load(store, tmp_path, APACHE)
        totals = traffic_totals(store)
        pages = top_pages(store, limit=5)
        downloads = top_downloads(store, limit=5)
        referrers = top_referrers(store, own_hosts=("semicomplete.com",), limit=3)
        stored_kinds = dict(store.con.execute(
            "SELECT agent_kind, count(*) FROM web_requests GROUP BY 1").fetchall())  # fmt: skip

    def extension(path: str) -> str:
        found = re.search(r"\.([A-Za-z][A-Za-z0-9]*)$", path)
        return found.group(1).lower() if found else ""

    def is_page(r: dict[str, str]) -> bool:
        ok = r["status"].startswith("2") or r["status"] == "304"
        return (kinds[r["agent"]] == "browser" and r["method"] == "GET" and ok
                and extension(r["path"]) in ("", "html", "htm", "xhtml", "shtml", "php", "asp",
                                             "aspx", "jsp"))  # fmt: skip

    downloadable = {
        "zip",
        "gz",
        "tgz",
        "bz2",
        "xz",
        "zst",
        "7z",
        "rar",
        "tar",
        "whl",
        "egg",
        "exe",
        "msi",
        "dmg",
        "pkg",
        "deb",
        "rpm",
        "apk",
        "jar",
        "iso",
        "pdf",
        "epub",
    }
    page_views = Counter(r["path"] for r in raw if is_page(r))
    fetched = Counter(
        r["path"]
        for r in raw
        if kinds[r["agent"]] != "bot"
        and r["method"] == "GET"
        and r["status"] == "200"
        and extension(r["path"]) in downloadable
    )
    browsers = {(r["host"], r["day"], r["agent"]) for r in raw
                if kinds[r["agent"]] == "browser" and not r["status"].startswith("4")}  # fmt: skip
    hosts = Counter(
        re.match(r"[a-z]+://([^/:?#]+)", r["referrer"]).group(1).lower()
        for r in raw
        if is_page(r) and re.match(r"[a-z]+://", r["referrer"])
    )
    assert stored_kinds == Counter(kinds[r["agent"]] for r in raw)
    assert totals["page_views"] == sum(page_views.values())
    assert totals["downloads"] == sum(fetched.values()) > 0
    assert totals["browser_visitors"] == len(browsers)
    assert totals["bot_requests"] == sum(kinds[r["agent"]] == "bot" for r in raw)
    assert totals["bytes"] == sum(int(r["size"]) for r in raw if r["size"] != "-")
    assert [(p["path"], p["page_views"]) for p in pages] == page_views.most_common(5)
    assert {(d["path"], d["downloads"]) for d in downloads} <= set(fetched.items())
    del hosts["semicomplete.com"]
    assert [(r["referrer"], r["page_views"]) for r in referrers] == hosts.most_common(3)


def test_documentation_versions_read(tmp_path: Path) -> None:
    # SYNTHETIC: a documentation site's paths, on the real log's first line as a template
    first = APACHE.read_text().splitlines()[0]
    paths = ["/stable/index.html", "/stable/tutorial/", "/dev/api.html", "/1.5/", "/en/latest/x/",
             "/stable/_static/logo.png", "/blog/2015/"]  # fmt: skip
    log = tmp_path / "docs.log"
    log.write_text("".join(re.sub(r'"GET \S+', f'"GET {p}', first) + "\n" for p in paths))
    with Store(tmp_path / "s.duckdb") as store:
        load(store, tmp_path, log)
        rows = doc_versions(store)
    assert {r["version"]: r["page_views"] for r in rows} == {
        "stable": 2,
        "dev": 1,
        "1.5": 1,
        "latest": 1,
    }  # the PNG is an asset, /blog/ no version


# -- incremental, idempotent, all or nothing ----------------------------------------------------
def test_a_second_import_of_the_same_file_adds_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        load(store, tmp_path, APACHE, MATOMO / "common.log.gz")
        before, keys = table_digest(store), (tmp_path / "keys.json").read_bytes()
        version = store.data_version()
        again = load(store, tmp_path, APACHE, MATOMO / "common.log.gz")
        assert [f.state for f in again.files] == ["unchanged", "unchanged"]
        assert table_digest(store) == before and store.data_version() == version
    assert (tmp_path / "keys.json").read_bytes() == keys


def test_a_growing_log_reads_only_its_new_lines(tmp_path: Path) -> None:
    lines = APACHE.read_bytes().splitlines(keepends=True)
    live = tmp_path / "access.log"
    live.write_bytes(b"".join(lines[:6000]))
    with Store(tmp_path / "grown.duckdb") as store:
        first = load(store, tmp_path, live)
        with live.open("ab") as handle:
            handle.writelines(lines[6000:])
        second = load(store, tmp_path, live)
        # rotation: the same log renamed and compressed is known by its content
        rotated = tmp_path / "access.log.1.gz"
        rotated.write_bytes(gzip.compress(live.read_bytes()))
        live.unlink()
        third = load(store, tmp_path, rotated)
        grown = traffic_summary(store, "day")
    with Store(tmp_path / "whole.duckdb") as store:
        load(store, tmp_path / "other", APACHE)
        whole = traffic_summary(store, "day")
    assert (first.files[0].stats.lines, second.files[0].stats.lines) == (6000, 4000)
    assert (second.files[0].state, third.files[0].state) == ("grown", "unchanged")
    assert grown == whole  # visitors of a day split across two imports counted once


def test_rotated_files_in_any_order(tmp_path: Path) -> None:
    lines = APACHE.read_bytes().splitlines(keepends=True)
    old, new = tmp_path / "access.log.1.gz", tmp_path / "access.log"
    old.write_bytes(gzip.compress(b"".join(lines[:5000])))
    new.write_bytes(b"".join(lines[5000:]))
    with Store(tmp_path / "s.duckdb") as store:
        load(store, tmp_path, new)
        load(store, tmp_path, old, new)
        totals = traffic_totals(store)
    assert (totals["requests"], totals["visitors"], totals["not_found"]) == (10_000, 2_095, 213)


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_damaged_gzip_is_a_clear_error_and_changes_nothing(tmp_path: Path, damage: str) -> None:
    packed = bytearray(gzip.compress(APACHE.read_bytes()))
    if damage == "truncated":
        packed = packed[: len(packed) // 2]
    else:
        packed[len(packed) // 2 : len(packed) // 2 + 64] = b"\xff" * 64
    bad = tmp_path / "access.log.2.gz"
    bad.write_bytes(bytes(packed))
    with Store(tmp_path / "s.duckdb") as store:
        load(store, tmp_path, MATOMO / "ncsa_extended.log")
        before, keys = table_digest(store), (tmp_path / "keys.json").read_bytes()
        with pytest.raises(InputError, match=r"access\.log\.2\.gz: truncated or corrupt gzip"):
            load(store, tmp_path, MATOMO / "common.log", bad)
        assert table_digest(store) == before
    assert (tmp_path / "keys.json").read_bytes() == keys


# -- privacy ----------------------------------------------------------------------------------
def test_no_client_address_in_clear_anywhere_in_the_store(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        load(store, tmp_path, APACHE, *(MATOMO / n for n in FAMILY))
        addresses = {r["host"] for r in raw_lines(APACHE)}
        for name in FAMILY:  # the client field: first, or second after a virtual host
            opener = {".gz": gzip.open, ".bz2": bz2.open}.get(Path(name).suffix, open)
            with opener(MATOMO / name, "rt", errors="replace") as handle:
                for line in handle:
                    if line.strip() and not line.startswith("#"):
                        fields = line.split()
                        addresses.add(fields[1] if name.startswith(("common_v", "common_c",
                                      "common_e", "static")) else fields[0])  # fmt: skip
        assert len(addresses) > 1_700 and "1.2.3.4" in addresses
        store.con.execute("CREATE TEMP TABLE addresses AS SELECT unnest(?) AS address",
                          [sorted(addresses)])  # fmt: skip
        columns = store.rows(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND data_type IN ('VARCHAR', 'JSON')"
        )
        assert {"web_requests", "web_logs", "meta"} <= {c["table_name"] for c in columns}
        for c in columns:
            # a version in a user agent is not an address: "curl/7.22.0 ... zlib/1.2.3.4"
            found = store.rows(
                f'SELECT DISTINCT a.address FROM "{c["table_name"]}" t JOIN addresses a '
                f'ON contains(t."{c["column_name"]}"::VARCHAR, a.address) '
                f'AND NOT regexp_matches(t."{c["column_name"]}"::VARCHAR, '
                "'[A-Za-z]/' || replace(a.address, '.', '\\.') || '([^0-9.]|$)')"
            )
            assert not found, f"{c['table_name']}.{c['column_name']} holds {found[:3]}"
        store.con.execute("CHECKPOINT")
    stored = db.read_bytes()
    assert not [a for a in addresses if len(a) > 8 and a.encode() in stored]


def test_visitor_keys_change_daily_live_outside_the_store_and_are_forgotten(
    tmp_path: Path,
) -> None:
    # SYNTHETIC: one address and agent on three days, two of them far apart
    first = APACHE.read_text().splitlines()[0]  # 83.149.9.216 on 17/May/2015
    days = ["17/May/2015", "18/May/2015", "30/May/2015"]
    log = tmp_path / "a.log"
    log.write_text("".join(first.replace("17/May/2015", d) + "\n" for d in days))
    late = tmp_path / "b.log"
    late.write_text(first.replace("/images/", "/other/") + "\n")  # 17 May again, later
    with Store(tmp_path / "s.duckdb") as store:
        load(store, tmp_path, log, keep=7)
        ids = [r[0] for r in store.con.execute("SELECT visitor FROM web_requests ORDER BY day")
               .fetchall()]  # fmt: skip
        kept = json.loads((tmp_path / "keys.json").read_text())["days"]
        result = load(store, tmp_path, late, keep=7)
        assert traffic_totals(store)["visitors"] == 4  # 17 May counted twice: its key is gone
    assert len(set(ids)) == 3  # the same person is a new visitor each day
    assert sorted(kept) == ["2015-05-30"]  # 17 and 18 May are more than 7 days before 30 May
    assert (tmp_path / "keys.json").stat().st_mode & 0o777 == 0o600
    assert result.warnings and "2015-05-17" in result.warnings[0]


# -- formats ----------------------------------------------------------------------------------
def test_nginx_format_with_a_trailing_forwarded_for_field(tmp_path: Path) -> None:
    # the real log with nginx's "$http_x_forwarded_for" appended to every line; its one line
    # cut inside the user agent then reads as combined (extra fields are ignored), but not in
    # nginx's format, where the agent is no longer the last field: that line is unparsed
    log = tmp_path / "nginx.log"
    log.write_text("".join(f'{line} "-"\n' for line in APACHE.read_text().splitlines()))
    nginx = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
             '"$http_referer" "$http_user_agent" "$http_x_forwarded_for"')  # fmt: skip
    with Store(tmp_path / "a.duckdb") as store:
        assert load(store, tmp_path / "a", log).files[0].format == "combined"
        recognised = traffic_totals(store)
    with Store(tmp_path / "b.duckdb") as store:
        stats = load(store, tmp_path / "b", log, fmt=nginx).files[0].stats
        given = traffic_totals(store)
    assert (recognised["requests"], recognised["visitors"]) == (10_000, 2_095)
    assert (given["requests"], stats.unparsed) == (9_999, 1)
    assert stats.samples[0].startswith("46.118.127.106 - - [20/May/2015:12:05:17 +0000]")


def test_bad_formats_are_refused_with_a_clear_message() -> None:
    with pytest.raises(InputError, match="no field for request, status, time"):
        log_format("%h %l %u")
    with pytest.raises(InputError, match="not supported"):
        log_format('%h %{%Y-%m-%d}t "%r" %>s')
    assert log_format("$remote_addr [$time_iso8601] $request_uri $status").iso_time


# -- command line -----------------------------------------------------------------------------
def test_cli_imports_configured_logs_and_prints_json_rows(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = APACHE.read_bytes().splitlines(keepends=True)
    (logs / "access.log.1.gz").write_bytes(gzip.compress(b"".join(lines[:3000])))
    (logs / "access.log").write_bytes(b"".join(lines[3000:]))
    (tmp_path / "catherd.toml").write_text(
        '[project]\nname = "demo"\n[traffic]\nkeep_keys_days = 30\n'
        f'[[traffic.sites]]\nname = "www"\nlogs = ["{logs}/access.log*"]\n'
        'hosts = ["semicomplete.com", "www.semicomplete.com"]\n'
    )
    runner = CliRunner()
    config = ["--config", str(tmp_path / "catherd.toml")]
    done = runner.invoke(app, ["sync", *config])
    assert done.exit_code == 0, done.output
    assert "10,000 requests" in done.output
    rows = json.loads(runner.invoke(app, ["traffic", "--by", "day", "--json", *config]).output)
    assert [r["visitors"] for r in rows] == [359, 643, 570, 523]
    assert {"period", "requests", "visitors", "not_found", "page_views", "bot_requests"} <= set(
        rows[0])  # fmt: skip
    referrers = json.loads(runner.invoke(app, ["traffic", "referrers", "--json", *config]).output)
    assert referrers[0]["referrer"] == "www.google.com"  # the site's own hosts are left out
    again = runner.invoke(app, ["traffic", "import", *config])
    assert again.exit_code == 0 and "0 requests imported" in again.output
    for command in (["pages"], ["downloads"], ["versions"], ["logs"], ["--by", "week"]):
        shown = runner.invoke(app, ["traffic", *command, *config])
        assert shown.exit_code == 0, (command, shown.output)
    bad = runner.invoke(app, ["traffic", "--by", "year", *config])
    assert bad.exit_code == 2 and "day, week, month" in bad.output


def test_cli_import_of_a_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["traffic", "import", str(tmp_path / "nope.log"), "--db", str(tmp_path / "s.duckdb")]
    )
    assert result.exit_code == 2 and "nope.log: no such file" in result.output


# -- report and dashboard ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def traffic_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("traffic")
    with Store(folder / "s.duckdb") as store:
        load(store, folder, APACHE)
    return folder / "s.duckdb"


def test_dashboard_page_and_api_are_public_and_draw_the_api_numbers(traffic_store: Path) -> None:
    from fastapi.testclient import TestClient

    from catherd.web.app import create_app

    client = TestClient(create_app(traffic_store), base_url="http://127.0.0.1")
    page = client.get("/traffic")
    assert page.status_code == 200 and "Most read pages" in page.text
    assert '<a href="/traffic">Traffic</a>' in page.text
    api = client.get("/api/traffic?by=day").json()
    with client.app.state.board.handle() as store:
        assert api["rows"] == json.loads(json.dumps(traffic_summary(store, "day"), default=str))
    day = client.get("/traffic?by=day")
    spec = json.loads(re.search(r'<script type="application/json">(.*?)</script>', day.text,
                                re.S).group(1))  # fmt: skip
    drawn = {(v["period"], v["series"]): v["value"] for v in spec["data"]["values"]}
    assert drawn == {
        **{(r["period"], "Visitors (browsers)"): r["browser_visitors"] for r in api["rows"]},
        **{(r["period"], "Page views"): r["page_views"] for r in api["rows"]},
    }
    assert api["totals"]["visitors"] == 2_095 and api["pages"] and api["downloads"]
    assert client.get("/api/traffic?by=year").status_code == 422


def test_community_report_has_a_traffic_section_only_with_traffic(
    traffic_store: Path, tmp_path: Path
) -> None:
    from catherd.metrics import Params
    from catherd.reports.community import write_report

    with Store(traffic_store) as store:  # the dashboard above holds it read-write
        written = write_report(store, tmp_path / "with", "demo", Params())
        totals = traffic_totals(store)
    html = (tmp_path / "with" / "index.html").read_text()
    assert "Website traffic" in html and f"{totals['page_views']:,}" in html
    assert tmp_path / "with" / "charts" / "traffic.svg" in written
    assert "![Website traffic](charts/traffic.svg)" in (tmp_path / "with" / "report.md").read_text()
    with Store(tmp_path / "empty.duckdb") as store:
        write_report(store, tmp_path / "without", "demo", Params())
    assert "Website traffic" not in (tmp_path / "without" / "index.html").read_text()
