//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, any context key, the default-value form
//! `${aws:username, 'anonymous'}` and the escapes `${*}`, `${?}` and `${$}` that stand for a literal `*`,
//! `?` and `$`. Only version 2012-10-17 documents substitute them; in older documents the text is literal.
//!
//! Substitution produces a [`Pattern`]: wildcards written in the policy stay wildcards, while substituted
//! values and escapes are literal characters, so a user named `a*` never matches more than `a*`.

use super::glob::{Pattern, Token};
use super::request::Context;

#[cfg(test)]
mod tests;

/// The pattern that `text` stands for in this request, or `None` when it names a context key the request
/// lacks and gives no default: then whatever holds the text does not match.
pub(crate) fn substitute(text: &str, context: &Context, enabled: bool) -> Option<Pattern> {
    if !enabled || !text.contains("${") {
        return Some(Pattern::wildcard(text));
    }
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        tokens.extend(Pattern::wildcard(&rest[..start]).tokens);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // An unclosed `${` is plain text.
            tokens.extend(Pattern::wildcard(&rest[start..]).tokens);
            return Some(Pattern { tokens });
        };
        match resolve(&after[..end], context) {
            Resolved::Text(value) => tokens.extend(value.chars().map(Token::Char)),
            Resolved::Missing => return None,
            Resolved::NotAVariable => tokens.extend(Pattern::wildcard(&rest[start..start + 2 + end + 1]).tokens),
        }
        rest = &after[end + 1..];
    }
    tokens.extend(Pattern::wildcard(rest).tokens);
    Some(Pattern { tokens })
}

enum Resolved {
    Text(String),
    Missing,
    NotAVariable,
}

/// What the inside of one `${...}` stands for.
fn resolve(inner: &str, context: &Context) -> Resolved {
    match inner {
        "*" | "?" | "$" => return Resolved::Text(inner.to_owned()),
        _ => {}
    }
    let (name, default) = match inner.split_once(',') {
        None => (inner.trim(), None),
        Some((name, default)) => {
            let default = default.trim();
            match default.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')) {
                Some(default) if !default.contains('\'') => (name.trim(), Some(default)),
                _ => return Resolved::NotAVariable,
            }
        }
    };
    if name.is_empty() || name.contains(['$', '{']) {
        return Resolved::NotAVariable;
    }
    // A multivalued key cannot stand in a policy variable; it counts as missing.
    match context.get(name) {
        Some([value]) => Resolved::Text(value.clone()),
        _ => match default {
            Some(default) => Resolved::Text(default.to_owned()),
            None => Resolved::Missing,
        },
    }
}
