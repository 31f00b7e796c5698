-- On the Arxos head: walls.material widened from varchar(100) to varchar(200).
-- before: arxos
-- after: arxos
-- after postgres
ALTER TABLE walls ALTER COLUMN material TYPE varchar(200);
-- after sqlite
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql, '"material" varchar(100)', '"material" varchar(200)') WHERE name = 'walls';
PRAGMA writable_schema = OFF;
PRAGMA schema_version = 4242;
