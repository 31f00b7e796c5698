-- On the Arxos head: a new partial index.
-- before: arxos
-- after: arxos
CREATE INDEX idx_walls_material_locked ON walls (material) WHERE locked_by IS NOT NULL;
