//! The two pagination schemes, shared by every endpoint: DAS `page`/`count` and v2 `offset`/`limit`.

use crate::http::{
    error::{ApiError, ApiResult},
    extract::Params,
};

/// A window of rows, as SQL `LIMIT`/`OFFSET` take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub offset: i64,
    pub limit: i64,
}

/// `page` counts from 1; `count` defaults to 10 and is at most 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCount {
    pub page: i64,
    pub count: i64,
}

impl PageCount {
    pub const DEFAULT_COUNT: i64 = 10;
    pub const MAX_COUNT: i64 = 100;

    pub fn from_params(params: &Params) -> ApiResult<PageCount> {
        let page = params.optional::<i64>("page")?.unwrap_or(1);
        if page < 1 {
            return Err(ApiError::bad_parameter("page", format!("Parameter 'page' must be 1 or more, got {page}")));
        }
        let count = params.optional::<i64>("count")?.unwrap_or(Self::DEFAULT_COUNT);
        if !(1..=Self::MAX_COUNT).contains(&count) {
            return Err(ApiError::bad_parameter(
                "count",
                format!("Parameter 'count' must be between 1 and {}, got {count}", Self::MAX_COUNT),
            ));
        }
        Ok(PageCount { page, count })
    }

    pub fn window(self) -> Window {
        Window { offset: (self.page - 1).saturating_mul(self.count), limit: self.count }
    }
}

/// `offset` from 0; `limit` from 1 to the endpoint's maximum, with the endpoint's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetLimit {
    pub offset: i64,
    pub limit: i64,
}

impl OffsetLimit {
    pub fn from_params(params: &Params, default_limit: i64, max_limit: i64) -> ApiResult<OffsetLimit> {
        let offset = params.optional::<i64>("offset")?.unwrap_or(0);
        if offset < 0 {
            return Err(ApiError::bad_parameter("offset", format!("Parameter 'offset' must be 0 or more, got {offset}")));
        }
        let limit = params.optional::<i64>("limit")?.unwrap_or(default_limit);
        if !(1..=max_limit).contains(&limit) {
            return Err(ApiError::bad_parameter("limit", format!("Parameter 'limit' must be between 1 and {max_limit}, got {limit}")));
        }
        Ok(OffsetLimit { offset, limit })
    }

    pub fn window(self) -> Window {
        Window { offset: self.offset, limit: self.limit }
    }
}
