CREATE TEMPORARY TABLE staging (id bigint, email text);
INSERT INTO staging SELECT id, email FROM users WHERE email LIKE '%@old.example';
UPDATE users SET email = lower(users.email) FROM staging WHERE users.id = staging.id;
DROP TABLE staging;
