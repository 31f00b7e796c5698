-- One online change that says how: the server refuses rather than copy.
ALTER TABLE orders ADD COLUMN note LONGTEXT, ALGORITHM=INSTANT, LOCK=NONE;
