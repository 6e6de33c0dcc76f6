-- PDC sorts releases by [short] + [int parts of version] (just [short] when
-- the version is not all digits and dots); this is the version part.
CREATE FUNCTION release_version_key(version text) RETURNS numeric[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN version ~ '^[0-9]+(\.[0-9]+)*$'
                THEN string_to_array(version, '.')::numeric[]
                ELSE '{}'::numeric[] END
$$;

-- Lets the default release list order read a page from an index.
CREATE INDEX release_version_order ON release ((short COLLATE "C"), release_version_key(version), id);
