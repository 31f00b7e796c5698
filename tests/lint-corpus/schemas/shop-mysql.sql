-- The shop schema in MariaDB/MySQL's words: the prelude of the mysql cases.
CREATE TABLE customers (id BIGINT NOT NULL PRIMARY KEY, email VARCHAR(255) NOT NULL);
CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, customer_id BIGINT NOT NULL, total DECIMAL(12, 2) NOT NULL);
