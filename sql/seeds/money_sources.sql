-- Loads money_sources.csv (beside this file; $path) as the money_sources table at every read-write open: the
-- one code list of money sources, which Python reads too (schemas/sources.py). One row per source.
CREATE OR REPLACE TABLE money_sources AS
SELECT *
FROM read_csv($path, header = true, columns = {
    'source': 'VARCHAR', 'owner': 'VARCHAR', 'tax_character': 'VARCHAR', 'counts_402g': 'BOOLEAN',
    'is_catch_up': 'BOOLEAN', 'counts_415c': 'BOOLEAN', 'on_statements': 'BOOLEAN', 'from_payroll': 'BOOLEAN',
    'description': 'VARCHAR', 'citation': 'VARCHAR'})
