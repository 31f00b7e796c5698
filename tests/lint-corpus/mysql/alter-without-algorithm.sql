-- The server picks the algorithm; for some changes that is a copy.
ALTER TABLE orders MODIFY total DECIMAL(14, 2) NOT NULL;
