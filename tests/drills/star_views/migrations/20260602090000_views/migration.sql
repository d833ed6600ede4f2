-- A star inside a CTE, then a star over the CTE (langfuse's observations_view).
CREATE VIEW "observations_view" AS
WITH model_ranked AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY project_id, model_name ORDER BY start_date DESC NULLS LAST) AS rn
    FROM models
)
SELECT o.*, m.id AS "model_id", m.input_price, o.prompt_tokens::decimal * m.input_price AS "calculated_input_cost"
FROM observations o
LEFT JOIN model_ranked m ON m.rn = 1 AND m.model_name = o.internal_model;

-- Stars inside LATERAL subqueries, and a star over one of them.
CREATE VIEW "observations_prompts" AS
SELECT o.start_time AS observed_at, p.*
FROM observations o
LEFT JOIN LATERAL (SELECT prompts.* FROM prompts WHERE prompts.id = o.id LIMIT 1) p ON TRUE;

-- Column aliases on a subquery, a set operation and VALUES.
CREATE VIEW "renamed" AS SELECT * FROM (SELECT * FROM prompts) AS r(prompt_id, prompt_project);
CREATE VIEW "both_projects" AS SELECT * FROM (SELECT id, project_id FROM models UNION ALL SELECT id, project_id FROM prompts) u;
CREATE VIEW "constants" AS SELECT * FROM (VALUES (1, 'one'), (2, 'two')) AS v;

-- A recursive CTE: its columns are its first branch's, stars in both branches.
CREATE VIEW "prompt_chain" AS
WITH RECURSIVE chain AS (
    SELECT * FROM prompts WHERE version = 1
    UNION ALL
    SELECT p.* FROM prompts p JOIN chain c ON p.project_id = c.project_id AND p.version = c.version + 1
)
SELECT * FROM chain;
