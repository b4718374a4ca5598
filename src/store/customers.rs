//! Customers: their profiles and communication channels, the identifiers that find them, and the
//! user groups they belong to. Every lookup is within one org.
//!
//! A customer is reachable in a source (and account) when its own profile or one of its
//! identifiers is in that source; `None` for the source means every source (`source=ALL`).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use sqlx::{AssertSqlSafe, FromRow, PgExecutor, Postgres, QueryBuilder, Row, postgres::PgRow};

use crate::model::Decimal;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct UserGroup {
    pub group_id: i64,
    pub primary_customer_id: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct CustomerProfile {
    pub customer_id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub source: String,
    pub account_id: String,
    pub org_source_id: i64,
    pub loyalty_type: String,
    pub lifetime_purchases: Decimal,
    pub created_on: DateTime<Utc>,
    pub last_updated_on: Option<DateTime<Utc>>,
    pub created_by: Option<Value>,
    pub last_updated_by: Option<Value>,
    pub custom_fields: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommChannel {
    pub identifier_type: String,
    pub value: String,
    pub account_id: Option<String>,
    pub is_primary: bool,
    pub verified: bool,
    pub subscribed: Option<bool>,
    pub attributes: Option<Value>,
}

/// Identifier types that are ways of reaching the customer; ids such as externalId or a card
/// number are identifiers but not channels.
pub(super) const COMM_CHANNEL_TYPES: &[&str] = &["mobile", "email", "wechat", "android", "ios", "line", "whatsapp"];

/// Whether the org has this customer.
pub async fn exists(db: impl PgExecutor<'_>, org_id: i64, customer_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM customers WHERE org_id = $1 AND customer_id = $2)")
        .bind(org_id)
        .bind(customer_id)
        .fetch_one(db)
        .await
}

/// A page of one customer's rows in an org, read with whether the org has that customer.
#[derive(Debug, Clone)]
pub struct CustomerPage<T> {
    pub customer_known: bool,
    pub rows: Vec<T>,
}

/// One statement for a page of a customer's rows and the customer check: `page` selects the rows
/// of customer `$2` in org `$1` with its `ORDER BY`, `LIMIT` and `OFFSET`, and `order` is the
/// same order over the page's columns. The page joins the check, so an empty page comes back as
/// one row of NULLs beside `customer_known`.
pub(super) fn customer_page_sql(page: &str, order: &str) -> String {
    format!(
        "SELECT known.customer_known, page.*
         FROM (SELECT EXISTS (SELECT 1 FROM customers WHERE org_id = $1 AND customer_id = $2) AS customer_known) known
         LEFT JOIN LATERAL ({page}) page ON true
         ORDER BY {order}"
    )
}

impl<T: for<'r> FromRow<'r, PgRow>> CustomerPage<T> {
    /// The rows of [`customer_page_sql`]'s statement; `key` is a column no row of the page has NULL.
    pub(super) fn from_rows(rows: &[PgRow], key: &str) -> sqlx::Result<CustomerPage<T>> {
        let mut page = CustomerPage { customer_known: false, rows: Vec::with_capacity(rows.len()) };
        for row in rows {
            page.customer_known = row.try_get("customer_known")?;
            if row.try_get::<Option<i64>, _>(key)?.is_some() {
                page.rows.push(T::from_row(row)?);
            }
        }
        Ok(page)
    }
}

/// Appends: customer `c` has a profile or an identifier in the filter's source and account.
fn push_reachable_in_source(query: &mut QueryBuilder<Postgres>, filter: SourceFilter<'_>) {
    let (source, account_id) = (filter.source, filter.account_id);
    query.push("(((").push_bind(source).push("::text IS NULL OR upper(c.source) = upper(").push_bind(source).push("))");
    query.push(" AND (").push_bind(account_id).push("::text IS NULL OR c.account_id = ").push_bind(account_id).push("))");
    query.push(" OR EXISTS (SELECT 1 FROM customer_identifiers si WHERE si.org_id = c.org_id AND si.customer_id = c.customer_id AND (");
    query.push_bind(source).push("::text IS NULL OR upper(si.source) = upper(").push_bind(source).push("))");
    query.push(" AND (").push_bind(account_id).push("::text IS NULL OR si.account_id = ").push_bind(account_id).push(")))");
}

/// The customer's id, when the key names one in `org_id` that is reachable in the source.
/// Several customers sharing an identifier across sources (with `source=ALL`): the lowest id.
pub async fn reachable_customer(
    db: impl PgExecutor<'_>,
    org_id: i64,
    key: CustomerKey<'_>,
    filter: SourceFilter<'_>,
) -> sqlx::Result<Option<i64>> {
    match key {
        CustomerKey::Id(customer_id) => {
            let mut query = QueryBuilder::new("SELECT c.customer_id FROM customers c WHERE c.org_id = ");
            query.push_bind(org_id).push(" AND c.customer_id = ").push_bind(customer_id).push(" AND ");
            push_reachable_in_source(&mut query, filter);
            query.build_query_scalar().fetch_optional(db).await
        }
        CustomerKey::Identifier { kind, value } => {
            // Emails are matched without regard to case, as mail systems do. Comparing lower(value)
            // first lets the lookup read `customer_identifiers_lookup_any_case`.
            sqlx::query_scalar(
                "SELECT i.customer_id FROM customer_identifiers i
                 WHERE i.org_id = $1 AND lower(i.identifier_type) = lower($4) AND lower(i.value) = lower($5)
                   AND (i.value = $5 OR lower($4) = 'email')
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
pub async fn reachable_group(
    db: impl PgExecutor<'_>,
    org_id: i64,
    key: GroupKey<'_>,
    filter: SourceFilter<'_>,
) -> sqlx::Result<Option<UserGroup>> {
    let mut query = QueryBuilder::new(
        "SELECT g.group_id, g.primary_customer_id FROM user_groups g
         JOIN customers c ON c.customer_id = g.primary_customer_id AND c.org_id = g.org_id
         WHERE g.org_id = ",
    );
    query.push_bind(org_id);
    match key {
        GroupKey::Id(id) => query.push(" AND g.group_id = ").push_bind(id),
        GroupKey::ExternalId(external_id) => query.push(" AND g.external_id = ").push_bind(external_id),
        GroupKey::PrimaryUserId(id) => query.push(" AND g.primary_customer_id = ").push_bind(id),
    };
    query.push(" AND ");
    push_reachable_in_source(&mut query, filter);
    query.push(" ORDER BY g.group_id LIMIT 1");
    query.build_query_as().fetch_optional(db).await
}

const PROFILE_COLUMNS: &str = "c.customer_id, c.first_name, c.last_name, c.source, c.account_id, c.org_source_id, c.loyalty_type,
    c.lifetime_purchases, c.created_on, c.last_updated_on, c.created_by, c.last_updated_by, c.custom_fields";

pub async fn profile(db: impl PgExecutor<'_>, org_id: i64, customer_id: i64) -> sqlx::Result<Option<CustomerProfile>> {
    let sql = format!("SELECT {PROFILE_COLUMNS} FROM customers c WHERE c.org_id = $1 AND c.customer_id = $2");
    sqlx::query_as::<_, CustomerProfile>(AssertSqlSafe(sql)).bind(org_id).bind(customer_id).fetch_optional(db).await
}

/// The select list of a customer's profile (`customers c`) and their communication channels (in
/// profile order, as a JSON array `channels`); `channel_types` is the parameter that carries
/// [`COMM_CHANNEL_TYPES`].
pub(super) fn profile_and_channels(channel_types: &str) -> String {
    format!(
        "{PROFILE_COLUMNS},
         (SELECT coalesce(jsonb_agg(jsonb_build_object(
                     'identifier_type', i.identifier_type, 'value', i.value, 'account_id', i.account_id,
                     'is_primary', i.is_primary, 'verified', i.verified, 'subscribed', i.subscribed,
                     'attributes', i.attributes)
                 ORDER BY i.position, i.identifier_type, i.value), '[]')
          FROM customer_identifiers i
          WHERE i.org_id = c.org_id AND i.customer_id = c.customer_id AND lower(i.identifier_type) = ANY({channel_types})) AS channels"
    )
}
