DELETE FROM violations WHERE notice_id IS NOT NULL;
ALTER TABLE violations DROP CONSTRAINT violations_one_source;
ALTER TABLE violations DROP COLUMN notice_id;
ALTER TABLE violations ALTER COLUMN complaint_id SET NOT NULL;
ALTER TABLE violations ALTER COLUMN decision_id SET NOT NULL;
DROP TABLE listing_notices;
