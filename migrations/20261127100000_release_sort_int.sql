-- The version sort key takes each dot-separated part as Python's int()
-- does: a sign and surrounding blanks are allowed ("+1", "-2" sort as 1, -2).
CREATE OR REPLACE FUNCTION release_version_key(version text) RETURNS numeric[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN version ~ '^\s*[+-]?[0-9]+\s*(\.\s*[+-]?[0-9]+\s*)*$'
                THEN string_to_array(version, '.')::numeric[]
                ELSE '{}'::numeric[] END
$$;
