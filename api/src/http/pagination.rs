//! Offset pagination for lists: `limit` (default 50, at most 200) and `offset`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;
const MAX_OFFSET: u64 = 10_000_000;

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page: 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<u64>,
    /// Items to skip, default 0.
    #[param(minimum = 0, maximum = 10_000_000, example = 0)]
    pub offset: Option<u64>,
}

impl PageParams {
    /// The checked (limit, offset); out-of-range values are a 422 naming the parameter.
    pub fn resolve(self) -> Result<(u64, u64), ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        let offset = self.offset.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(ApiError::invalid("offset", format!("must be at most {MAX_OFFSET}")));
        }
        Ok((limit, offset))
    }
}

/// One page of a list, with the total count so that clients can page through it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

impl<T: ToSchema> Page<T> {
    /// The page `params` asks for out of a whole list read at once: for lists bounded by
    /// what one campaign holds (its units, problems, notices…), which are read whole anyway
    /// to be ordered and checked.
    pub fn of_all(all: Vec<T>, params: PageParams) -> Result<Self, ApiError> {
        let (limit, offset) = params.resolve()?;
        let total = all.len() as u64;
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(Self { items: all.into_iter().skip(skip).take(take).collect(), total, limit, offset })
    }
}
