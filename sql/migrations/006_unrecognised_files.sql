-- Migration 6: nightly operations. Runs inside the upgrade's one transaction, after sql/ddl/ has created
-- unrecognised_files (empty: earlier runs did not record what they did not read). Nothing stored changes.
SELECT count(*) FROM unrecognised_files;
