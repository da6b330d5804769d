//! IAM's input rules: names, paths, tags, documents and page sizes, each refused with IAM's own message.

use super::{IamError, Tag};

/// `[\w+=,.@-]+`: the characters IAM allows in role, user, policy and instance profile names.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// A `1 validation error detected` message about `member`, as IAM's validation layer words it.
pub(crate) fn constraint(value: &str, member: &str, constraint: &str) -> IamError {
    IamError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    ))
}

/// A name of at most `max` characters from `[\w+=,.@-]`; `member` is the wire member in lower camel case.
pub(crate) fn name(value: &str, member: &str, max: usize) -> Result<(), IamError> {
    if value.is_empty() {
        return Err(constraint(value, member, "Member must have length greater than or equal to 1"));
    }
    if value.chars().count() > max {
        return Err(constraint(value, member, &format!("Member must have length less than or equal to {max}")));
    }
    if !value.chars().all(is_name_char) {
        return Err(constraint(value, member, "Member must satisfy regular expression pattern: [\\w+=,.@-]+"));
    }
    Ok(())
}

/// A path: `/`, or `/` + printable ASCII + `/`, at most 512 characters.
pub(crate) fn path(value: &str) -> Result<(), IamError> {
    let printable = value.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    let valid = value.len() <= 512 && value.starts_with('/') && value.ends_with('/') && printable;
    if valid {
        Ok(())
    } else {
        Err(IamError::Validation(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric \
             characters and/or / characters."
                .into(),
        ))
    }
}

/// A path prefix: `/` followed by printable ASCII, at most 512 characters.
pub(crate) fn path_prefix(value: &str) -> Result<(), IamError> {
    let valid =
        value.len() <= 512 && value.starts_with('/') && value.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c));
    if valid {
        Ok(())
    } else {
        Err(IamError::Validation(
            "The specified value for pathPrefix is invalid. It must begin with / and contain only printable ASCII \
             characters."
                .into(),
        ))
    }
}

/// A policy document's characters and length before it is parsed: tab, line ends and U+0020..U+00FF, at most
/// 131,072 characters.
pub(crate) fn document(value: &str, member: &str) -> Result<(), IamError> {
    let shown = || value.chars().take(64).collect::<String>();
    if value.is_empty() {
        return Err(constraint(value, member, "Member must have length greater than or equal to 1"));
    }
    if value.chars().count() > 131_072 {
        return Err(constraint(&shown(), member, "Member must have length less than or equal to 131072"));
    }
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}');
    if !value.chars().all(allowed) {
        return Err(constraint(
            &shown(),
            member,
            "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ));
    }
    Ok(())
}

/// A description of at most 1,000 characters.
pub(crate) fn description(value: &str) -> Result<(), IamError> {
    if value.chars().count() > 1000 {
        return Err(constraint(value, "description", "Member must have length less than or equal to 1000"));
    }
    if value.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(constraint(
            value,
            "description",
            "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
        ));
    }
    Ok(())
}

/// A role's maximum session duration: one to twelve hours.
pub(crate) fn max_session_duration(value: i64) -> Result<(), IamError> {
    let text = value.to_string();
    if value < 3600 {
        return Err(constraint(&text, "maxSessionDuration", "Member must have value greater than or equal to 3600"));
    }
    if value > 43_200 {
        return Err(constraint(&text, "maxSessionDuration", "Member must have value less than or equal to 43200"));
    }
    Ok(())
}

/// The most tags one IAM entity carries.
pub const MAX_TAGS: usize = 50;

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// Tags: keys of 1 to 128 and values of 0 to 256 characters from IAM's tag alphabet, no key twice.
pub(crate) fn tags(tags: &[Tag]) -> Result<(), IamError> {
    if tags.len() > MAX_TAGS {
        return Err(constraint(
            &format!("{} tags", tags.len()),
            "tags",
            "Member must have length less than or equal to 50",
        ));
    }
    for (index, tag) in tags.iter().enumerate() {
        let key_member = format!("tags.{}.member.key", index + 1);
        let value_member = format!("tags.{}.member.value", index + 1);
        if tag.key.is_empty() || tag.key.chars().count() > 128 {
            return Err(constraint(&tag.key, &key_member, "Member must have length less than or equal to 128"));
        }
        if !tag.key.chars().all(is_tag_char) {
            return Err(constraint(
                &tag.key,
                &key_member,
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
            ));
        }
        if tag.value.chars().count() > 256 {
            return Err(constraint(&tag.value, &value_member, "Member must have length less than or equal to 256"));
        }
        if !tag.value.chars().all(is_tag_char) {
            return Err(constraint(
                &tag.value,
                &value_member,
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
            ));
        }
        if tags[..index].iter().any(|other| other.key.eq_ignore_ascii_case(&tag.key)) {
            return Err(IamError::InvalidInput(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into(),
            ));
        }
    }
    Ok(())
}

/// `MaxItems`: 1 to 1,000, 100 when absent.
pub(crate) fn max_items(value: Option<i64>) -> Result<usize, IamError> {
    match value {
        None => Ok(100),
        Some(n) if n < 1 => {
            Err(constraint(&n.to_string(), "maxItems", "Member must have value greater than or equal to 1"))
        }
        Some(n) if n > 1000 => {
            Err(constraint(&n.to_string(), "maxItems", "Member must have value less than or equal to 1000"))
        }
        Some(n) => Ok(n as usize),
    }
}
