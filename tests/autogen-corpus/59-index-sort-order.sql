-- Indexes the plain create_index call cannot express: a descending key
-- (and, dropped, one that the downgrade puts back), NULLS FIRST (PostgreSQL;
-- SQLite has no NULLS in an index).
-- before
CREATE TABLE changes (id INTEGER PRIMARY KEY, object_id INTEGER NOT NULL, changed_at TEXT, author TEXT);
CREATE INDEX idx_changes_author ON changes (author DESC, changed_at);
-- after
CREATE TABLE changes (id INTEGER PRIMARY KEY, object_id INTEGER NOT NULL, changed_at TEXT, author TEXT);
CREATE INDEX idx_changes_object ON changes (object_id, changed_at DESC);
CREATE INDEX idx_changes_nulls ON changes (changed_at NULLS FIRST);
-- after sqlite
CREATE TABLE changes (id INTEGER PRIMARY KEY, object_id INTEGER NOT NULL, changed_at TEXT, author TEXT);
CREATE INDEX idx_changes_object ON changes (object_id, changed_at DESC);
