DROP TRIGGER item_tags_count;
DROP INDEX idx_item_tags_tag_id;
DROP TABLE item_tags;
