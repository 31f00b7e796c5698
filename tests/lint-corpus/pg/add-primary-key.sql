SET lock_timeout = '5s';
ALTER TABLE items ADD PRIMARY KEY (id);
