-- arx-migrate: allow drop-table: coupons moved to the billing service
-- arx-migrate: allow delete-without-where: sessions are re-created at login

SET lock_timeout = '5s';
DROP TABLE coupons;
DELETE FROM sessions;
