"""The tables of a catherd store and the migrations that create them.

Raw tables (``commits``, ``commit_files``, ``commit_coauthors``, ``repo_commits``) hold what the
sources read, exactly. Derived tables (``identities``, ``people``, ``contributions``...) are
rebuilt from raw tables by the identity layer, so a corrected rule never needs a re-download.
"""

from __future__ import annotations

SCHEMA_VERSION = 9
# The tables metrics read from GitHub data, each materialised from its view ``{name}_json``.
GITHUB_VIEWS = ("gh_items", "gh_comments", "gh_reviews", "gh_pull_files",
                "gh_review_requests", "gh_events")  # fmt: skip

MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
        """CREATE TABLE repositories (
            repo_id INTEGER PRIMARY KEY,
            name VARCHAR NOT NULL UNIQUE,
            location VARCHAR NOT NULL UNIQUE,
            kind VARCHAR NOT NULL,
            git_dir VARCHAR NOT NULL,
            all_branches BOOLEAN NOT NULL,
            default_branch VARCHAR,
            added_at TIMESTAMPTZ NOT NULL,
            synced_at TIMESTAMPTZ
        )""",
        """CREATE TABLE sync_cursors (
            source VARCHAR NOT NULL,
            repo_id INTEGER NOT NULL,
            cursor JSON NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (source, repo_id)
        )""",
        """CREATE TABLE sync_warnings (
            repo_id INTEGER NOT NULL,
            recorded_at TIMESTAMPTZ NOT NULL,
            sha VARCHAR,
            message VARCHAR NOT NULL
        )""",
        """CREATE TABLE commits (
            sha VARCHAR PRIMARY KEY,
            parents VARCHAR[] NOT NULL,
            author_name VARCHAR, author_email VARCHAR,
            author_name_mapped VARCHAR, author_email_mapped VARCHAR,
            authored_at TIMESTAMPTZ, author_tz_minutes SMALLINT,
            committer_name VARCHAR, committer_email VARCHAR,
            committer_name_mapped VARCHAR, committer_email_mapped VARCHAR,
            committed_at TIMESTAMPTZ, committer_tz_minutes SMALLINT,
            message VARCHAR,
            pr_number INTEGER, pr_source VARCHAR,
            -- totals of the commit's commit_files rows, kept with it for fast period sums
            files_changed INTEGER NOT NULL, lines_added BIGINT NOT NULL,
            lines_deleted BIGINT NOT NULL
        )""",
        """CREATE TABLE commit_files (
            sha VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            old_path VARCHAR,
            added INTEGER,
            deleted INTEGER,
            is_binary BOOLEAN NOT NULL
        )""",
        """CREATE TABLE commit_coauthors (
            sha VARCHAR NOT NULL, position SMALLINT NOT NULL, name VARCHAR, email VARCHAR
        )""",
        """CREATE TABLE repo_commits (
            repo_id INTEGER NOT NULL, sha VARCHAR NOT NULL, PRIMARY KEY (repo_id, sha)
        )""",
        # -- derived by the identity layer -----------------------------------------------
        """CREATE TABLE identities (
            identity_id VARCHAR PRIMARY KEY,
            name VARCHAR, email VARCHAR, email_key VARCHAR,
            login VARCHAR,
            org_id VARCHAR NOT NULL,
            person_id VARCHAR NOT NULL,
            merged_by VARCHAR NOT NULL,
            is_bot BOOLEAN NOT NULL,
            first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ,
            contributions BIGINT NOT NULL
        )""",
        """CREATE TABLE people (
            person_id VARCHAR PRIMARY KEY,
            display_name VARCHAR NOT NULL,
            primary_email VARCHAR,
            is_bot BOOLEAN NOT NULL,
            hidden BOOLEAN NOT NULL DEFAULT FALSE,
            forgotten BOOLEAN NOT NULL DEFAULT FALSE
        )""",
        """CREATE TABLE organisations (
            org_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, kind VARCHAR NOT NULL
        )""",
        """CREATE TABLE email_domains (
            domain VARCHAR PRIMARY KEY, org_id VARCHAR NOT NULL, rule VARCHAR NOT NULL
        )""",
        """CREATE TABLE affiliations (
            person_id VARCHAR NOT NULL, org_id VARCHAR NOT NULL,
            valid_from DATE, valid_until DATE, source VARCHAR NOT NULL
        )""",
        """CREATE TABLE contributions (
            sha VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            identity_id VARCHAR NOT NULL,
            person_id VARCHAR NOT NULL,
            org_id VARCHAR NOT NULL,
            is_bot BOOLEAN NOT NULL,
            contributed_at TIMESTAMPTZ NOT NULL
        )""",
    ],
    2: [
        # GitHub answers exactly as received: re-enrichment never needs a re-download.
        """CREATE TABLE github_raw (
            repo VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            key VARCHAR NOT NULL,
            updated_at TIMESTAMPTZ,
            fetched_at TIMESTAMPTZ NOT NULL,
            payload JSON NOT NULL,
            PRIMARY KEY (repo, kind, key)
        )""",
        # Views read the raw payloads, so they always agree with what was fetched.
        # Items are issues and pull requests as the issues API gives them, with the pull
        # request's details joined; pull requests known only from their own payload (GH
        # Archive's PullRequestEvent) come from those.
        """CREATE VIEW gh_items_json AS
        SELECT i.repo,
               (i.payload->>'$.number')::INTEGER AS number,
               -- before 2013 every issue carried a pull_request object, with null URLs
               (i.payload->>'$.pull_request.html_url') IS NOT NULL AS is_pr,
               i.payload->>'$.title' AS title,
               i.payload->>'$.state' AS state,
               i.payload->>'$.user.login' AS author,
               (i.payload->>'$.user.id')::BIGINT AS author_id,
               coalesce((i.payload->>'$.user.type') = 'Bot', FALSE) AS author_is_bot,
               i.payload->>'$.author_association' AS author_association,
               (i.payload->>'$.created_at')::TIMESTAMPTZ AS created_at,
               (i.payload->>'$.updated_at')::TIMESTAMPTZ AS updated_at,
               (i.payload->>'$.closed_at')::TIMESTAMPTZ AS closed_at,
               coalesce((p.payload->>'$.merged_at')::TIMESTAMPTZ,
                        (g.payload->>'$.mergedAt')::TIMESTAMPTZ,
                        (i.payload->>'$.pull_request.merged_at')::TIMESTAMPTZ) AS merged_at,
               coalesce(p.payload->>'$.merge_commit_sha',
                        g.payload->>'$.mergeCommit.oid') AS merge_commit_sha,
               CAST(json_extract_string(i.payload, '$.labels[*].name') AS VARCHAR[]) AS labels,
               i.payload->>'$.milestone.title' AS milestone,
               i.payload->>'$.html_url' AS url,
               (i.payload->>'$.reactions.total_count')::INTEGER AS reactions
        FROM github_raw i
        LEFT JOIN github_raw p ON p.repo = i.repo AND p.kind = 'pull'
                              AND p.key = i.payload->>'$.number'
        LEFT JOIN github_raw g ON g.repo = i.repo AND g.kind = 'pull_graphql'
                              AND g.key = i.payload->>'$.number'
        WHERE i.kind = 'issue'
        UNION ALL
        SELECT p.repo, (p.payload->>'$.number')::INTEGER, TRUE,
               p.payload->>'$.title', p.payload->>'$.state', p.payload->>'$.user.login',
               (p.payload->>'$.user.id')::BIGINT,
               coalesce((p.payload->>'$.user.type') = 'Bot', FALSE),
               p.payload->>'$.author_association',
               (p.payload->>'$.created_at')::TIMESTAMPTZ, (p.payload->>'$.updated_at')::TIMESTAMPTZ,
               (p.payload->>'$.closed_at')::TIMESTAMPTZ, (p.payload->>'$.merged_at')::TIMESTAMPTZ,
               p.payload->>'$.merge_commit_sha',
               CAST(json_extract_string(p.payload, '$.labels[*].name') AS VARCHAR[]),
               p.payload->>'$.milestone.title', p.payload->>'$.html_url', NULL
        FROM github_raw p
        WHERE p.kind = 'pull' AND (p.payload->>'$.created_at') IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM github_raw i
                          WHERE i.repo = p.repo AND i.kind = 'issue'
                            AND i.payload->>'$.number' = p.key)""",
        r"""CREATE VIEW gh_comments_json AS
        SELECT repo, 'issue_comment' AS kind,
               regexp_extract(payload->>'$.issue_url', '/(\d+)$', 1)::INTEGER AS number,
               (payload->>'$.id')::BIGINT AS id,
               payload->>'$.user.login' AS author,
               coalesce((payload->>'$.user.type') = 'Bot', FALSE) AS author_is_bot,
               (payload->>'$.created_at')::TIMESTAMPTZ AS created_at
        FROM github_raw WHERE kind = 'issue_comment'
        UNION ALL
        SELECT repo, 'review_comment',
               regexp_extract(payload->>'$.pull_request_url', '/(\d+)$', 1)::INTEGER,
               (payload->>'$.id')::BIGINT, payload->>'$.user.login',
               coalesce((payload->>'$.user.type') = 'Bot', FALSE),
               (payload->>'$.created_at')::TIMESTAMPTZ
        FROM github_raw WHERE kind = 'review_comment'""",
        # Reviews come from REST (one row each) or inside a GraphQL pull request node; the
        # same review read both ways (same id) counts once, as REST gave it.
        r"""CREATE VIEW gh_reviews_json AS
        SELECT repo, number, id, reviewer, reviewer_is_bot, state, submitted_at FROM (
            SELECT repo, 0 AS source,
                   regexp_extract(payload->>'$.pull_request_url', '/(\d+)$', 1)::INTEGER AS number,
                   (payload->>'$.id')::BIGINT AS id,
                   payload->>'$.user.login' AS reviewer,
                   coalesce((payload->>'$.user.type') = 'Bot', FALSE) AS reviewer_is_bot,
                   payload->>'$.state' AS state,
                   (payload->>'$.submitted_at')::TIMESTAMPTZ AS submitted_at
            FROM github_raw WHERE kind = 'review'
            UNION ALL
            SELECT repo, 1, key::INTEGER, (r->>'$.databaseId')::BIGINT, r->>'$.author.login',
                   coalesce((r->>'$.author.__typename') = 'Bot', FALSE), r->>'$.state',
                   (r->>'$.submittedAt')::TIMESTAMPTZ
            FROM github_raw, unnest(CAST(payload->'$.reviews.nodes' AS JSON[])) AS n(r)
            WHERE kind = 'pull_graphql'
        )
        QUALIFY row_number() OVER (PARTITION BY repo, id ORDER BY source) = 1""",
        """CREATE VIEW gh_pull_files_json AS
        SELECT DISTINCT repo, split_part(key, ':', 1)::INTEGER AS number,
               payload->>'$.filename' AS path
        FROM github_raw WHERE kind = 'pull_file'
        UNION
        SELECT repo, key::INTEGER, f->>'$.path'
        FROM github_raw, unnest(CAST(payload->'$.files.nodes' AS JSON[])) AS n(f)
        WHERE kind = 'pull_graphql'""",
        """CREATE VIEW gh_review_requests_json AS
        SELECT DISTINCT repo, key::INTEGER AS number, lower(login) AS login
        FROM github_raw,
             unnest(CAST(json_extract_string(payload, '$.requested_reviewers[*].login')
                         AS VARCHAR[])) AS n(login)
        WHERE kind = 'pull'
        UNION
        SELECT repo, key::INTEGER, lower(q->>'$.requestedReviewer.login')
        FROM github_raw, unnest(CAST(payload->'$.reviewRequests.nodes' AS JSON[])) AS n(q)
        WHERE kind = 'pull_graphql' AND (q->>'$.requestedReviewer.login') IS NOT NULL""",
        """CREATE VIEW gh_events_json AS
        SELECT repo,
               (payload->>'$.issue.number')::INTEGER AS number,
               (payload->>'$.id')::BIGINT AS id,
               payload->>'$.event' AS event,
               payload->>'$.actor.login' AS actor,
               coalesce((payload->>'$.actor.type') = 'Bot', FALSE) AS actor_is_bot,
               (payload->>'$.created_at')::TIMESTAMPTZ AS created_at,
               payload->>'$.label.name' AS label,
               payload->>'$.assignee.login' AS assignee,
               payload->>'$.requested_reviewer.login' AS requested_reviewer,
               payload->>'$.commit_id' AS commit_id
        FROM github_raw WHERE kind = 'event'""",
        # What metrics read: the views above, materialised at each GitHub sync or import
        # (store/github_tables.py), so no query extracts JSON again.
        "CREATE TABLE gh_items AS SELECT * FROM gh_items_json",
        "CREATE TABLE gh_comments AS SELECT * FROM gh_comments_json",
        "CREATE TABLE gh_reviews AS SELECT * FROM gh_reviews_json",
        "CREATE TABLE gh_pull_files AS SELECT * FROM gh_pull_files_json",
        "CREATE TABLE gh_review_requests AS SELECT * FROM gh_review_requests_json",
        "CREATE TABLE gh_events AS SELECT * FROM gh_events_json",
        # A pull request and the commit that landed it, when the store holds that commit.
        """CREATE VIEW gh_pr_commits AS
        SELECT i.repo, i.number, c.sha, len(c.parents) > 1 AS is_merge_commit
        FROM gh_items i JOIN commits c ON c.sha = i.merge_commit_sha
        WHERE i.is_pr AND i.merged_at IS NOT NULL""",
    ],
    3: [
        # Web accounts: argon2 hashes only; roles admin > team > viewer.
        """CREATE TABLE users (
            username VARCHAR PRIMARY KEY,
            password_hash VARCHAR NOT NULL,
            role VARCHAR NOT NULL CHECK (role IN ('admin', 'team', 'viewer')),
            created_at TIMESTAMPTZ NOT NULL,
            disabled BOOLEAN NOT NULL DEFAULT FALSE
        )""",
    ],
    4: [
        # A repository's tags (releases, mostly), as they are at its last sync.
        """CREATE TABLE repo_tags (
            repo_id INTEGER NOT NULL,
            name VARCHAR NOT NULL,
            sha VARCHAR NOT NULL,
            tagged_at TIMESTAMPTZ NOT NULL,
            tagger_name VARCHAR,
            tagger_email VARCHAR,
            PRIMARY KEY (repo_id, name)
        )""",
        # Partnership records (partners, agreements, contacts, funded team, priorities,
        # meetings), each as its validated JSON: the TOML files are their reviewable form.
        """CREATE TABLE records (
            kind VARCHAR NOT NULL,
            record_id VARCHAR NOT NULL,
            data JSON NOT NULL,
            PRIMARY KEY (kind, record_id)
        )""",
        # Every change to a record: who, when, and the record before and after.
        """CREATE TABLE audit_log (
            changed_at TIMESTAMPTZ NOT NULL,
            actor VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            record_id VARCHAR NOT NULL,
            action VARCHAR NOT NULL CHECK (action IN ('added', 'changed', 'removed')),
            old_data JSON,
            new_data JSON,
            via VARCHAR NOT NULL CHECK (via IN ('import', 'dashboard'))
        )""",
    ],
    5: [
        # A shallow clone's boundary commit keeps no changes: git shows its whole tree as
        # added. Read again from a complete history, it is replaced.
        "ALTER TABLE commits ADD COLUMN shallow_boundary BOOLEAN NOT NULL DEFAULT FALSE",
        # Co-authors through the repository's mailmap, as authors are (git check-mailmap).
        "ALTER TABLE commit_coauthors ADD COLUMN name_mapped VARCHAR",
        "ALTER TABLE commit_coauthors ADD COLUMN email_mapped VARCHAR",
        # The account behind a GitHub no-reply address or a login seen in GitHub data, and
        # the name the mailmap gives the identity (what `git shortlog` would print).
        "ALTER TABLE identities ADD COLUMN github_id BIGINT",
        "ALTER TABLE identities ADD COLUMN mapped_name VARCHAR",
        # Team members (funded team, [team] and [triage] team) are never newcomers; people
        # who share a display name (name_key) are one name in credits and newcomer lists.
        "ALTER TABLE people ADD COLUMN is_team BOOLEAN NOT NULL DEFAULT FALSE",
        "ALTER TABLE people ADD COLUMN name_key VARCHAR",
    ],
    6: [
        # Dashboard sessions, kept on the server: the cookie carries only a random id, stored
        # here as its SHA-256, so logging out, disabling an account or changing its role or
        # password ends its sessions at once. The role is read from `users` on each request;
        # a session whose user's role is no longer the role it was issued for is over. The
        # address is the client's at login: addresses a user logged in from are "known".
        """CREATE TABLE sessions (
            id_hash VARCHAR PRIMARY KEY,
            username VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            csrf VARCHAR NOT NULL,
            address VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            last_seen TIMESTAMPTZ NOT NULL,
            revoked_at TIMESTAMPTZ
        )""",
    ],
    7: [
        # Decision documents (SLEPs, PEPs, KEPs, RFCs...) as a repository states them, read
        # from git by sources/decisions at each sync that moved HEAD or a pull-request head.
        # ref is HEAD, or refs/pull/N/head for a proposal found only in that pull request.
        """CREATE TABLE decision_documents (
            repo_id INTEGER NOT NULL,
            ref VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            layout VARCHAR NOT NULL,
            number INTEGER,
            label VARCHAR NOT NULL,
            title VARCHAR,
            stated_number INTEGER,
            status VARCHAR,
            status_source VARCHAR NOT NULL,
            type VARCHAR,
            created VARCHAR,
            created_source VARCHAR NOT NULL,
            authors_source VARCHAR NOT NULL,
            resolution VARCHAR,
            pull_request INTEGER,
            sha VARCHAR NOT NULL,
            fields JSON NOT NULL,
            PRIMARY KEY (repo_id, ref, path)
        )""",
        # Authors as written; they are matched to people when read, so a rebuilt identity
        # table is never out of step with them.
        """CREATE TABLE decision_authors (
            repo_id INTEGER NOT NULL,
            ref VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            position SMALLINT NOT NULL,
            text VARCHAR NOT NULL,
            name VARCHAR,
            email VARCHAR,
            login VARCHAR,
            PRIMARY KEY (repo_id, ref, path, position)
        )""",
        """CREATE TABLE decision_links (
            repo_id INTEGER NOT NULL,
            ref VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            target VARCHAR NOT NULL,
            url VARCHAR,
            found_in VARCHAR NOT NULL
        )""",
        # Each main-line commit that changed a document or the index listing it, with the
        # status each stated then: the status history is derived from these rows.
        """CREATE TABLE decision_changes (
            repo_id INTEGER NOT NULL,
            ref VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            sha VARCHAR NOT NULL,
            committed_at TIMESTAMPTZ NOT NULL,
            subject VARCHAR NOT NULL,
            path_then VARCHAR NOT NULL,
            touched BOOLEAN NOT NULL,
            doc_status VARCHAR,
            index_status VARCHAR,
            PRIMARY KEY (repo_id, ref, path, position)
        )""",
        # Index files' entries at HEAD; path is the document an entry resolves to, if any.
        """CREATE TABLE decision_index (
            repo_id INTEGER NOT NULL,
            index_path VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            number INTEGER,
            target VARCHAR,
            title VARCHAR,
            status VARCHAR NOT NULL,
            path VARCHAR,
            PRIMARY KEY (repo_id, index_path, position)
        )""",
    ],
    8: [
        # Web server access logs read, each known by the first bytes of its content, with the
        # offset read up to: a file read again adds nothing, a grown one adds its new lines.
        """CREATE TABLE web_logs (
            log_id INTEGER PRIMARY KEY,
            site VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            compression VARCHAR,
            head_sha256 VARCHAR NOT NULL,
            head_length INTEGER NOT NULL,
            size BIGINT NOT NULL,
            content_offset BIGINT NOT NULL,
            log_format VARCHAR NOT NULL,
            lines BIGINT NOT NULL,
            requests BIGINT NOT NULL,
            unparsed BIGINT NOT NULL,
            first_read_at TIMESTAMPTZ NOT NULL,
            last_read_at TIMESTAMPTZ NOT NULL
        )""",
        # One row per request, without the client's address: `visitor` is a keyed hash of
        # address and user agent whose key changes every day and is kept outside the store
        # (store/visitor_keys.py). `day` is the server's calendar day as logged; paths and
        # referrers lose their query strings.
        """CREATE TABLE web_requests (
            site VARCHAR NOT NULL,
            log_id INTEGER NOT NULL,
            day DATE NOT NULL,
            requested_at TIMESTAMP NOT NULL,
            visitor UBIGINT NOT NULL,
            vhost VARCHAR,
            method VARCHAR,
            path VARCHAR,
            status SMALLINT NOT NULL,
            bytes BIGINT,
            referrer VARCHAR,
            agent VARCHAR NOT NULL,
            agent_kind VARCHAR NOT NULL CHECK (agent_kind IN ('browser', 'bot', 'tool'))
        )""",
    ],
    9: [
        # The issue or pull request each raw GitHub row belongs to. A GitHub table row is
        # derived from the raw rows of one item, so an import refreshes the rows of the items
        # it changed, reading no other payload (store/github_tables.py).
        r"""CREATE MACRO gh_item_number(kind, key, payload) AS TRY_CAST(CASE kind
            WHEN 'issue' THEN payload->>'$.number'
            WHEN 'pull' THEN key
            WHEN 'pull_graphql' THEN key
            WHEN 'pull_file' THEN split_part(key, ':', 1)
            WHEN 'issue_comment' THEN regexp_extract(payload->>'$.issue_url', '/(\d+)$', 1)
            WHEN 'review_comment' THEN regexp_extract(payload->>'$.pull_request_url', '/(\d+)$', 1)
            WHEN 'review' THEN regexp_extract(payload->>'$.pull_request_url', '/(\d+)$', 1)
            WHEN 'event' THEN payload->>'$.issue.number'
            END AS INTEGER)""",
        "ALTER TABLE github_raw ADD COLUMN number INTEGER",
        "UPDATE github_raw SET number = gh_item_number(kind, key, payload)",
        # The GitHub views again, as table macros over any relation of raw rows (all of
        # github_raw, or the rows of the items an import changed), and views over github_raw
        # through them. Each payload is parsed once for all the fields read from it: DuckDB
        # keeps every parse of a vector of rows until the vector is done, so version 2's one
        # parse a field held ~1 GB for 2,048 pull requests. The rows are version 2's (tested).
        """CREATE MACRO gh_items_from(raw) AS TABLE
        WITH issues AS (
            SELECT repo, json_extract_string(payload, [
                       '$.number', '$.pull_request.html_url', '$.title', '$.state', '$.user.login',
                       '$.user.id', '$.user.type', '$.author_association', '$.created_at',
                       '$.updated_at', '$.closed_at', '$.pull_request.merged_at',
                       '$.milestone.title', '$.html_url', '$.reactions.total_count']) AS f,
                   CAST(json_extract_string(payload, '$.labels[*].name') AS VARCHAR[]) AS labels
            FROM query_table(raw) WHERE kind = 'issue'
        ), pulls AS (
            SELECT repo, key, json_extract_string(payload, [
                       '$.number', '$.title', '$.state', '$.user.login', '$.user.id', '$.user.type',
                       '$.author_association', '$.created_at', '$.updated_at', '$.closed_at',
                       '$.merged_at', '$.merge_commit_sha', '$.milestone.title', '$.html_url'])
                   AS f,
                   CAST(json_extract_string(payload, '$.labels[*].name') AS VARCHAR[]) AS labels
            FROM query_table(raw) WHERE kind = 'pull'
        ), graphql AS (
            SELECT repo, key, json_extract_string(payload, ['$.mergedAt', '$.mergeCommit.oid']) AS f
            FROM query_table(raw) WHERE kind = 'pull_graphql'
        )
        SELECT i.repo, i.f[1]::INTEGER AS number,
               -- before 2013 every issue carried a pull_request object, with null URLs
               i.f[2] IS NOT NULL AS is_pr, i.f[3] AS title, i.f[4] AS state, i.f[5] AS author,
               i.f[6]::BIGINT AS author_id, coalesce(i.f[7] = 'Bot', FALSE) AS author_is_bot,
               i.f[8] AS author_association, i.f[9]::TIMESTAMPTZ AS created_at,
               i.f[10]::TIMESTAMPTZ AS updated_at, i.f[11]::TIMESTAMPTZ AS closed_at,
               coalesce(p.f[11]::TIMESTAMPTZ, g.f[1]::TIMESTAMPTZ, i.f[12]::TIMESTAMPTZ)
                   AS merged_at,
               coalesce(p.f[12], g.f[2]) AS merge_commit_sha, i.labels,
               i.f[13] AS milestone, i.f[14] AS url, i.f[15]::INTEGER AS reactions
        FROM issues i
        LEFT JOIN pulls p ON p.repo = i.repo AND p.key = i.f[1]
        LEFT JOIN graphql g ON g.repo = i.repo AND g.key = i.f[1]
        UNION ALL
        SELECT p.repo, p.f[1]::INTEGER, TRUE, p.f[2], p.f[3], p.f[4], p.f[5]::BIGINT,
               coalesce(p.f[6] = 'Bot', FALSE), p.f[7], p.f[8]::TIMESTAMPTZ, p.f[9]::TIMESTAMPTZ,
               p.f[10]::TIMESTAMPTZ, p.f[11]::TIMESTAMPTZ, p.f[12], p.labels, p.f[13], p.f[14],
               NULL
        FROM pulls p
        WHERE p.f[8] IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM issues i WHERE i.repo = p.repo AND i.f[1] = p.key)""",
        r"""CREATE MACRO gh_comments_from(raw) AS TABLE
        SELECT repo, kind,
               regexp_extract(CASE kind WHEN 'issue_comment' THEN f[1] ELSE f[2] END,
                              '/(\d+)$', 1)::INTEGER AS number,
               f[3]::BIGINT AS id, f[4] AS author, coalesce(f[5] = 'Bot', FALSE) AS author_is_bot,
               f[6]::TIMESTAMPTZ AS created_at
        FROM (SELECT repo, kind, json_extract_string(payload, [
                         '$.issue_url', '$.pull_request_url', '$.id', '$.user.login',
                         '$.user.type', '$.created_at']) AS f
              FROM query_table(raw) WHERE kind IN ('issue_comment', 'review_comment'))""",
        r"""CREATE MACRO gh_reviews_from(raw) AS TABLE
        SELECT repo, number, id, reviewer, reviewer_is_bot, state, submitted_at FROM (
            SELECT repo, 0 AS source, regexp_extract(f[1], '/(\d+)$', 1)::INTEGER AS number,
                   f[2]::BIGINT AS id, f[3] AS reviewer,
                   coalesce(f[4] = 'Bot', FALSE) AS reviewer_is_bot, f[5] AS state,
                   f[6]::TIMESTAMPTZ AS submitted_at
            FROM (SELECT repo, json_extract_string(payload, [
                             '$.pull_request_url', '$.id', '$.user.login', '$.user.type',
                             '$.state', '$.submitted_at']) AS f
                  FROM query_table(raw) WHERE kind = 'review')
            UNION ALL
            SELECT repo, 1, key::INTEGER, (r->>'$.databaseId')::BIGINT, r->>'$.author.login',
                   coalesce((r->>'$.author.__typename') = 'Bot', FALSE), r->>'$.state',
                   (r->>'$.submittedAt')::TIMESTAMPTZ
            FROM query_table(raw), unnest(CAST(payload->'$.reviews.nodes' AS JSON[])) AS n(r)
            WHERE kind = 'pull_graphql'
        )
        QUALIFY row_number() OVER (PARTITION BY repo, id ORDER BY source) = 1""",
        """CREATE MACRO gh_pull_files_from(raw) AS TABLE
        SELECT DISTINCT repo, split_part(key, ':', 1)::INTEGER AS number,
               payload->>'$.filename' AS path
        FROM query_table(raw) WHERE kind = 'pull_file'
        UNION
        SELECT repo, key::INTEGER, f->>'$.path'
        FROM query_table(raw), unnest(CAST(payload->'$.files.nodes' AS JSON[])) AS n(f)
        WHERE kind = 'pull_graphql'""",
        """CREATE MACRO gh_review_requests_from(raw) AS TABLE
        SELECT DISTINCT repo, key::INTEGER AS number, lower(login) AS login
        FROM query_table(raw),
             unnest(CAST(json_extract_string(payload, '$.requested_reviewers[*].login')
                         AS VARCHAR[])) AS n(login)
        WHERE kind = 'pull'
        UNION
        SELECT repo, key::INTEGER, lower(q->>'$.requestedReviewer.login')
        FROM query_table(raw), unnest(CAST(payload->'$.reviewRequests.nodes' AS JSON[])) AS n(q)
        WHERE kind = 'pull_graphql' AND (q->>'$.requestedReviewer.login') IS NOT NULL""",
        """CREATE MACRO gh_events_from(raw) AS TABLE
        SELECT repo, f[1]::INTEGER AS number, f[2]::BIGINT AS id, f[3] AS event, f[4] AS actor,
               coalesce(f[5] = 'Bot', FALSE) AS actor_is_bot, f[6]::TIMESTAMPTZ AS created_at,
               f[7] AS label, f[8] AS assignee, f[9] AS requested_reviewer, f[10] AS commit_id
        FROM (SELECT repo, json_extract_string(payload, [
                         '$.issue.number', '$.id', '$.event', '$.actor.login', '$.actor.type',
                         '$.created_at', '$.label.name', '$.assignee.login',
                         '$.requested_reviewer.login', '$.commit_id']) AS f
              FROM query_table(raw) WHERE kind = 'event')""",
        *(f"CREATE OR REPLACE VIEW {name}_json AS SELECT * FROM {name}_from('github_raw')"
          for name in GITHUB_VIEWS),
    ],
}
