//! Finding a customer by what a write request names them with: their id, or an identifier
//! (mobile, email, externalId, ...) as `customer_identifiers` holds it.

use sqlx::PgExecutor;

/// How a request names a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerKey<'a> {
    Id(i64),
    /// An identifier type as `customer_identifiers.identifier_type` spells it, and its value.
    Identifier(&'a str, &'a str),
}

/// The org's customer the key names.
pub async fn find_customer(db: impl PgExecutor<'_>, org_id: i64, key: CustomerKey<'_>) -> sqlx::Result<Option<i64>> {
    match key {
        CustomerKey::Id(id) => {
            sqlx::query_scalar("SELECT customer_id FROM customers WHERE org_id = $1 AND customer_id = $2")
                .bind(org_id)
                .bind(id)
                .fetch_optional(db)
                .await
        }
        // Mobiles are compared as digits, as Capillary normalises them (+91 99..., 9199...). One
        // statement per kind, so each reads its own index (migration `identifier_lookups`).
        CustomerKey::Identifier(kind, value) => {
            let kind = kind.to_lowercase();
            let query = match kind.as_str() {
                "mobile" => sqlx::query_scalar(
                    "SELECT customer_id FROM customer_identifiers
                     WHERE org_id = $1 AND lower(identifier_type) = 'mobile'
                       AND regexp_replace(value, '\\D', '', 'g') = regexp_replace($2, '\\D', '', 'g')
                     ORDER BY customer_id LIMIT 1",
                )
                .bind(org_id)
                .bind(value),
                "email" => sqlx::query_scalar(
                    "SELECT customer_id FROM customer_identifiers
                     WHERE org_id = $1 AND lower(identifier_type) = 'email' AND lower(value) = lower($2)
                     ORDER BY customer_id LIMIT 1",
                )
                .bind(org_id)
                .bind(value),
                other => sqlx::query_scalar(
                    "SELECT customer_id FROM customer_identifiers
                     WHERE org_id = $1 AND value = $2 AND lower(identifier_type) = $3
                     ORDER BY customer_id LIMIT 1",
                )
                .bind(org_id)
                .bind(value)
                .bind(other),
            };
            query.fetch_optional(db).await
        }
    }
}
