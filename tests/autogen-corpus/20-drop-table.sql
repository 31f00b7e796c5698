-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, message TEXT NOT NULL);
CREATE INDEX idx_audit_message ON audit_log (message);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT);
