//! Finding a customer or a user group from the identifier a request names, within one org.
//!
//! A customer is reachable in a source (and account) when its own profile or one of its
//! identifiers is in that source; `None` for the source means every source (`source=ALL`).

use sqlx::{AssertSqlSafe, PgPool};

/// Where the identifier must be registered.
#[derive(Debug, Clone, Copy)]
pub struct SourceFilter<'a> {
    /// `None`: any source.
    pub source: Option<&'a str>,
    pub account_id: Option<&'a str>,
}

/// How a customer is named.
#[derive(Debug, Clone, Copy)]
pub enum CustomerKey<'a> {
    Id(i64),
    /// `identifier_type` as stored (`mobile`, `email`, `externalId`, ...), compared case-insensitively.
    Identifier {
        kind: &'a str,
        value: &'a str,
    },
}

/// How a user group is named.
#[derive(Debug, Clone, Copy)]
pub enum GroupKey<'a> {
    Id(i64),
    ExternalId(&'a str),
    PrimaryUserId(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct UserGroup {
    pub group_id: i64,
    pub primary_customer_id: i64,
}

/// Customer `c` has a profile or an identifier in the source and account of $2 / $3.
const REACHABLE_IN_SOURCE: &str = "(
    (($2::text IS NULL OR upper(c.source) = upper($2)) AND ($3::text IS NULL OR c.account_id = $3))
    OR EXISTS (
        SELECT 1 FROM customer_identifiers si
        WHERE si.org_id = c.org_id AND si.customer_id = c.customer_id
          AND ($2::text IS NULL OR upper(si.source) = upper($2))
          AND ($3::text IS NULL OR si.account_id = $3)))";

/// The customer's id, when the key names one in `org_id` that is reachable in the source.
/// Several customers sharing an identifier across sources (with `source=ALL`): the lowest id.
pub async fn find_customer(db: &PgPool, org_id: i64, key: CustomerKey<'_>, filter: SourceFilter<'_>) -> sqlx::Result<Option<i64>> {
    match key {
        CustomerKey::Id(customer_id) => {
            let sql = format!("SELECT c.customer_id FROM customers c WHERE c.org_id = $1 AND c.customer_id = $4 AND {REACHABLE_IN_SOURCE}");
            sqlx::query_scalar(AssertSqlSafe(sql))
                .bind(org_id)
                .bind(filter.source)
                .bind(filter.account_id)
                .bind(customer_id)
                .fetch_optional(db)
                .await
        }
        CustomerKey::Identifier { kind, value } => {
            // Emails are matched without regard to case, as mail systems do.
            sqlx::query_scalar(
                "SELECT i.customer_id FROM customer_identifiers i
                 WHERE i.org_id = $1 AND lower(i.identifier_type) = lower($4)
                   AND (i.value = $5 OR (lower($4) = 'email' AND lower(i.value) = lower($5)))
                   AND ($2::text IS NULL OR upper(i.source) = upper($2))
                   AND ($3::text IS NULL OR i.account_id = $3)
                 ORDER BY i.customer_id
                 LIMIT 1",
            )
            .bind(org_id)
            .bind(filter.source)
            .bind(filter.account_id)
            .bind(kind)
            .bind(value)
            .fetch_optional(db)
            .await
        }
    }
}

/// The group the key names in `org_id`, when its primary member is reachable in the source.
pub async fn find_group(db: &PgPool, org_id: i64, key: GroupKey<'_>, filter: SourceFilter<'_>) -> sqlx::Result<Option<UserGroup>> {
    let condition = match key {
        GroupKey::Id(_) => "g.group_id = $4::bigint",
        GroupKey::ExternalId(_) => "g.external_id = $4::text",
        GroupKey::PrimaryUserId(_) => "g.primary_customer_id = $4::bigint",
    };
    let sql = format!(
        "SELECT g.group_id, g.primary_customer_id FROM user_groups g
         JOIN customers c ON c.customer_id = g.primary_customer_id AND c.org_id = g.org_id
         WHERE g.org_id = $1 AND {condition} AND {REACHABLE_IN_SOURCE}
         ORDER BY g.group_id
         LIMIT 1"
    );
    let query = sqlx::query_as::<_, UserGroup>(AssertSqlSafe(sql)).bind(org_id).bind(filter.source).bind(filter.account_id);
    let query = match key {
        GroupKey::Id(id) | GroupKey::PrimaryUserId(id) => query.bind(id),
        GroupKey::ExternalId(external_id) => query.bind(external_id),
    };
    query.fetch_optional(db).await
}
