-- backends: postgres
-- before
CREATE FUNCTION area(w double precision, h double precision) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$ SELECT w * h $$;
-- after
CREATE FUNCTION area(w double precision, h double precision) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$ SELECT round((w * h)::numeric, 2)::double precision $$;
CREATE FUNCTION perimeter(w double precision, h double precision) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$ SELECT 2 * (w + h) $$;
