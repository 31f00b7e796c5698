-- backends: postgres
-- before
CREATE TABLE rooms (id integer PRIMARY KEY, floor integer);
-- after
CREATE TABLE rooms (id integer PRIMARY KEY, floor integer);
CREATE MATERIALIZED VIEW floor_counts AS SELECT floor, count(*) AS rooms FROM rooms GROUP BY floor;
