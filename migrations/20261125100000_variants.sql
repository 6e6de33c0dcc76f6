-- A CPE renamed onto an existing one is not pre-checked by PDC: the database
-- answers, and its text (409) names this constraint as PDC's schema does.
ALTER TABLE cpe RENAME CONSTRAINT cpe_cpe_key TO release_cpe_cpe_key;
