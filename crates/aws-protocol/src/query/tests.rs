use super::*;

fn params(form: &str) -> QueryParams {
    QueryParams::parse(form.as_bytes()).expect("form parses")
}

fn check_parse(form: &[u8], expect: Result<Vec<(&str, &str)>, QueryError>) {
    let parsed =
        QueryParams::parse(form).map(|params| params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect());
    let expect = expect.map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect::<Vec<_>>());
    assert_eq!(parsed, expect, "{:?}", String::from_utf8_lossy(form));
}

#[test]
fn forms_decode() {
    check_parse(b"Action=ListRoles&Version=2010-05-08", Ok(vec![("Action", "ListRoles"), ("Version", "2010-05-08")]));
    check_parse(b"RoleName=a+b%2Fc&Empty=&Bare", Ok(vec![("Bare", ""), ("Empty", ""), ("RoleName", "a b/c")]));
    check_parse(b"&&A=1&", Ok(vec![("A", "1")]));
    check_parse(b"K=%E2%9C%93", Ok(vec![("K", "✓")]));
    check_parse(b"", Ok(vec![]));
    check_parse(b"A=%zz", Err(QueryError::BadEscape(2)));
    check_parse(b"A=1&B%2=1", Err(QueryError::BadEscape(5)));
    check_parse(b"A=%", Err(QueryError::BadEscape(2)));
    check_parse(b"A=%FF", Err(QueryError::NotUtf8("A".into())));
    check_parse(b"%FF=1", Err(QueryError::NotUtf8("\u{fffd}".into())));
    check_parse(b"A=1&A=2", Err(QueryError::Duplicate("A".into())));
}

#[test]
fn url_query_and_form_body_merge() {
    let uri: Uri = "/?Action=GetCallerIdentity".parse().expect("uri");
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/x-www-form-urlencoded; charset=utf-8".parse().expect("value"));
    let merged = QueryParams::from_request(&uri, &headers, b"Version=2011-06-15").expect("parses");
    assert_eq!((merged.action(), merged.version()), (Some("GetCallerIdentity"), Some("2011-06-15")));
    let json = QueryParams::from_request(&uri, &HeaderMap::new(), b"{}").expect("body ignored");
    assert_eq!(json.len(), 1);
    assert_eq!(QueryParams::from_request(&uri, &headers, b"Action=x"), Err(QueryError::Duplicate("Action".into())));
}

#[test]
fn query_lists_and_maps() {
    let form = "Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1\
                &Tags.member.10.Key=j&Names.member.3=z&Names.member.1=x\
                &Attributes.entry.1.key=k1&Attributes.entry.1.value=v1&Attributes.entry.2.key=k2&Attributes.entry.2.value=";
    let params = params(form);
    let root = params.root();
    let tags: Vec<_> = root.list("Tags").expect("list").iter().map(|tag| tag.get("Key")).collect();
    assert_eq!(tags, [Some("a"), Some("b"), Some("j")]);
    assert_eq!(root.list("Tags").expect("list")[1].required("Value"), Ok("2"));
    assert_eq!(
        root.list("Tags").expect("list")[2].required("Value"),
        Err(QueryError::Missing("Tags.member.10.Value".into()))
    );
    assert_eq!(root.string_list("Names"), Ok(vec!["x", "z"]));
    assert_eq!(root.map("Attributes"), Ok(vec![("k1", "v1"), ("k2", "")]));
    assert_eq!(root.list("Absent").expect("empty").len(), 0);
    assert!(root.has("Tags") && root.has("Names") && !root.has("Absent") && !root.has("Tag"));
}

#[test]
fn ec2_lists_nest() {
    let form = "Filter.1.Name=tag%3Aeks%3Acluster-name&Filter.1.Value.2=other&Filter.1.Value.1=demo&Filter.2.Name=state\
                &TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=n\
                &InstanceId.1=i-1&InstanceId.2=i-2";
    let params = params(form);
    let root = params.root();
    let filters = root.ec2_list("Filter").expect("filters");
    assert_eq!(filters.len(), 2);
    assert_eq!(filters[0].get("Name"), Some("tag:eks:cluster-name"));
    assert_eq!(filters[0].ec2_string_list("Value"), Ok(vec!["demo", "other"]));
    assert_eq!(filters[1].ec2_string_list("Value"), Ok(vec![]));
    let specs = root.ec2_list("TagSpecification").expect("specs");
    assert_eq!(specs[0].prefix(), "TagSpecification.1");
    assert_eq!(specs[0].ec2_list("Tag").expect("tags")[0].get("Value"), Some("n"));
    assert_eq!(root.ec2_string_list("InstanceId"), Ok(vec!["i-1", "i-2"]));
}

