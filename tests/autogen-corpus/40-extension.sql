-- backends: postgres
-- before
CREATE TABLE tags (id integer PRIMARY KEY, label text);
-- after
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE tags (id integer PRIMARY KEY, label text);
CREATE INDEX idx_tags_label_trgm ON tags USING gist (label gist_trgm_ops);
