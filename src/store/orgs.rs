//! Orgs (with their Capillary release), the credentials that decide them (tills and OAuth
//! clients), and their connections.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use sqlx::{AssertSqlSafe, FromRow, PgConnection, PgExecutor};
use subtle::ConstantTimeEq;

use crate::model::{Org, Release};

/// An org's columns, its release's with it: `FROM orgs o LEFT JOIN org_releases r` (the release
/// is read with the org, and kept in memory with the credential that decided it).
const ORG_COLUMNS: &str = "o.org_id, o.name, o.time_zone, o.clock, r.reports_achievement_times, r.reports_2026_target_fields";

#[derive(FromRow)]
struct OrgRow {
    org_id: i64,
    name: String,
    time_zone: String,
    clock: Option<DateTime<Utc>>,
    reports_achievement_times: Option<bool>,
    reports_2026_target_fields: Option<bool>,
}

impl From<OrgRow> for Org {
    fn from(row: OrgRow) -> Org {
        // PostgreSQL checked the zone on insert; a zone chrono-tz lacks falls back to UTC.
        let time_zone = row.time_zone.parse().unwrap_or(Tz::UTC);
        let release = match (row.reports_achievement_times, row.reports_2026_target_fields) {
            (Some(reports_achievement_times), Some(reports_2026_target_fields)) => {
                Release { reports_achievement_times, reports_2026_target_fields }
            }
            _ => Release::CURRENT,
        };
        Org { org_id: row.org_id, name: row.name, time_zone, clock: row.clock, release }
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct OAuthClient {
    pub client_key: String,
    pub org_id: i64,
    pub client_secret: String,
    pub ttl_seconds: i32,
}

#[tracing::instrument(skip_all)]
pub async fn find_org(db: impl PgExecutor<'_>, org_id: i64) -> sqlx::Result<Option<Org>> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM orgs o LEFT JOIN org_releases r ON r.org_id = o.org_id WHERE o.org_id = $1");
    let row = sqlx::query_as::<_, OrgRow>(AssertSqlSafe(sql)).bind(org_id).fetch_optional(db).await?;
    Ok(row.map(Org::from))
}

/// The org of an active till whose password has this md5 hex.
#[tracing::instrument(skip_all)]
///
/// The password is compared here, in constant time, not by the query: how long a wrong guess
/// takes says nothing about how much of it was right.
pub async fn org_for_till(db: impl PgExecutor<'_>, till_code: &str, password_md5: &str) -> sqlx::Result<Option<Org>> {
    let sql = format!(
        "SELECT {ORG_COLUMNS}, t.password_md5 FROM tills t JOIN orgs o ON o.org_id = t.org_id
         LEFT JOIN org_releases r ON r.org_id = o.org_id
         WHERE t.code = $1 AND t.is_active"
    );
    let row = sqlx::query_as::<_, TillLogin>(AssertSqlSafe(sql)).bind(till_code).fetch_optional(db).await?;
    let given = password_md5.to_ascii_lowercase();
    let matches = |row: &TillLogin| row.password_md5.as_ref().is_some_and(|stored| bool::from(stored.as_bytes().ct_eq(given.as_bytes())));
    Ok(row.filter(matches).map(|row| Org::from(row.org)))
}

#[derive(FromRow)]
struct TillLogin {
    #[sqlx(flatten)]
    org: OrgRow,
    /// NULL: the till cannot sign in.
    password_md5: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn active_oauth_client(db: impl PgExecutor<'_>, client_key: &str) -> sqlx::Result<Option<OAuthClient>> {
    sqlx::query_as::<_, OAuthClient>(
        "SELECT client_key, org_id, client_secret, ttl_seconds FROM oauth_clients WHERE client_key = $1 AND is_active",
    )
    .bind(client_key)
    .fetch_optional(db)
    .await
}

/// The org flagged default, else the one with the lowest id.
pub async fn default_org(db: impl PgExecutor<'_>) -> sqlx::Result<Option<Org>> {
    let sql = format!(
        "SELECT {ORG_COLUMNS} FROM orgs o LEFT JOIN org_releases r ON r.org_id = o.org_id ORDER BY o.is_default DESC, o.org_id LIMIT 1"
    );
    let row = sqlx::query_as::<_, OrgRow>(AssertSqlSafe(sql)).fetch_optional(db).await?;
    Ok(row.map(Org::from))
}

/// The orgs among `other_org_ids` that `org_id` may read with `DATA-SCOPE: OTHER`: those with a
/// connection from the caller (the parent). Connections are one-way.
pub async fn connected_orgs(db: impl PgExecutor<'_>, org_id: i64, other_org_ids: &[i64]) -> sqlx::Result<Vec<Org>> {
    let sql = format!(
        "SELECT {ORG_COLUMNS} FROM org_connections c JOIN orgs o ON o.org_id = c.connected_org_id
         LEFT JOIN org_releases r ON r.org_id = o.org_id
         WHERE c.org_id = $1 AND c.connected_org_id = ANY($2)"
    );
    let rows = sqlx::query_as::<_, OrgRow>(AssertSqlSafe(sql)).bind(org_id).bind(other_org_ids).fetch_all(db).await?;
    Ok(rows.into_iter().map(Org::from).collect())
}

/// The credentials a universe holds, as a client sends them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub tills: Vec<TillCredential>,
    pub oauth_clients: Vec<ClientCredential>,
}

#[derive(Debug, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct TillCredential {
    pub org_id: i64,
    pub code: String,
    /// What Basic auth sends as the password: its md5 in hex.
    pub password_md5: Option<String>,
}

#[derive(Debug, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ClientCredential {
    pub org_id: i64,
    pub key: String,
    pub secret: String,
}

/// The active tills and OAuth clients, by org.
pub async fn credentials(db: &mut PgConnection) -> sqlx::Result<Credentials> {
    let tills =
        sqlx::query_as("SELECT org_id, code, password_md5 FROM tills WHERE is_active ORDER BY org_id, code").fetch_all(&mut *db).await?;
    let oauth_clients = sqlx::query_as(
        "SELECT org_id, client_key AS key, client_secret AS secret FROM oauth_clients WHERE is_active ORDER BY org_id, client_key",
    )
    .fetch_all(&mut *db)
    .await?;
    Ok(Credentials { tills, oauth_clients })
}
