DROP INDEX idx_items_name;
