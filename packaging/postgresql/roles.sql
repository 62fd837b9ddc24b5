-- Labelscope on PostgreSQL (issue 18): the two roles of a team, once per database.
-- Run as the database's owner or a superuser:   psql -d labelscope -v db=labelscope -f roles.sql
-- Then make people members:  CREATE ROLE alice LOGIN IN ROLE labelscope_annotators;
--                            CREATE ROLE max LOGIN IN ROLE labelscope_maintainers;
-- (passwords: ALTER ROLE alice PASSWORD '…' here; on the client only ~/.pgpass, PGPASSFILE,
--  PGPASSWORD or a service file — Labelscope never stores or accepts one in a URL).
CREATE ROLE labelscope_annotators NOLOGIN;
CREATE ROLE labelscope_maintainers NOLOGIN;
-- Maintainers create projects (a project is a schema), run analyses and delete runs: they own
-- the projects they create.
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO labelscope_annotators, labelscope_maintainers;
GRANT CREATE ON DATABASE :"db" TO labelscope_maintainers;
