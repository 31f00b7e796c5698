CREATE TABLE audit (id serial PRIMARY KEY, code char(3), label varchar(40), at timestamp);
