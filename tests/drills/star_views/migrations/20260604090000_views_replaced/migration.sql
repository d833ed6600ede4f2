DROP VIEW "observations_view";
CREATE VIEW "observations_view" AS
SELECT o.id, o.project_id, o.end_time, m.id AS "model_id"
FROM observations o
LEFT JOIN LATERAL (SELECT models.* FROM models WHERE models.model_name = o.internal_model LIMIT 1) m ON TRUE;
DROP VIEW "observations_prompts";
DROP VIEW "renamed";
DROP VIEW "both_projects";
DROP VIEW "constants";
DROP VIEW "prompt_chain";
