SET lock_timeout = '5s';
DROP INDEX idx_orders_status;
