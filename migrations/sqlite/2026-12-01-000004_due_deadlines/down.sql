DROP INDEX complaints_due;
