SET lock_timeout = '5s';
ALTER TABLE coupons ADD CONSTRAINT coupons_code_key UNIQUE (code);
