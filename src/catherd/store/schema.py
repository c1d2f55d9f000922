"""The tables of a catherd store and the migrations that create them.

Raw tables (``commits``, ``commit_files``, ``commit_coauthors``, ``repo_commits``) hold what the
sources read, exactly. Derived tables (``identities``, ``people``, ``contributions``...) are
rebuilt from raw tables by the identity layer, so a corrected rule never needs a re-download.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

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
            pr_number INTEGER, pr_source VARCHAR
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
            hidden BOOLEAN NOT NULL DEFAULT FALSE
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
}
