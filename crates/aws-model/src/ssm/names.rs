//! Parameter Store's rules for names, selectors, labels, key ids and tags: no IO, each check returns the error
//! SSM answers with.

use super::SsmError;

/// The longest parameter name, path included.
pub const MAX_NAME_LENGTH: usize = 2048;

/// The deepest hierarchy a name may have.
pub const MAX_LEVELS: usize = 15;

/// The prefix of the public parameters AWS publishes, which nobody may write.
pub const PUBLIC_PREFIX: &str = "/aws/";

const PATH_RULES: &str = "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as \
a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers \
and the following 3 symbols .-_";

/// The message of a value that breaks a length constraint of the service model.
pub fn too_long(field: &str, value: &str, max: usize) -> SsmError {
    SsmError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must have \
         length less than or equal to {max}"
    ))
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')
}

/// Checks the form of a name a request reads (length and characters), so that garbage is refused rather than
/// looked up.
pub fn check_read_name(name: &str) -> Result<(), SsmError> {
    if name.is_empty() {
        return Err(SsmError::Validation(
            "1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length \
             greater than or equal to 1"
                .into(),
        ));
    }
    if name.chars().count() > MAX_NAME_LENGTH {
        return Err(too_long("name", name, MAX_NAME_LENGTH));
    }
    if !name.chars().all(allowed) {
        return Err(SsmError::Validation(PATH_RULES.into()));
    }
    if name.contains('/') && !name.starts_with('/') {
        return Err(SsmError::Validation("Parameter name must be a fully qualified name.".into()));
    }
    Ok(())
}

/// The levels of a name: `/a/b/c` has three, `name` one.
pub fn levels(name: &str) -> usize {
    name.trim_start_matches('/').split('/').count()
}

/// Checks a name PutParameter creates or overwrites: [`check_read_name`], then no empty level, at most
/// [`MAX_LEVELS`] levels, and not under the reserved `aws` and `ssm` prefixes.
pub fn check_write_name(name: &str) -> Result<(), SsmError> {
    check_read_name(name)?;
    if name.starts_with(PUBLIC_PREFIX) {
        return Err(SsmError::AccessDenied(format!("No access to reserved parameter name: {name}.")));
    }
    let path = name.starts_with('/');
    if path && name[1..].split('/').any(str::is_empty) {
        return Err(SsmError::Validation(PATH_RULES.into()));
    }
    let first = name.trim_start_matches('/').to_ascii_lowercase();
    if first.starts_with("aws") || first.starts_with("ssm") {
        let message = if path {
            PATH_RULES.to_owned()
        } else {
            "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).".to_owned()
        };
        return Err(SsmError::Validation(message));
    }
    if levels(name) > MAX_LEVELS {
        return Err(SsmError::HierarchyLevelLimitExceeded(
            "A hierarchy can have a maximum of 15 levels. For more information, see \
             https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html"
                .into(),
        ));
    }
    Ok(())
}

/// What follows the `:` of a name a read asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Latest,
    Version(i64),
    Label(String),
}

/// Splits `name:3` or `name:label` into the name and its selector, checking both.
pub fn split_selector(text: &str) -> Result<(&str, Selector), SsmError> {
    let Some((name, selector)) = text.split_once(':') else {
        check_read_name(text)?;
        return Ok((text, Selector::Latest));
    };
    check_read_name(name)?;
    if selector.is_empty() || selector.contains(':') {
        return Err(SsmError::Validation(PATH_RULES.into()));
    }
    if selector.bytes().all(|b| b.is_ascii_digit()) {
        let version = selector.parse().map_err(|_| SsmError::Validation(PATH_RULES.into()))?;
        return Ok((name, Selector::Version(version)));
    }
    if !is_label(selector) {
        return Err(SsmError::Validation(PATH_RULES.into()));
    }
    Ok((name, Selector::Label(selector.to_owned())))
}

/// Whether a label is one LabelParameterVersion accepts: at most 100 letters, digits, `.`, `-` and `_`, not
/// starting with a digit, nor with `aws` or `ssm`.
pub fn is_label(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    !label.is_empty()
        && label.len() <= 100
        && label.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
}

/// Checks a KMS key id of a SecureString: an alias (`alias/...`), a key id, or the ARN of either.
pub fn check_key_id(key_id: &str) -> Result<(), SsmError> {
    let invalid = || SsmError::InvalidKeyId(format!("Invalid keyId {key_id}"));
    let shaped = !key_id.is_empty()
        && key_id.len() <= 256
        && key_id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'));
    if !shaped {
        return Err(invalid());
    }
    let resource = match key_id.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            if parts.len() != 5 || parts[1] != "kms" {
                return Err(invalid());
            }
            parts[4]
        }
        None => key_id,
    };
    let is_uuid = |id: &str| {
        id.len() == 36
            && id
                .char_indices()
                .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
    };
    let valid = match resource.split_once('/') {
        Some(("alias", name)) => !name.is_empty(),
        Some(("key", id)) => is_uuid(id),
        _ => is_uuid(resource),
    };
    if valid { Ok(()) } else { Err(invalid()) }
}

/// Checks one tag: key of 1 to 128 and value of at most 256 letters, digits, spaces and `_.:/=+-@`, the key not
/// in the reserved `aws:` namespace.
pub fn check_tag(key: &str, value: &str) -> Result<(), SsmError> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    let pattern = "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$";
    if key.is_empty() || key.chars().count() > 128 {
        return Err(SsmError::Validation(format!(
            "1 validation error detected: Value '{key}' at 'tags.1.member.key' failed to satisfy constraint: Member \
             must have length between 1 and 128"
        )));
    }
    if value.chars().count() > 256 {
        return Err(too_long("tags.1.member.value", value, 256));
    }
    if !key.chars().all(allowed) || !value.chars().all(allowed) {
        return Err(SsmError::Validation(format!(
            "1 validation error detected: Value '{key}' at 'tags.1.member.key' failed to satisfy constraint: {pattern}"
        )));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(SsmError::Validation(format!("Tag keys beginning with \"aws:\" are reserved: {key}")));
    }
    Ok(())
}
