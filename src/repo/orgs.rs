//! Orgs and the credentials that decide them.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::{FromRow, PgPool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub org_id: i64,
    pub name: String,
    pub time_zone: Tz,
    /// The instant this org's clock is frozen at, if it has one of its own (see `Clock::now_for`).
    pub clock: Option<DateTime<Utc>>,
}

#[derive(FromRow)]
struct OrgRow {
    org_id: i64,
    name: String,
    time_zone: String,
    clock: Option<DateTime<Utc>>,
}

impl From<OrgRow> for Org {
    fn from(row: OrgRow) -> Org {
        // PostgreSQL checked the zone on insert; a zone chrono-tz lacks falls back to UTC.
        let time_zone = row.time_zone.parse().unwrap_or(Tz::UTC);
        Org { org_id: row.org_id, name: row.name, time_zone, clock: row.clock }
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct OAuthClient {
    pub client_key: String,
    pub org_id: i64,
    pub client_secret: String,
    pub ttl_seconds: i32,
}

pub async fn find_org(db: &PgPool, org_id: i64) -> sqlx::Result<Option<Org>> {
    let row = sqlx::query_as::<_, OrgRow>("SELECT org_id, name, time_zone, clock FROM orgs WHERE org_id = $1")
        .bind(org_id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Org::from))
}

/// The org of an active till whose password has this md5 hex.
pub async fn org_for_till(db: &PgPool, till_code: &str, password_md5: &str) -> sqlx::Result<Option<Org>> {
    let row = sqlx::query_as::<_, OrgRow>(
        "SELECT o.org_id, o.name, o.time_zone, o.clock FROM tills t JOIN orgs o USING (org_id)
         WHERE t.code = $1 AND t.password_md5 = lower($2) AND t.is_active",
    )
    .bind(till_code)
    .bind(password_md5)
    .fetch_optional(db)
    .await?;
    Ok(row.map(Org::from))
}

pub async fn active_oauth_client(db: &PgPool, client_key: &str) -> sqlx::Result<Option<OAuthClient>> {
    sqlx::query_as::<_, OAuthClient>(
        "SELECT client_key, org_id, client_secret, ttl_seconds FROM oauth_clients WHERE client_key = $1 AND is_active",
    )
    .bind(client_key)
    .fetch_optional(db)
    .await
}

/// The org flagged default, else the one with the lowest id.
pub async fn default_org(db: &PgPool) -> sqlx::Result<Option<Org>> {
    let row = sqlx::query_as::<_, OrgRow>("SELECT org_id, name, time_zone, clock FROM orgs ORDER BY is_default DESC, org_id LIMIT 1")
        .fetch_optional(db)
        .await?;
    Ok(row.map(Org::from))
}
