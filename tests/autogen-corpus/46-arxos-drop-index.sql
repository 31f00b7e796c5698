-- On the Arxos head: an index dropped.
-- before: arxos
-- after: arxos
DROP INDEX idx_walls_assigned_to;
