DROP TRIGGER item_tags_count ON item_tags;
DROP FUNCTION count_item_tags();
DROP INDEX idx_item_tags_tag_id;
DROP TABLE item_tags;
