-- Package resources (rpms/, images/, build-images/, released-files/).

-- `rpms/?name=` is an unanchored regular expression search: a trigram
-- index lets PostgreSQL answer it without reading every RPM. pg_trgm ships
-- with PostgreSQL's contrib; without it the search still works, by a scan.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX rpm_name_trgm ON rpm USING gin (name gin_trgm_ops);
    END IF;
END
$$;
