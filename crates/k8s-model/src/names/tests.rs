//! The name and format validators against upstream's messages.

use super::{
    dns1035_label, dns1123_label, dns1123_subdomain, label_value, path_segment_name, port_name, qualified_name,
};
use crate::tests::{LABEL_REGEX, SUBDOMAIN_REGEX};

fn check_name(validator: fn(&str) -> Vec<String>, input: &str, expect: &[&str]) {
    assert_eq!(validator(input), expect, "input {input:?}");
}

#[test]
fn names() {
    check_name(dns1123_label, "my-name", &[]);
    check_name(dns1123_label, "a.b", &["must not contain dots"]);
    check_name(dns1123_label, "My_Name", &[LABEL_REGEX]);
    check_name(dns1123_label, &"a".repeat(64), &["must be no more than 63 characters"]);
    check_name(dns1123_subdomain, "example.com", &[]);
    check_name(dns1123_subdomain, "-bad.", &[SUBDOMAIN_REGEX]);
    check_name(dns1123_subdomain, "", &[SUBDOMAIN_REGEX]);
    check_name(
        dns1035_label,
        "1abc",
        &[
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        ],
    );
    check_name(qualified_name, "example.com/MyName", &[]);
    check_name(qualified_name, "/x", &["prefix part must be non-empty"]);
    check_name(
        qualified_name,
        "a/b/c",
        &[
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
        ],
    );
    check_name(
        qualified_name,
        "Bad_/x",
        &[
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ],
    );
    check_name(
        qualified_name,
        "x/",
        &[
            "name part must be non-empty",
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ],
    );
    check_name(label_value, "", &[]);
    check_name(label_value, "v1.2_x", &[]);
    check_name(
        label_value,
        "-x",
        &[
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ],
    );
    check_name(|name| path_segment_name(name, false), "..", &["may not be '..'"]);
    check_name(|name| path_segment_name(name, false), "a/b%", &["may not contain '/'", "may not contain '%'"]);
    check_name(|name| path_segment_name(name, false), "system:admin", &[]);
    check_name(port_name, "http", &[]);
    check_name(
        port_name,
        "-8080--",
        &[
            "must contain at least one letter (a-z)",
            "must not contain consecutive hyphens",
            "must not begin or end with a hyphen",
        ],
    );
    check_name(port_name, "much-too-long-name", &["must be no more than 15 characters"]);
}
