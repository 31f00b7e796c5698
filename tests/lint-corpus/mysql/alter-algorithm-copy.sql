-- A table copy: writes to orders wait until it is done.
ALTER TABLE orders ADD COLUMN note LONGTEXT, ALGORITHM=COPY, LOCK=SHARED;
