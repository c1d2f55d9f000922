-- People with their contributions (bots and hidden people left out unless asked), filtered
-- by organisation, repository, a name or address fragment, or a list of person ids; one page.
WITH c AS (
    SELECT c.person_id, c.sha, c.contributed_at FROM contributions c
    WHERE ($org = '' OR c.org_id = $org)
      AND ($repo = '' OR c.sha IN (SELECT sha FROM repo_commits JOIN repositories USING (repo_id)
                                   WHERE name = $repo))
),
listed AS (
    SELECT p.person_id, p.display_name, p.primary_email, p.is_bot, p.is_team, p.forgotten,
           count(c.sha) AS contributions, min(c.contributed_at) AS first_at,
           max(c.contributed_at) AS last_at
    FROM people p JOIN c USING (person_id)
    WHERE ($bots OR NOT p.is_bot) AND NOT p.hidden
      AND ($search = '' OR p.display_name ILIKE '%' || $search || '%'
           OR p.person_id IN (SELECT person_id FROM identities
                              WHERE name ILIKE '%' || $search || '%'
                                 OR ($addresses AND email_key ILIKE '%' || $search || '%')))
      AND ($only IS NULL OR list_contains($only, p.person_id))
    GROUP BY ALL
),
main_org AS (
    SELECT person_id, arg_max(o.name, n) AS organisation FROM (
        SELECT c.person_id, c.org_id, count(*) AS n FROM contributions c
        WHERE c.person_id IN (SELECT person_id FROM listed) GROUP BY ALL
    ) JOIN organisations o USING (org_id) GROUP BY person_id
)
SELECT l.*, m.organisation, count(*) OVER () AS total
FROM listed l LEFT JOIN main_org m USING (person_id)
ORDER BY {order}, l.person_id LIMIT $limit OFFSET $offset
