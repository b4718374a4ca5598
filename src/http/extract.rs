//! Request extractors whose failures are [`ApiError`]s naming the parameter at fault, so they come
//! back in the family's envelope instead of axum's plain-text rejections.

use std::{collections::HashMap, str::FromStr};

use axum::{
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::request::Parts,
};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;

use crate::{
    http::error::{ApiError, ApiResult, ErrorCode, codes},
    model::TextEnum,
};

/// The query string, read parameter by parameter with typed, named errors.
///
/// A parameter given more than once keeps its last value; an empty value counts as absent.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: HashMap<String, String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Params> {
        let params = Params::parse(parts.uri.query().unwrap_or(""));
        // No text the database stores may hold a NUL; say so here, naming the parameter.
        if let Some(name) = params.values.iter().find(|(_, value)| value.contains('\0')).map(|(name, _)| name) {
            return Err(ApiError::bad_parameter(name, format!("Parameter '{name}' must not contain a NUL character")));
        }
        Ok(params)
    }
}

impl Params {
    pub fn parse(query: &str) -> Params {
        let values = form_urlencoded::parse(query.as_bytes())
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        Params { values }
    }

    /// The raw text of a parameter, trimmed.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|value| value.trim())
    }

    pub fn required_text(&self, name: &str) -> ApiResult<&str> {
        self.text(name).ok_or_else(|| ApiError::missing_parameter(name))
    }

    /// An optional parameter parsed as `T` (numbers, and any type with a [`Param`] impl).
    pub fn optional<T: Param>(&self, name: &str) -> ApiResult<Option<T>> {
        self.text(name).map(|text| T::parse_param(name, text)).transpose()
    }

    pub fn required<T: Param>(&self, name: &str) -> ApiResult<T> {
        T::parse_param(name, self.required_text(name)?)
    }

    /// A comma-separated list; empty items are an error, since they are always a client's typo.
    pub fn list<T: Param>(&self, name: &str) -> ApiResult<Option<Vec<T>>> {
        let Some(text) = self.text(name) else { return Ok(None) };
        text.split(',')
            .map(|item| {
                let item = item.trim();
                if item.is_empty() {
                    Err(ApiError::bad_parameter(name, format!("Parameter '{name}' has an empty item in '{text}'")))
                } else {
                    T::parse_param(name, item)
                }
            })
            .collect::<ApiResult<Vec<T>>>()
            .map(Some)
    }

    pub fn required_list<T: Param>(&self, name: &str) -> ApiResult<Vec<T>> {
        self.list(name)?.ok_or_else(|| ApiError::missing_parameter(name))
    }

    /// A boolean flag that defaults to false when absent.
    pub fn flag(&self, name: &str) -> ApiResult<bool> {
        Ok(self.optional::<bool>(name)?.unwrap_or(false))
    }
}

/// A value that can be read from one query parameter.
pub trait Param: Sized {
    fn parse_param(name: &str, text: &str) -> ApiResult<Self>;
}

macro_rules! numeric_param {
    ($($ty:ty => $what:literal),* $(,)?) => {$(
        impl Param for $ty {
            fn parse_param(name: &str, text: &str) -> ApiResult<Self> {
                <$ty>::from_str(text).map_err(|_| {
                    ApiError::bad_parameter(name, format!("Parameter '{name}' must be {}, got '{text}'", $what))
                })
            }
        }
    )*};
}
numeric_param!(i32 => "a whole number", i64 => "a whole number", u32 => "a non-negative whole number", u64 => "a non-negative whole number", f64 => "a number");

impl Param for String {
    fn parse_param(_name: &str, text: &str) -> ApiResult<Self> {
        Ok(text.to_owned())
    }
}

/// `true`/`false` in any case, or `1`/`0`.
impl Param for bool {
    fn parse_param(name: &str, text: &str) -> ApiResult<Self> {
        match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(ApiError::bad_parameter(name, format!("Parameter '{name}' must be true, false, 1 or 0, got '{text}'"))),
        }
    }
}

/// A calendar day, `YYYY-MM-DD`.
impl Param for NaiveDate {
    fn parse_param(name: &str, text: &str) -> ApiResult<Self> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_parameter(name, format!("Parameter '{name}' must be a date in the format YYYY-MM-DD, got '{text}'")))
    }
}

/// A domain value from its spelling, in any case; an unknown spelling is a bad parameter whose
/// message lists the allowed ones.
impl<T: TextEnum> Param for T {
    fn parse_param(name: &str, text: &str) -> ApiResult<Self> {
        T::parse(text)
            .ok_or_else(|| ApiError::bad_parameter(name, format!("Parameter '{name}' must be one of {}, got '{text}'", T::spellings())))
    }
}

/// A path segment parsed as `T`, with a named error.
pub fn path_param<T: Param>(name: &str, text: &str) -> ApiResult<T> {
    T::parse_param(name, text)
}

/// A JSON request body whose rejections are [`ApiError`]s.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> ApiResult<ApiJson<T>> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::of(codes::UNSUPPORTED_MEDIA_TYPE)),
            Err(rejection) => {
                let code = ErrorCode::for_status(rejection.status());
                let message = if code == codes::BAD_PARAMETER {
                    format!("Invalid JSON body: {}", rejection.body_text())
                } else {
                    rejection.body_text()
                };
                Err(ApiError::new(code, message))
            }
        }
    }
}
