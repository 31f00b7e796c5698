-- The existing schema SQLite cases start from.
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, bio TEXT, age INTEGER, created_at TEXT);
CREATE INDEX idx_users_name ON users (name);
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), total REAL NOT NULL, status TEXT, note TEXT);
CREATE INDEX idx_orders_user_id ON orders (user_id);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER, token TEXT);
CREATE TRIGGER orders_note AFTER UPDATE OF status ON orders BEGIN UPDATE orders SET note = NEW.status WHERE id = NEW.id; END;
CREATE VIEW big_orders AS SELECT id, user_id, total FROM orders WHERE total > 100;
