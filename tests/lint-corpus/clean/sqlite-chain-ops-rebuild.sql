-- revision: 001
-- up
CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER);
CREATE INDEX idx_t_x ON t (x);
-- down
DROP TABLE t;
-- revision: 002
-- up
-- SQLite: done by rebuilding table "t"
ALTER TABLE "t" ALTER COLUMN "x" SET NOT NULL
-- op.sql
-- arx-migrate: sqlite-rebuild
ALTER TABLE "t" ADD CONSTRAINT "t_x_positive" CHECK (x > 0)
-- down
-- SQLite: done by rebuilding table "t"
ALTER TABLE "t" DROP CONSTRAINT "t_x_positive"
-- op.sql
-- SQLite: done by rebuilding table "t"
ALTER TABLE "t" ALTER COLUMN "x" DROP NOT NULL
