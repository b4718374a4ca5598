//! getLedgerExplodeInfo's parameters and headers as the OpenAPI document describes them, built
//! from the constants `request.rs` and `scope.rs` check against.

use utoipa::{
    IntoParams,
    openapi::path::{Parameter, ParameterIn},
};

use super::request::{DEFAULT_LIMIT, EVENT_NAMES, MAX_EVENTS, SOURCES};
use crate::docs::params::{flag, integer, one_of, param, string};

/// The query of both versions.
pub struct ExplodeQuery;

impl IntoParams for ExplodeQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let query = || ParameterIn::Query;
        let names = ["id", "mobile", "email", "externalId", "primaryUserId"];
        let mut params = vec![
            param(
                "identifierName",
                query(),
                true,
                one_of(names),
                "How the customer (or group) is identified; case-insensitive. `primaryUserId` only with `type=USERGROUP2`",
            ),
            param(
                "identifierValue",
                query(),
                true,
                string(),
                "The identifier's value (a numeric id, a mobile number with country code, an email, an external id)",
            ),
            param(
                "source",
                query(),
                true,
                one_of(SOURCES.iter().copied()),
                "Where the identifier is registered; `ALL` matches every source",
            ),
            param(
                "type",
                query(),
                false,
                one_of(["CUSTOMER", "USERGROUP2"]).default(Some("CUSTOMER".into())),
                "Whose ledger: a customer's or a user group's",
            ),
            param("isPrimaryUser", query(), false, flag(), "`USERGROUP2` only: the group's primary member's events alone"),
            param("accountId", query(), false, string(), "The account of the identifier's source"),
            param(
                "eventIds",
                query(),
                false,
                string(),
                &format!("Event log ids, comma-separated (at most {MAX_EVENTS}); not with `eventName`/`eventReferenceIds`"),
            ),
            param(
                "eventName",
                query(),
                false,
                one_of(EVENT_NAMES.iter().map(|(name, _, _)| *name)),
                "The events' name, with `eventReferenceIds`",
            ),
            param(
                "eventReferenceIds",
                query(),
                false,
                string(),
                &format!("The events' reference ids, comma-separated (at most {MAX_EVENTS}), with `eventName`"),
            ),
        ];
        for (name, what) in [
            ("getBillDetails", "the bill of bill events (`billDetails`)"),
            ("getPointsEarnedBreakup", "the points earned per line item"),
            ("getCustomFields", "the events' custom fields"),
            ("getExtendedFields", "the events' extended fields"),
            ("getPaymentModes", "the bill's payment modes"),
            ("getPaymentMode", "the bill's payment modes (the v2.1 reference's spelling)"),
            ("getMaxConversionDetails", "the maximum points conversion"),
            ("includeLastOneYearData", "only events of the last year"),
            ("includeAlternateCurrencies", "every alternate currency's points"),
        ] {
            params.push(param(name, query(), false, flag(), &format!("`true`: {what}")));
        }
        params.push(param(
            "alternateCurrencyNames",
            query(),
            false,
            string(),
            "Alternate currencies by name, comma-separated (9018 warning for an unknown one)",
        ));
        params.push(param("offset", query(), false, integer().minimum(Some(0)).default(Some(0.into())), "Events to skip"));
        params.push(param(
            "limit",
            query(),
            false,
            integer().minimum(Some(1)).maximum(Some(MAX_EVENTS as f64)).default(Some(DEFAULT_LIMIT.into())),
            "Events per page (11006 above the maximum)",
        ));
        params
    }
}

/// The connected-orgs headers of v2.1.
pub struct DataScopeHeaders;

impl IntoParams for DataScopeHeaders {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            param(
                "DATA-SCOPE",
                ParameterIn::Header,
                false,
                one_of(["SELF", "OTHER"]).default(Some("SELF".into())),
                "Whose data: the caller's org, or the connected orgs in `DATA-SCOPE-ORG`",
            ),
            param(
                "DATA-SCOPE-ORG",
                ParameterIn::Header,
                false,
                string(),
                "With `OTHER`: the connected org ids to read, comma-separated (at most two)",
            ),
        ]
    }
}
