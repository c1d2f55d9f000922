-- The open issues and pull requests that need a person at $as_of, and why (see queue.py).
WITH acts AS (
    SELECT repo, number, author AS actor, created_at AS at FROM gh_comments WHERE NOT author_is_bot
    UNION ALL
    SELECT repo, number, reviewer, submitted_at FROM gh_reviews WHERE NOT reviewer_is_bot
    UNION ALL
    SELECT repo, number, actor, created_at FROM gh_events
    WHERE NOT actor_is_bot AND list_contains($events::VARCHAR[], event)
),
team AS (
    SELECT DISTINCT lower(author) AS login FROM gh_items
    WHERE author_association IN ('OWNER', 'MEMBER', 'COLLABORATOR')
    UNION SELECT unnest($team::VARCHAR[])
    UNION SELECT lower(i.login) FROM identities i JOIN people p USING (person_id)
    WHERE p.is_team AND i.login IS NOT NULL
),
-- when a login's person first contributed to the code (they are not new after that)
committed AS (
    SELECT lower(i.login) AS login, min(c.contributed_at) AS first_commit
    FROM identities i JOIN contributions c USING (person_id)
    WHERE i.login IS NOT NULL GROUP BY 1
),
firsts AS (
    SELECT repo, author, min(created_at) AS first_created FROM gh_items GROUP BY ALL
),
open_items AS (
    SELECT * FROM gh_items
    WHERE state = 'open' AND NOT author_is_bot AND created_at <= $as_of
),
agg AS (
    SELECT o.repo, o.number,
           min(a.at) FILTER (WHERE a.actor <> o.author) AS first_response_at,
           max(a.at) FILTER (WHERE a.actor <> o.author) AS last_other_at,
           max(a.at) FILTER (WHERE a.actor = o.author) AS last_author_at,
           max(a.at) AS last_act_at
    FROM open_items o
    LEFT JOIN acts a ON a.repo = o.repo AND a.number = o.number AND a.at <= $as_of
    GROUP BY o.repo, o.number
),
first_reviews AS (
    SELECT o.repo, o.number, min(r.submitted_at) AS first_review_at
    FROM open_items o JOIN gh_reviews r ON r.repo = o.repo AND r.number = o.number
    WHERE r.reviewer <> o.author AND NOT r.reviewer_is_bot AND r.submitted_at <= $as_of
    GROUP BY o.repo, o.number
),
scored AS (
    SELECT o.repo, o.number, o.is_pr, o.title, o.author, o.url, o.created_at, o.labels,
           lower(o.author) IN (SELECT login FROM team) AS by_team,
           (o.author_association IN ('FIRST_TIME_CONTRIBUTOR', 'FIRST_TIMER')
             OR f.first_created = o.created_at)
             AND lower(o.author) NOT IN (SELECT login FROM team)
             AND coalesce(k.first_commit >= o.created_at, TRUE) AS newcomer,
           g.first_response_at, g.last_other_at, g.last_author_at,
           greatest(o.updated_at, g.last_act_at) AS last_activity_at,
           fr.first_review_at
    FROM open_items o
    JOIN firsts f ON f.repo = o.repo AND f.author = o.author
    JOIN agg g ON g.repo = o.repo AND g.number = o.number
    LEFT JOIN first_reviews fr ON fr.repo = o.repo AND fr.number = o.number
    LEFT JOIN committed k ON k.login = lower(o.author)
)
SELECT *,
       CASE
         WHEN first_response_at IS NULL AND NOT by_team
              AND date_diff('second', created_at, $as_of) >= $response * 86400 THEN 'no-response'
         WHEN is_pr AND first_review_at IS NULL
              AND date_diff('second', created_at, $as_of) >= $review * 86400 THEN 'awaiting-review'
         WHEN last_author_at > last_other_at
              AND date_diff('second', last_author_at, $as_of) >= $reply * 86400
              THEN 'author-replied'
         WHEN date_diff('second', last_activity_at, $as_of) >= $stale * 86400 THEN 'stale'
       END AS reason,
       date_diff('second', CASE
         WHEN first_response_at IS NULL AND NOT by_team THEN created_at
         WHEN is_pr AND first_review_at IS NULL THEN created_at
         WHEN last_author_at > last_other_at THEN last_author_at
         ELSE last_activity_at END, $as_of) / 86400.0 AS waiting_days
FROM scored
