use super::*;

fn parameters(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn check(pairs: &[(&str, &str)], in_use: &[i64], expect: Result<(i64, i64, &str), &str>) {
    let got = access_point_request(&parameters(pairs), "pvc-1", in_use);
    match (got, expect) {
        (Ok(request), Ok((uid, gid, path))) => {
            assert_eq!((request.uid, request.gid, request.path.as_str()), (uid, gid, path), "{pairs:?}");
            assert_eq!(request.client_token, "pvc-1");
            assert_eq!(request.tags.get(DRIVER_TAG).map(String::as_str), Some("true"));
        }
        (Err(message), Err(expect)) => assert!(message.contains(expect), "{pairs:?}: {message}"),
        (got, expect) => panic!("{pairs:?}: got {got:?}, expected {expect:?}"),
    }
}

#[test]
fn access_points_follow_the_class_as_the_driver_reads_it() {
    let base = [("provisioningMode", "efs-ap"), ("fileSystemId", "fs-1234567890abcdef0")];
    check(&base, &[], Ok((50_000, 50_000, "/pvc-1")));
    check(&base, &[50_000, 50_001], Ok((50_002, 50_002, "/pvc-1")));
    let with = |extra: &[(&'static str, &'static str)]| base.iter().chain(extra).copied().collect::<Vec<_>>();
    check(&with(&[("basePath", "/dynamic_provisioning")]), &[], Ok((50_000, 50_000, "/dynamic_provisioning/pvc-1")));
    check(&with(&[("basePath", "a//b/")]), &[], Ok((50_000, 50_000, "/a/b/pvc-1")));
    check(&with(&[("gidRangeStart", "1000"), ("gidRangeEnd", "1001")]), &[1000], Ok((1001, 1001, "/pvc-1")));
    check(&with(&[("gidRangeStart", "1000"), ("gidRangeEnd", "1001")]), &[1000, 1001], Err("free GID"));
    check(&with(&[("uid", "7"), ("gid", "8")]), &[], Ok((7, 8, "/pvc-1")));
    check(&with(&[("uid", "7")]), &[], Ok((7, 50_000, "/pvc-1")));
    check(&with(&[("uid", "-1")]), &[], Err("uid must be greater or equal than 0"));
    check(&with(&[("gid", "x")]), &[], Err("Failed to parse invalid gid"));
    check(&with(&[("gidRangeStart", "10")]), &[], Err("Missing gidRangeEnd"));
    check(&with(&[("gidRangeEnd", "10")]), &[], Err("Missing gidRangeStart"));
    check(&with(&[("gidRangeStart", "10"), ("gidRangeEnd", "10")]), &[], Err("must be greater than"));
    check(&[("provisioningMode", "efs-ap")], &[], Err("Missing fileSystemId"));
    check(&[("provisioningMode", "efs-ap"), ("fileSystemId", " ")], &[], Err("cannot be empty"));
    check(&[("fileSystemId", "fs-1")], &[], Err("Missing provisioningMode"));
    check(&[("provisioningMode", "efs-dir"), ("fileSystemId", "fs-1")], &[], Err("not supported"));
    let perms = access_point_request(&parameters(&with(&[("directoryPerms", "755")])), "v", &[]).unwrap();
    assert_eq!(perms.permissions, "755");
}

#[test]
fn volume_handles_name_a_file_system_and_maybe_an_access_point() {
    let check = |handle: &str, expect: Option<(&str, Option<&str>)>| {
        let got = parse_volume_handle(handle);
        let got = got.as_ref().map(|(fs, ap)| (fs.as_str(), ap.as_deref()));
        assert_eq!(got, expect, "{handle}");
    };
    check("fs-1234", Some(("fs-1234", None)));
    check("fs-1234::fsap-99", Some(("fs-1234", Some("fsap-99"))));
    check("fs-1234:/data", Some(("fs-1234", None)));
    check("fs-1234:/data:fsap-99", Some(("fs-1234", Some("fsap-99"))));
    check("vol-1234", None);
    check("fs-1234::vol-1", None);
    check("fs-1234:a:fsap-1:x", None);
    check("", None);
}
