//! Alternate currencies (non-points rewards an org runs beside its points).

use sqlx::{FromRow, PgExecutor};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AlternateCurrency {
    pub alternate_currency_id: i64,
    pub name: String,
}

/// How a requested name matches a currency's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch {
    /// Letter for letter (the DAS completion filter).
    Exact,
    /// In any case (getLedgerExplodeInfo's `alternateCurrencyNames`).
    AnyCase,
}

impl NameMatch {
    pub fn matches(self, requested: &str, name: &str) -> bool {
        match self {
            NameMatch::Exact => requested == name,
            NameMatch::AnyCase => requested.eq_ignore_ascii_case(name),
        }
    }
}

/// The orgs' alternate currencies that one of `names` names; names that match none are left out.
pub async fn named(db: impl PgExecutor<'_>, org_ids: &[i64], names: &[String], rule: NameMatch) -> sqlx::Result<Vec<AlternateCurrency>> {
    let any_case = rule == NameMatch::AnyCase;
    let names: Vec<String> = if any_case { names.iter().map(|name| name.to_lowercase()).collect() } else { names.to_vec() };
    sqlx::query_as::<_, AlternateCurrency>(
        "SELECT alternate_currency_id, name FROM alternate_currencies
         WHERE org_id = ANY($1) AND (CASE WHEN $3 THEN lower(name) ELSE name END) = ANY($2)
         ORDER BY alternate_currency_id",
    )
    .bind(org_ids)
    .bind(&names)
    .bind(any_case)
    .fetch_all(db)
    .await
}

/// Which requested names no currency of `known` answers to.
pub fn unknown_names<'n>(names: &'n [String], known: &[AlternateCurrency], rule: NameMatch) -> Vec<&'n str> {
    names.iter().filter(|name| !known.iter().any(|currency| rule.matches(name, &currency.name))).map(String::as_str).collect()
}
