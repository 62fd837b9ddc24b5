-- Labelscope on PostgreSQL (issue 18): what annotators may do in one project, after a
-- maintainer created it (e.g. `labelscope analyze --project postgresql://max@db/labelscope?project=shoes`).
-- Run as the project's owner:   psql -d labelscope -v project=shoes -f grant-project.sql
-- Annotators read everything and append decisions: they update a sample's current label and
-- exclusion, insert label and class events (the logs stay append-only for everyone: triggers
-- refuse UPDATE, DELETE and TRUNCATE), add and rename classes, set project metadata such as
-- the pinned classes, and claim samples to review. They cannot write or delete runs, scores or embeddings.
GRANT USAGE ON SCHEMA :"project" TO labelscope_annotators;
GRANT SELECT ON ALL TABLES IN SCHEMA :"project" TO labelscope_annotators;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA :"project" TO labelscope_annotators;
GRANT UPDATE (label, excluded) ON :"project".samples TO labelscope_annotators;
GRANT INSERT ON :"project".label_events, :"project".class_events TO labelscope_annotators;
GRANT INSERT, UPDATE ON :"project".classes, :"project".meta TO labelscope_annotators;
GRANT INSERT, UPDATE, DELETE ON :"project".claims TO labelscope_annotators;
-- Maintainers other than the owner: everything in the project.
GRANT USAGE ON SCHEMA :"project" TO labelscope_maintainers;
GRANT ALL ON ALL TABLES IN SCHEMA :"project" TO labelscope_maintainers;
GRANT ALL ON ALL SEQUENCES IN SCHEMA :"project" TO labelscope_maintainers;
