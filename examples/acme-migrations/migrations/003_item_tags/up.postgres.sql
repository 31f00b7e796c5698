-- arx-migrate: down_rev = "002"
-- Tag items, and count each tag's items
--
-- This .sql revision revises "002", a Rust module (src/m002_tags.rs).
CREATE TABLE item_tags (
    item_id integer NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    tag_id integer NOT NULL REFERENCES tags (id),
    PRIMARY KEY (item_id, tag_id)
);
CREATE INDEX idx_item_tags_tag_id ON item_tags (tag_id);
CREATE FUNCTION count_item_tags() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tags SET item_count = item_count + 1 WHERE id = NEW.tag_id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER item_tags_count AFTER INSERT ON item_tags
    FOR EACH ROW EXECUTE FUNCTION count_item_tags();
