-- Loads deposit_rules.csv (beside this file; $path) at every read-write open: how many business days an employer
-- has to deposit participant money withheld from pay, counted from where (`counted_from`), per DOL rule. Business
-- days are Monday to Friday: federal holidays are not excluded, so a deadline computed here is never later than
-- the law's. Employer money (match, nonelective, true-up) has no DOL deadline: it is due by the plan's terms and,
-- to be deducted, by the employer's tax-return due date (IRC 404(a)(6)). `source` cites the regulation per row.
CREATE OR REPLACE TABLE deposit_rules AS
SELECT *
FROM read_csv($path, header = true, columns = {
    'rule': 'VARCHAR', 'business_days': 'INTEGER', 'counted_from': 'VARCHAR', 'applies_to': 'VARCHAR',
    'description': 'VARCHAR', 'source': 'VARCHAR'})
ORDER BY rule
