-- compose_rpm is written a million rows at a time by compose imports, whose
-- set-based merge only links RPMs, trees, sigkeys, categories and paths it
-- has just found or created; none of those rows are ever deleted (composes
-- are soft-deleted, RPMs cannot be deleted through the API). The per-row
-- foreign-key checks cost more than the rest of the insert, so they go.
ALTER TABLE compose_rpm DROP CONSTRAINT compose_rpm_sigkey_pk_fkey;
ALTER TABLE compose_rpm DROP CONSTRAINT compose_rpm_content_category_pk_fkey;
ALTER TABLE compose_rpm DROP CONSTRAINT compose_rpm_path_pk_fkey;
ALTER TABLE compose_rpm DROP CONSTRAINT compose_rpm_variant_arch_pk_fkey;
ALTER TABLE compose_rpm DROP CONSTRAINT compose_rpm_rpm_pk_fkey;

-- Single-column indexes on low-selectivity RPM columns cost every import
-- far more than they save: the unique (name, epoch, version, release, arch)
-- index serves name lookups, srpm_name keeps its own.
DROP INDEX rpm_version;
DROP INDEX rpm_release;
DROP INDEX rpm_arch;
DROP INDEX rpm_filename;
