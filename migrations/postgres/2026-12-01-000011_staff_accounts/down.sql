DROP TABLE staff_accounts;
