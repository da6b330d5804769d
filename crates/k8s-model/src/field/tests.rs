//! How field errors print.

use serde_json::{Value, json};

use super::{ErrorKind, FieldError, go_quote};

#[test]
fn messages() {
    assert_eq!(go_quote("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\x01\"");
    let mut error = FieldError::new(ErrorKind::NotSupported, "spec.type", Some(json!("x")), "");
    error.supported = vec!["A".into(), "B".into()];
    assert_eq!(error.to_string(), "spec.type: Unsupported value: \"x\": supported values: \"A\", \"B\"");
    assert_eq!(error.reason(), "FieldValueNotSupported");
    let required = FieldError::new(ErrorKind::Required, "spec", Some(json!("ignored")), "");
    assert_eq!(required.message(), "Required value");
    let number = FieldError::new(ErrorKind::Invalid, "spec.replicas", Some(json!(-1)), "must be positive");
    assert_eq!(number.message(), "Invalid value: -1: must be positive");
    let null = FieldError::new(ErrorKind::Invalid, "x", Some(Value::Null), "d");
    assert_eq!(null.message(), "Invalid value: null: d");
    let omitted = FieldError::new(ErrorKind::TooMany, "x", None, "must have at most 2 items");
    assert_eq!(omitted.message(), "Too many: must have at most 2 items");
}
