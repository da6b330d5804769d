//! EC2's paged describes: `MaxResults` within the bounds each operation allows and a `NextToken` that is the
//! base64 of the last key of the previous page, so a page boundary survives records created or deleted between
//! calls.

use aws_protocol::AwsError;

use super::invalid;

/// EC2's pages: `MaxResults` within `bounds`; the token is the base64 of the last key of the previous page.
pub(super) fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    max: Option<i64>,
    token: Option<&str>,
    bounds: (i64, i64),
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let limit = match max {
        None => usize::MAX,
        Some(n) if (bounds.0..=bounds.1).contains(&n) => n as usize,
        Some(n) => {
            return Err(invalid(format!(
                "Value ( {n} ) for parameter maxResults is invalid. Parameter must be between {} and {}.",
                bounds.0, bounds.1
            )));
        }
    };
    let after = match token {
        None => None,
        Some(text) => Some(
            aws_model::ids::unbase64(text)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| invalid(format!("Invalid value '{text}' for nextToken")))?,
        ),
    };
    let mut rest: Vec<T> = items.into_iter().filter(|item| after.as_ref().is_none_or(|a| key(item) > *a)).collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    let next = if more { rest.last().map(|last| aws_model::ids::base64(key(last).as_bytes())) } else { None };
    Ok((rest, next))
}
