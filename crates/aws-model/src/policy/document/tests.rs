use super::{ConditionOperator, OperatorKind, Policy, PolicyKind, PrincipalType, SetQualifier, Version, policy_size};

/// Parses `json` as a `kind` document and compares the outcome with `expect`: `Ok(())` or IAM's message.
fn check(json: &str, kind: PolicyKind, expect: Result<(), &str>) {
    let outcome = Policy::parse(json, kind);
    assert_eq!(outcome.as_ref().map(|_| ()).map_err(|error| error.message()), expect, "{json}");
}

const IDENTITY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;

fn statement(body: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#)
}

#[test]
fn well_formed_documents_parse() {
    use PolicyKind::*;
    check(IDENTITY, Managed, Ok(()));
    check(IDENTITY, Inline, Ok(()));
    check(TRUST, Trust, Ok(()));
    check(
        r#"{"Statement":{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:iam::*:role/x"}}"#,
        Inline,
        Ok(()),
    );
    check(
        r#"{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"A1","Effect":"Allow","Action":"s3:Get*","Resource":["arn:aws:s3:::b/*"]}]}"#,
        Inline,
        Ok(()),
    );
    check(
        &statement(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#),
        Resource,
        Ok(()),
    );
    check(
        &statement(
            r#"{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/a","arn:aws:sts::123456789012:assumed-role/r/s"]},"Action":"sts:AssumeRole"}"#,
        ),
        Trust,
        Ok(()),
    );
    check(
        &statement(
            r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:default:app"}}}"#,
        ),
        Trust,
        Ok(()),
    );
    check(
        &statement(
            r#"{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"}"#,
        ),
        Trust,
        Ok(()),
    );
    check(
        &statement(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":[10, 2.5]},"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*"]},"Null":{"aws:TokenIssueTime":"true"},"StringEquals":{}}}"#,
        ),
        Inline,
        Ok(()),
    );
    check(
        &statement(
            r#"{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        ),
        Inline,
        Ok(()),
    );
    check(
        &statement(r#"{"Sid":"with spaces","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#),
        Resource,
        Ok(()),
    );
}

#[test]
fn parsed_documents_keep_what_evaluation_needs() {
    let policy = Policy::parse(
        &statement(r#"{"Sid":"S","Effect":"Allow","Principal":{"AWS":"123456789012","Service":["eks.amazonaws.com"]},"Action":"sts:AssumeRole","Condition":{"ForAllValues:StringEqualsIfExists":{"k:a":[true, 3]}}}"#),
        PolicyKind::Trust,
    )
    .expect("valid");
    assert_eq!(policy.version, Some(Version::Version2012));
    assert!(policy.variables_enabled());
    let statement = &policy.statements[0];
    assert_eq!(statement.sid.as_deref(), Some("S"));
    let principal = statement.principal.as_ref().expect("principal");
    assert_eq!(
        principal.principals,
        vec![
            (PrincipalType::Aws, "arn:aws:iam::123456789012:root".to_owned()),
            (PrincipalType::Service, "eks.amazonaws.com".to_owned())
        ]
    );
    assert_eq!(statement.conditions[0].values, vec!["true".to_owned(), "3".to_owned()]);
    assert_eq!(
        statement.conditions[0].operator,
        ConditionOperator {
            kind: OperatorKind::StringEquals,
            qualifier: Some(SetQualifier::ForAllValues),
            if_exists: true
        }
    );
    let old = Policy::parse(r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, PolicyKind::Inline);
    assert!(!old.expect("valid").variables_enabled());
}

#[test]
fn garbage_is_refused_with_iams_messages() {
    use PolicyKind::*;
    let invalid_json = Err("This policy contains invalid Json");
    let syntax = Err("Syntax errors in policy.");
    check("", Inline, invalid_json);
    check("not json", Inline, invalid_json);
    check(r#"{"Version":"2012-10-17","Statement":[}"#, Inline, invalid_json);
    check("\u{0}\u{1}\u{ff}", Inline, invalid_json);
    check("[]", Inline, syntax);
    check("42", Inline, syntax);
    check("null", Inline, syntax);
    check(r#""Statement""#, Inline, syntax);
    check(r#"{"Version":"2012-10-17"}"#, Inline, Err("Missing required field Statement"));
    check(r#"{"Version":"2012-10-17","Statement":[]}"#, Inline, Err("Could not parse the policy: Statement is empty!"));
    check(r#"{"Version":"2012-10-17","Statement":"x"}"#, Inline, syntax);
    check(r#"{"Version":"2012-10-17","Statement":["x"]}"#, Inline, syntax);
    check(r#"{"Version":"2012-10-17","Statement":[[]]}"#, Inline, syntax);
    check(r#"{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, Inline, syntax);
    check(r#"{"Version":20121017,"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, Inline, syntax);
    check(r#"{"Id":1,"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, Inline, syntax);
    check(
        r#"{"Comment":"x","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        Inline,
        Err("Unknown field Comment"),
    );
    check(r#"{"statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, Inline, Err("Unknown field statement"));
    check(
        &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Extra":1}"#),
        Inline,
        Err("Unknown field Extra"),
    );
    check(&statement(r#"{"Action":"s3:*","Resource":"*"}"#), Inline, Err("Missing required field Effect"));
    check(
        &statement(r#"{"Effect":"allow","Action":"s3:*","Resource":"*"}"#),
        Inline,
        Err("The policy failed legacy parsing"),
    );
    check(&statement(r#"{"Effect":"Maybe","Action":"s3:*","Resource":"*"}"#), Inline, syntax);
    check(&statement(r#"{"Effect":true,"Action":"s3:*","Resource":"*"}"#), Inline, syntax);
    check(&statement(r#"{"Sid":7,"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), Inline, syntax);
    check(&statement(r#"{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}"#), Inline, syntax);
    check(&statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}"#), Inline, syntax);
    check(&statement(r#"{"Effect":"Allow","Action":5,"Resource":"*"}"#), Inline, syntax);
    check(&statement(r#"{"Effect":"Allow","Action":["s3:*",5],"Resource":"*"}"#), Inline, syntax);
    check(&statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":{"a":1}}"#), Inline, syntax);
    check(&statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":"x"}"#), Inline, syntax);
    check(
        &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":"x"}}"#),
        Inline,
        syntax,
    );
    check(
        &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"a:b":null}}}"#),
        Inline,
        syntax,
    );
    check(
        &statement(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"a:b":[{"x":1}]}}}"#,
        ),
        Inline,
        syntax,
    );
    check(
        &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"a:b":"c"}}}"#),
        Inline,
        syntax,
    );
    check(
        &statement(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"a:b":"c"}}}"#,
        ),
        Inline,
        syntax,
    );
    check(
        &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"a:b":"true"}}}"#),
        Inline,
        syntax,
    );
    check(
        &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"nokey":"c"}}}"#),
        Inline,
        Err("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    );
}

#[test]
fn the_kind_of_document_decides_principal_and_resource_rules() {
    use PolicyKind::*;
    check(
        &statement(r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#),
        Inline,
        Err("Policy document should not specify a principal."),
    );
    check(
        &statement(r#"{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}"#),
        Managed,
        Err("Policy document should not specify a principal."),
    );
    check(
        &statement(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#),
        Trust,
        Err("Missing required field Principal"),
    );
    check(
        &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
        Resource,
        Err("Missing required field Principal"),
    );
    check(
        &statement(r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}"#),
        Trust,
        Err("Has prohibited field Resource"),
    );
    check(
        &statement(r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","NotResource":"*"}"#),
        Trust,
        Err("Has prohibited field NotResource"),
    );
    check(
        &statement(r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*"}"#),
        Trust,
        Err("AssumeRole policy may only specify STS AssumeRole actions."),
    );
    check(
        &statement(r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["sts:AssumeRole","s3:GetObject"]}"#),
        Trust,
        Err("AssumeRole policy may only specify STS AssumeRole actions."),
    );
    check(
        &statement(r#"{"Effect":"Allow","NotPrincipal":{"AWS":"*"},"Action":"sts:AssumeRole"}"#),
        Trust,
        Err("Allow with NotPrincipal is not allowed."),
    );
    check(
        &statement(r#"{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}"#),
        Trust,
        Err("Missing required field Principal cannot be empty!"),
    );
    check(&statement(r#"{"Effect":"Allow","Action":"s3:*"}"#), Inline, Err("Policy statement must contain resources."));
    check(
        &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":[]}"#),
        Inline,
        Err("Policy statement must contain resources."),
    );
    check(
        &statement(r#"{"Effect":"Allow","Principal":"*","Action":"s3:*"}"#),
        Resource,
        Err("Policy statement must contain resources."),
    );
    check(&statement(r#"{"Effect":"Allow","Resource":"*"}"#), Inline, Err("Policy statement must contain actions."));
    check(
        &statement(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#),
        Inline,
        Err("Policy statement must contain actions."),
    );
    check(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        Managed,
        Err("Policy document must be version 2012-10-17 or greater."),
    );
    check(
        r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        Managed,
        Err("Policy document must be version 2012-10-17 or greater."),
    );
}

#[test]
fn element_contents_are_checked() {
    use PolicyKind::*;
    let vendor = Err("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
    check(&statement(r#"{"Effect":"Allow","Action":"GetObject","Resource":"*"}"#), Inline, vendor);
    check(
        &statement(r#"{"Effect":"Allow","Action":"s3:Get:Object","Resource":"*"}"#),
        Inline,
        Err("Actions/Condition can contain only one colon."),
    );
    check(
        &statement(r#"{"Effect":"Allow","Action":"s 3:GetObject","Resource":"*"}"#),
        Inline,
        Err("Vendor s 3 is not valid"),
    );
    check(&statement(r#"{"Effect":"Allow","Action":"*:Get*","Resource":"*"}"#), Inline, Ok(()));
    check(
        &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}"#),
        Inline,
        Err("Resource bucket must be in ARN format or \"*\"."),
    );
    check(
        &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws::::x"}"#),
        Inline,
        Err("Resource vendor must be fully qualified and cannot contain regexes."),
    );
    check(
        &statement(
            r#"{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"s3:*","Resource":"*"}"#,
        ),
        Inline,
        Err("Statement IDs (SID) in a single policy must be unique."),
    );
    check(
        &statement(r#"{"Sid":"a b","Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
        Inline,
        Err(
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ),
    );
    let trust = |principal: &str| {
        statement(&format!(r#"{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}"#))
    };
    check(
        &trust(r#"{"AWS":"arn:aws:iam::*:root"}"#),
        Trust,
        Err(r#"Invalid principal in policy: "AWS":"arn:aws:iam::*:root""#),
    );
    check(&trust(r#"{"AWS":"bob"}"#), Trust, Err(r#"Invalid principal in policy: "AWS":"bob""#));
    check(&trust(r#"{"AWS":"12345678901"}"#), Trust, Err(r#"Invalid principal in policy: "AWS":"12345678901""#));
    check(
        &trust(r#"{"AWS":"arn:aws:iam::123456789012:group/g"}"#),
        Trust,
        Err(r#"Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:group/g""#),
    );
    check(
        &trust(r#"{"AWS":"arn:aws:iam::123456789012:role/"}"#),
        Trust,
        Err(r#"Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/""#),
    );
    check(&trust(r#"{"Service":"eks"}"#), Trust, Err(r#"Invalid principal in policy: "SERVICE":"eks""#));
    check(
        &trust(r#"{"Service":"EKS.amazonaws.com"}"#),
        Trust,
        Err(r#"Invalid principal in policy: "SERVICE":"EKS.amazonaws.com""#),
    );
    check(
        &trust(r#"{"Federated":"arn:aws:iam::123456789012:role/x"}"#),
        Trust,
        Err(r#"Invalid principal in policy: "FEDERATED":"arn:aws:iam::123456789012:role/x""#),
    );
    check(&trust(r#"{"Federated":"*"}"#), Trust, Err(r#"Invalid principal in policy: "FEDERATED":"*""#));
    check(&trust(r#"{"CanonicalUser":""}"#), Trust, Err(r#"Invalid principal in policy: "CANONICAL_USER":"""#));
    check(&trust(r#"{"Robot":"x"}"#), Trust, Err("Syntax errors in policy."));
    check(&trust(r#""arn:aws:iam::123456789012:root""#), Trust, Err("Syntax errors in policy."));
    check(&trust(r#"{"AWS":7}"#), Trust, Err("Syntax errors in policy."));
}

#[test]
fn deep_nesting_is_refused_without_exhausting_the_stack() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    check(&deep, PolicyKind::Inline, Err("This policy contains invalid Json"));
    let deep_object = format!(r#"{}"x"{}"#, r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    check(&deep_object, PolicyKind::Inline, Err("This policy contains invalid Json"));
    let deep_condition = statement(&format!(
        r#"{{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{{"StringEquals":{{"a:b":{}1{}}}}}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    ));
    check(&deep_condition, PolicyKind::Inline, Err("Syntax errors in policy."));
}

#[test]
fn huge_documents_parse_and_are_measured() {
    let statements: Vec<String> = (0..10_000)
        .map(|i| {
            format!(r#"{{"Sid":"S{i}","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/{i}"}}"#)
        })
        .collect();
    let json = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","));
    let policy = Policy::parse(&json, PolicyKind::Inline).expect("valid");
    assert_eq!(policy.statements.len(), 10_000);
    assert!(policy_size(&json) > super::MANAGED_POLICY_MAX_SIZE);
    let long_string = format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{}"}}}}"#,
        "x".repeat(1_000_000)
    );
    check(&long_string, PolicyKind::Inline, Ok(()));
}

#[test]
fn size_counts_characters_but_not_whitespace() {
    assert_eq!(policy_size(""), 0);
    assert_eq!(policy_size(" \n\t\r "), 0);
    assert_eq!(policy_size(r#"{ "a" : 1 }"#), 7);
    assert_eq!(policy_size("ééé"), 3);
    assert_eq!(policy_size(IDENTITY), IDENTITY.len());
    let pretty = "{\n  \"Version\": \"2012-10-17\"\n}";
    assert_eq!(policy_size(pretty), r#"{"Version":"2012-10-17"}"#.len());
}
