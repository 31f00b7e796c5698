SET lock_timeout = '5s';
DROP INDEX CONCURRENTLY idx_orders_status;
