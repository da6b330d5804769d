use super::substitute;
use crate::policy::glob::Token;
use crate::policy::request::Context;

/// Renders the substituted pattern with wildcards as `<*>` and `<?>` so literal and wildcard stars differ.
fn check(text: &str, keys: &[(&str, &[&str])], enabled: bool, expect: Option<&str>) {
    let mut context = Context::new();
    for (key, values) in keys {
        context.insert(key, values.iter().copied());
    }
    let rendered = substitute(text, &context, enabled).map(|pattern| {
        pattern
            .tokens
            .iter()
            .map(|token| match token {
                Token::Char(c) => c.to_string(),
                Token::AnyRun => "<*>".to_owned(),
                Token::AnyOne => "<?>".to_owned(),
            })
            .collect::<String>()
    });
    assert_eq!(rendered.as_deref(), expect, "{text:?}");
}

#[test]
fn variables_are_replaced_by_context_values() {
    let user: &[(&str, &[&str])] = &[("aws:username", &["carlos"])];
    check("arn:aws:s3:::home/${aws:username}/*", user, true, Some("arn:aws:s3:::home/carlos/<*>"));
    check("${AWS:UserName}", user, true, Some("carlos"));
    check("${aws:username}-${aws:username}", user, true, Some("carlos-carlos"));
    check("${aws:PrincipalTag/team}", &[("aws:principaltag/team", &["eks"])], true, Some("eks"));
    check("no variables", user, true, Some("no variables"));
}

#[test]
fn substituted_values_are_literal() {
    check("${aws:username}", &[("aws:username", &["a*b?"])], true, Some("a*b?"));
}

#[test]
fn escapes_stand_for_literal_characters() {
    check("a${*}b${?}c${$}", &[], true, Some("a*b?c$"));
    check("a*${*}", &[], true, Some("a<*>*"));
}

#[test]
fn a_missing_key_fails_unless_a_default_is_given() {
    check("home/${aws:username}", &[], true, None);
    check("home/${aws:username, 'anonymous'}", &[], true, Some("home/anonymous"));
    check("home/${aws:username,'anonymous'}", &[("aws:username", &["bob"])], true, Some("home/bob"));
    check("home/${aws:username, ''}", &[], true, Some("home/"));
    // A multivalued key cannot be substituted.
    check("${aws:TagKeys}", &[("aws:TagKeys", &["a", "b"])], true, None);
}

#[test]
fn version_2008_documents_keep_variables_as_text() {
    check("home/${aws:username}", &[("aws:username", &["bob"])], false, Some("home/${aws:username}"));
    check("a${*}", &[], false, Some("a${<*>}"));
}

#[test]
fn malformed_variables_are_plain_text() {
    check("home/${aws:username", &[("aws:username", &["bob"])], true, Some("home/${aws:username"));
    check("${}", &[], true, Some("${}"));
    check("${aws:username, anonymous}", &[], true, Some("${aws:username, anonymous}"));
    check("${aws:username, 'a'b'}", &[], true, Some("${aws:username, 'a'b'}"));
    check("$${aws:username}", &[("aws:username", &["bob"])], true, Some("$bob"));
}
