//! v2.1's connected-org headers: `DATA-SCOPE` (SELF or OTHER) and `DATA-SCOPE-ORG` (the orgs
//! to read), and which orgs they let the caller read.

use axum::http::HeaderMap;
use sqlx::PgConnection;

use super::{codes, request::explode_error};
use crate::{
    http::error::{ApiError, ApiResult},
    model::Org,
    store,
};

const DATA_SCOPE: &str = "DATA-SCOPE";
const DATA_SCOPE_ORG: &str = "DATA-SCOPE-ORG";
/// The data-scopes page spells the header with a trailing S; both are read.
const DATA_SCOPE_ORGS: &str = "DATA-SCOPE-ORGS";
/// "You can list up to two child organisations".
const MAX_SCOPE_ORGS: usize = 2;

/// The v2.1 headers: SELF (the default) reads the caller's org; OTHER the listed orgs, each of
/// which must be the caller's own or connected to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataScope {
    SelfOrg { listed: Vec<i64> },
    Other { listed: Vec<i64> },
}

fn scope_error(detail: String) -> ApiError {
    explode_error(codes::CONNECTED_ORGS_NOT_SET, DATA_SCOPE_ORG, format!(" ({detail})"))
}

impl DataScope {
    pub fn from_headers(headers: &HeaderMap) -> ApiResult<DataScope> {
        let text = |name: &str| -> ApiResult<Option<String>> {
            match headers.get(name) {
                None => Ok(None),
                Some(value) => {
                    let value = value.to_str().map_err(|_| scope_error(format!("{name} must be plain text")))?.trim();
                    Ok((!value.is_empty()).then(|| value.to_owned()))
                }
            }
        };
        let listed = match text(DATA_SCOPE_ORG)?.or(text(DATA_SCOPE_ORGS)?) {
            None => Vec::new(),
            Some(list) => {
                let mut ids = Vec::new();
                for item in list.split(',').map(str::trim) {
                    let id = item.parse::<i64>().map_err(|_| scope_error(format!("{DATA_SCOPE_ORG} must list org ids, got '{list}'")))?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids
            }
        };
        match text(DATA_SCOPE)?.map(|scope| scope.to_ascii_uppercase()).as_deref() {
            None | Some("SELF") => Ok(DataScope::SelfOrg { listed }),
            Some("OTHER") => Ok(DataScope::Other { listed }),
            Some(_) => Err(scope_error(format!("{DATA_SCOPE} must be SELF or OTHER, got '{}'", text(DATA_SCOPE)?.unwrap_or_default()))),
        }
    }

    pub async fn readable_orgs(&self, db: &mut PgConnection, caller: Org) -> ApiResult<Vec<Org>> {
        match self {
            DataScope::SelfOrg { listed } => match listed.iter().find(|id| **id != caller.org_id) {
                Some(other) => Err(scope_error(format!(
                    "{DATA_SCOPE}: SELF reads only org {}; send {DATA_SCOPE}: OTHER to read org {other}",
                    caller.org_id
                ))),
                None => Ok(vec![caller]),
            },
            DataScope::Other { listed } if listed.is_empty() => {
                Err(scope_error(format!("{DATA_SCOPE}: OTHER needs the org ids in {DATA_SCOPE_ORG}")))
            }
            DataScope::Other { listed } if listed.len() > MAX_SCOPE_ORGS => {
                Err(scope_error(format!("{DATA_SCOPE_ORG} lists {} orgs; at most {MAX_SCOPE_ORGS} are allowed", listed.len())))
            }
            DataScope::Other { listed } => {
                let connected = store::orgs::connected_orgs(db, caller.org_id, listed).await?;
                listed
                    .iter()
                    .map(|&org_id| {
                        if org_id == caller.org_id {
                            return Ok(caller.clone());
                        }
                        connected
                            .iter()
                            .find(|org| org.org_id == org_id)
                            .cloned()
                            .ok_or_else(|| scope_error(format!("org {org_id} is not connected to org {}", caller.org_id)))
                    })
                    .collect()
            }
        }
    }
}