#[test]
fn nested_structures_and_typed_members() {
    let params = params("A.B.C=deep&Count=12&Flag=true&When=2026-11-28T00:51:19Z&Ratio=0.5&Bad=12x&No=yes");
    let root = params.root();
    assert_eq!(root.child("A").child("B").get("C"), Some("deep"));
    assert_eq!(root.int("Count"), Ok(Some(12)));
    assert_eq!(root.int("Absent"), Ok(None));
    assert_eq!(root.bool("Flag"), Ok(Some(true)));
    assert_eq!(root.float("Ratio"), Ok(Some(0.5)));
    assert!(root.timestamp("When").expect("timestamp").is_some());
    let invalid =
        |key: &str, expected| QueryError::Invalid { key: key.into(), value: params.get(key).unwrap().into(), expected };
    assert_eq!(root.int("Bad"), Err(invalid("Bad", "an integer")));
    assert_eq!(root.bool("No"), Err(invalid("No", "a boolean")));
    assert_eq!(root.timestamp("No").map(|_| ()), Err(invalid("No", "an ISO 8601 timestamp")));
    assert_eq!(root.required("Missing"), Err(QueryError::Missing("Missing".into())));
}

fn check_index(form: &str, expect: QueryError) {
    let params = params(form);
    let root = params.root();
    let items = if form.starts_with("L.") { root.list("L") } else { root.ec2_list("E") };
    assert_eq!(items.map(|items| items.len()), Err(expect), "{form}");
}

#[test]
fn bad_indexes_are_refused() {
    check_index("L.member.0.Key=a", QueryError::IndexZero("L.member.0.Key".into()));
    check_index("L.member.x=a", QueryError::BadIndex { key: "L.member.x".into(), index: "x".into() });
    check_index("L.member.01=a", QueryError::BadIndex { key: "L.member.01".into(), index: "01".into() });
    check_index("L.member.=a", QueryError::BadIndex { key: "L.member.".into(), index: "".into() });
    check_index("L.member.-1=a", QueryError::BadIndex { key: "L.member.-1".into(), index: "-1".into() });
    let huge = "E.99999999999=a";
    check_index(huge, QueryError::BadIndex { key: "E.99999999999".into(), index: "99999999999".into() });
    check_index("E.0=a", QueryError::IndexZero("E.0".into()));
    let params = params("Names.member.1.x=a");
    assert_eq!(params.root().string_list("Names"), Err(QueryError::Missing("Names.member.1".into())));
    let params = self::params("M.entry.1.key=a");
    assert_eq!(params.root().map("M"), Err(QueryError::Missing("M.entry.1.value".into())));
}

#[test]
fn query_errors_become_aws_errors() {
    let check = |error: QueryError, protocol, code: &str, message: &str| {
        let aws = error.to_aws_error(protocol);
        assert_eq!((aws.code.as_str(), aws.message.as_str(), aws.status), (code, message, StatusCode::BAD_REQUEST));
    };
    check(
        QueryError::Missing("ImageId".into()),
        Protocol::Ec2,
        "MissingParameter",
        "The request must contain the parameter ImageId",
    );
    check(QueryError::BadEscape(3), Protocol::Query, "MalformedQueryString", "Malformed percent-encoding at byte 3");
    let invalid = QueryError::Invalid { key: "MaxItems".into(), value: "x".into(), expected: "an integer" };
    check(invalid, Protocol::Query, "InvalidParameterValue", "Invalid value 'x' for MaxItems.");
}

#[test]
fn arbitrary_forms_never_panic() {
    let mut state = 0x2545_f491_u64;
    const ALPHABET: &[u8] = b"A.member.entry.1.0.key=value&%2F%+\xff.N";
    for _ in 0..3000 {
        let len = (state % 60) as usize;
        let form: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ALPHABET[(state % ALPHABET.len() as u64) as usize]
            })
            .collect();
        if let Ok(params) = QueryParams::parse(&form) {
            let root = params.root();
            let _ = (root.list("A"), root.ec2_list("A"), root.map("A"), root.string_list("A"), root.int("A"));
        }
    }
}
