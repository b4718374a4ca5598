-- Customer lookups by identifier read through an index at any size (`scripts/bench --explain`).
-- Emails match without regard to case, so lookups compare lower(value); mobiles match as digits
-- (`+91 99…` is `9199…`), as Capillary normalises them.
CREATE INDEX customer_identifiers_lookup_any_case ON customer_identifiers (org_id, lower(identifier_type), lower(value));
CREATE INDEX customer_identifiers_mobile_digits ON customer_identifiers (org_id, regexp_replace(value, '\D', '', 'g'))
    WHERE lower(identifier_type) = 'mobile';
