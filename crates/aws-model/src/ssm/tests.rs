use store::MemoryStore;

use super::*;
use crate::clock::ManualClock;

fn ssm() -> Ssm {
    let versions = ["1.32", "1.33", "1.34"].map(str::to_owned).to_vec();
    Ssm::new(Records::new(Arc::new(MemoryStore::new())), Arc::new(ManualClock::new(1_700_000_000.0)), versions)
}

fn caller() -> Caller {
    Caller { arn: "arn:aws:iam::123456789012:root".into(), account: "123456789012".into(), region: "us-east-1".into() }
}

fn put(name: &str, value: &str) -> PutParameter {
    PutParameter { name: name.into(), value: value.into(), kind: Some("String".into()), ..PutParameter::default() }
}

/// The variant of an error (`NotFound`, `Validation`, ...), for one-line expectations.
fn variant(error: &SsmError) -> String {
    let debug = format!("{error:?}");
    debug.split(['(', ' ']).next().unwrap_or_default().to_owned()
}

/// Puts `input` on a fresh store and compares the outcome: the version, or the error's variant and a piece of
/// its message.
async fn check_put(input: PutParameter, expect: Result<i64, (&str, &str)>) {
    let got = ssm().put_parameter(&caller(), &input).await;
    match (got, expect) {
        (Ok((version, _)), Ok(expected)) => assert_eq!(version, expected, "{input:?}"),
        (Err(error), Err((expected, fragment))) => {
            assert_eq!(variant(&error), expected, "{error}");
            assert!(error.to_string().contains(fragment), "{error} does not say {fragment}");
        }
        (got, expect) => panic!("{input:?}: got {got:?}, expected {expect:?}"),
    }
}

#[tokio::test]
async fn names_follow_aws_rules() {
    check_put(put("/app/db/url", "x"), Ok(1)).await;
    check_put(put("plain.name-1_2", "x"), Ok(1)).await;
    check_put(put(&"n".repeat(2048), "x"), Ok(1)).await;
    check_put(put(&"n".repeat(2049), "x"), Err(("Validation", "less than or equal to 2048"))).await;
    check_put(put("", "x"), Err(("Validation", "greater than or equal to 1"))).await;
    check_put(put("/has space", "x"), Err(("Validation", "sub-paths"))).await;
    check_put(put("/nul\0byte", "x"), Err(("Validation", "sub-paths"))).await;
    check_put(put("/a//b", "x"), Err(("Validation", "sub-paths"))).await;
    check_put(put("/a/b/", "x"), Err(("Validation", "sub-paths"))).await;
    check_put(put("a/b", "x"), Err(("Validation", "fully qualified"))).await;
    check_put(put("awsthing", "x"), Err(("Validation", "can't be prefixed"))).await;
    check_put(put("SSM-thing", "x"), Err(("Validation", "can't be prefixed"))).await;
    check_put(put("/ssm/x", "x"), Err(("Validation", "can't be prefixed"))).await;
    check_put(put("/aws/service/mine", "x"), Err(("AccessDenied", "reserved parameter name"))).await;
    let fifteen = "/l".repeat(15);
    check_put(put(&fifteen, "x"), Ok(1)).await;
    check_put(put(&format!("{fifteen}/l"), "x"), Err(("HierarchyLevelLimitExceeded", "maximum of 15 levels"))).await;
}

#[tokio::test]
async fn values_types_tiers_and_patterns_are_checked() {
    check_put(put("/v", &"x".repeat(4096)), Ok(1)).await;
    check_put(put("/v", &"x".repeat(5 * 1024)), Err(("Validation", "maximum parameter value of 4096"))).await;
    let advanced = PutParameter { tier: Some("Advanced".into()), ..put("/v", &"x".repeat(5 * 1024)) };
    check_put(advanced, Ok(1)).await;
    let too_big = PutParameter { tier: Some("Advanced".into()), ..put("/v", &"x".repeat(8193)) };
    check_put(too_big, Err(("Validation", "8192"))).await;
    let intelligent = PutParameter { tier: Some("Intelligent-Tiering".into()), ..put("/v", &"x".repeat(5000)) };
    let (_, tier) = ssm().put_parameter(&caller(), &intelligent).await.unwrap();
    assert_eq!(tier, Tier::Advanced);
    check_put(PutParameter { tier: Some("Cheap".into()), ..put("/v", "x") }, Err(("Validation", "tier"))).await;
    check_put(put("/v", ""), Err(("Validation", "greater than or equal to 1"))).await;
    check_put(PutParameter { kind: None, ..put("/v", "x") }, Err(("Validation", "type is required"))).await;
    check_put(PutParameter { kind: Some("Number".into()), ..put("/v", "x") }, Err(("Validation", "enum value set")))
        .await;
    let pattern = |value: &str| PutParameter { allowed_pattern: Some("^\\d+$".into()), ..put("/v", value) };
    check_put(pattern("123"), Ok(1)).await;
    check_put(pattern("12a"), Err(("PatternMismatch", "^\\d+$"))).await;
    check_put(
        PutParameter { allowed_pattern: Some("(".into()), ..put("/v", "x") },
        Err(("InvalidAllowedPattern", "(")),
    )
    .await;
    let image = |value: &str| PutParameter { data_type: Some("aws:ec2:image".into()), ..put("/v", value) };
    check_put(image("ami-0123456789abcdef0"), Ok(1)).await;
    check_put(image("not-an-image"), Err(("Validation", "EC2 image id"))).await;
    check_put(PutParameter { data_type: Some("Text".into()), ..put("/v", "x") }, Err(("Validation", "not supported")))
        .await;
    let secure_image = PutParameter { kind: Some("SecureString".into()), ..image("ami-0123456789abcdef0") };
    check_put(secure_image, Err(("UnsupportedParameterType", "aws:ec2:image"))).await;
    let keyed =
        |kind: &str, key: &str| PutParameter { kind: Some(kind.into()), key_id: Some(key.into()), ..put("/v", "x") };
    check_put(keyed("SecureString", "alias/mine"), Ok(1)).await;
    check_put(keyed("SecureString", "1234abcd-12ab-34cd-56ef-1234567890ab"), Ok(1)).await;
    check_put(
        keyed("SecureString", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        Ok(1),
    )
    .await;
    check_put(keyed("SecureString", "my key"), Err(("InvalidKeyId", "my key"))).await;
    check_put(keyed("SecureString", "nonsense"), Err(("InvalidKeyId", "nonsense"))).await;
    check_put(keyed("String", "alias/mine"), Err(("Validation", "SecureString"))).await;
    check_put(PutParameter { description: Some("d".repeat(1025)), ..put("/v", "x") }, Err(("Validation", "1024")))
        .await;
    check_put(PutParameter { policies: Some("[]".into()), ..put("/v", "x") }, Err(("Validation", "policies"))).await;
}

#[tokio::test]
async fn versions_overwrite_and_selectors() {
    let ssm = ssm();
    let caller = caller();
    assert_eq!(ssm.put_parameter(&caller, &put("/app/v", "one")).await.unwrap().0, 1);
    let error = ssm.put_parameter(&caller, &put("/app/v", "two")).await.unwrap_err();
    assert_eq!(variant(&error), "AlreadyExists");
    let overwrite = PutParameter { overwrite: true, kind: None, ..put("/app/v", "two") };
    assert_eq!(ssm.put_parameter(&caller, &overwrite).await.unwrap().0, 2);
    let latest = ssm.get_parameter(&caller, "/app/v", false).await.unwrap();
    assert_eq!((latest.value.as_str(), latest.version.version, latest.selector), ("two", 2, None));
    assert_eq!(latest.arn, "arn:aws:ssm:us-east-1:123456789012:parameter/app/v");
    let first = ssm.get_parameter(&caller, "/app/v:1", false).await.unwrap();
    assert_eq!((first.value.as_str(), first.selector.as_deref()), ("one", Some(":1")));
    assert_eq!(variant(&ssm.get_parameter(&caller, "/app/v:9", false).await.unwrap_err()), "VersionNotFound");
    assert_eq!(variant(&ssm.get_parameter(&caller, "/app/none", false).await.unwrap_err()), "NotFound");
    assert_eq!(variant(&ssm.get_parameter(&caller, "/app/v:1:2", false).await.unwrap_err()), "Validation");

    let (invalid, version) =
        ssm.label_parameter_version(&caller, "/app/v", Some(1), &["prod".into(), "9x".into()]).await.unwrap();
    assert_eq!((invalid, version), (vec!["9x".to_owned()], 1));
    assert_eq!(ssm.get_parameter(&caller, "/app/v:prod", false).await.unwrap().value, "one");
    ssm.label_parameter_version(&caller, "/app/v", None, &["prod".into()]).await.unwrap();
    assert_eq!(ssm.get_parameter(&caller, "/app/v:prod", false).await.unwrap().value, "two");
    assert_eq!(variant(&ssm.get_parameter(&caller, "/app/v:staging", false).await.unwrap_err()), "VersionNotFound");

    let (history, token) = ssm.get_parameter_history(&caller, "/app/v", false, None, None).await.unwrap();
    assert_eq!(history.iter().map(|p| p.value.as_str()).collect::<Vec<_>>(), ["one", "two"]);
    assert_eq!(history[1].version.labels, ["prod"]);
    assert!(token.is_none());
    let (page, token) = ssm.get_parameter_history(&caller, "/app/v", false, Some(1), None).await.unwrap();
    assert_eq!(page[0].version.version, 1);
    let (page, _) = ssm.get_parameter_history(&caller, "/app/v", false, Some(1), token.as_deref()).await.unwrap();
    assert_eq!(page[0].version.version, 2);
    let garbage = ssm.get_parameter_history(&caller, "/app/v", false, None, Some("%%%")).await.unwrap_err();
    assert_eq!(variant(&garbage), "InvalidNextToken");
    let bad_max = ssm.get_parameter_history(&caller, "/app/v", false, Some(51), None).await.unwrap_err();
    assert_eq!(variant(&bad_max), "Validation");
}

#[tokio::test]
async fn only_a_hundred_versions_are_kept() {
    let ssm = ssm();
    let caller = caller();
    for n in 1..=101 {
        let input = PutParameter { overwrite: true, ..put("/many", &n.to_string()) };
        assert_eq!(ssm.put_parameter(&caller, &input).await.unwrap().0, n);
    }
    let (history, _) = ssm.get_parameter_history(&caller, "/many", false, Some(50), None).await.unwrap();
    assert_eq!(history[0].version.version, 2);
    assert_eq!(variant(&ssm.get_parameter(&caller, "/many:1", false).await.unwrap_err()), "VersionNotFound");
    ssm.label_parameter_version(&caller, "/many", Some(2), &["keep".into()]).await.unwrap();
    let input = PutParameter { overwrite: true, ..put("/many", "more") };
    let error = ssm.put_parameter(&caller, &input).await.unwrap_err();
    assert_eq!(variant(&error), "MaxVersionLimitExceeded");
    assert_eq!(ssm.get_parameter(&caller, "/many", false).await.unwrap().value, "101", "nothing half-written");
}

#[tokio::test]
async fn secure_strings_are_sealed_unless_decrypted_and_keep_their_type() {
    let ssm = ssm();
    let caller = caller();
    let secret = PutParameter { kind: Some("SecureString".into()), ..put("/secret", "hunter2") };
    ssm.put_parameter(&caller, &secret).await.unwrap();
    let sealed = ssm.get_parameter(&caller, "/secret", false).await.unwrap();
    assert_ne!(sealed.value, "hunter2");
    assert_eq!(sealed.version.key_id.as_deref(), Some(DEFAULT_KEY_ID));
    assert_eq!(ssm.get_parameter(&caller, "/secret", true).await.unwrap().value, "hunter2");
    let to_string = PutParameter { overwrite: true, ..put("/secret", "plain") };
    assert_eq!(variant(&ssm.put_parameter(&caller, &to_string).await.unwrap_err()), "HierarchyTypeMismatch");
    let advanced = PutParameter { tier: Some("Advanced".into()), ..put("/tiered", "x") };
    ssm.put_parameter(&caller, &advanced).await.unwrap();
    let downgrade = PutParameter { overwrite: true, tier: Some("Standard".into()), ..put("/tiered", "y") };
    assert_eq!(variant(&ssm.put_parameter(&caller, &downgrade).await.unwrap_err()), "Validation");
    let kept = PutParameter { overwrite: true, ..put("/tiered", "y") };
    assert_eq!(ssm.put_parameter(&caller, &kept).await.unwrap().1, Tier::Advanced);
}

fn by_path(path: &str, recursive: bool) -> ByPath {
    ByPath { path: path.into(), recursive, ..ByPath::default() }
}

#[tokio::test]
async fn paths_filters_and_pages() {
    let ssm = ssm();
    let caller = caller();
    for name in ["/app/a", "/app/b", "/app/deep/c", "/other/d", "top"] {
        ssm.put_parameter(&caller, &put(name, name)).await.unwrap();
    }
    let secure = PutParameter { kind: Some("SecureString".into()), ..put("/app/s", "secret") };
    ssm.put_parameter(&caller, &secure).await.unwrap();
    let names = |page: Page<Parameter>| page.0.into_iter().map(|p| p.name).collect::<Vec<_>>();
    let one_level = ssm.get_parameters_by_path(&caller, &by_path("/app", false)).await.unwrap();
    assert_eq!(names(one_level), ["/app/a", "/app/b", "/app/s"]);
    let all = ssm.get_parameters_by_path(&caller, &by_path("/app/", true)).await.unwrap();
    assert_eq!(names(all), ["/app/a", "/app/b", "/app/deep/c", "/app/s"]);
    let root = ssm.get_parameters_by_path(&caller, &by_path("/", false)).await.unwrap();
    assert_eq!(names(root), ["top"]);
    let typed = ByPath {
        filters: vec![ParameterFilter { key: "Type".into(), option: None, values: vec!["SecureString".into()] }],
        ..by_path("/app", true)
    };
    assert_eq!(names(ssm.get_parameters_by_path(&caller, &typed).await.unwrap()), ["/app/s"]);
    let first = ssm.get_parameters_by_path(&caller, &ByPath { max: Some(2), ..by_path("/app", true) }).await.unwrap();
    assert_eq!(first.0.len(), 2);
    let rest = ByPath { max: Some(2), token: first.1.clone(), ..by_path("/app", true) };
    assert_eq!(names(ssm.get_parameters_by_path(&caller, &rest).await.unwrap()), ["/app/deep/c", "/app/s"]);
    let errors = [
        (ByPath { max: Some(11), ..by_path("/app", true) }, "Validation"),
        (ByPath { max: Some(0), ..by_path("/app", true) }, "Validation"),
        (by_path("app", true), "Validation"),
        (ByPath { token: Some("!!".into()), ..by_path("/app", true) }, "InvalidNextToken"),
        (
            ByPath {
                filters: vec![ParameterFilter { key: "Name".into(), option: None, values: vec!["x".into()] }],
                ..by_path("/app", true)
            },
            "InvalidFilterKey",
        ),
        (
            ByPath {
                filters: vec![ParameterFilter {
                    key: "Type".into(),
                    option: Some("Contains".into()),
                    values: vec!["x".into()],
                }],
                ..by_path("/app", true)
            },
            "InvalidFilterOption",
        ),
        (
            ByPath {
                filters: vec![ParameterFilter { key: "Type".into(), option: None, values: vec![] }],
                ..by_path("/app", true)
            },
            "InvalidFilterValue",
        ),
    ];
    for (query, expected) in errors {
        let error = ssm.get_parameters_by_path(&caller, &query).await.unwrap_err();
        assert_eq!(variant(&error), expected, "{query:?}");
    }

    let filter = |key: &str, option: Option<&str>, value: &str| ParameterFilter {
        key: key.into(),
        option: option.map(str::to_owned),
        values: vec![value.into()],
    };
    let described = |filters: Vec<ParameterFilter>| {
        let ssm = ssm.clone();
        let caller = caller.clone();
        async move { names(ssm.describe_parameters(&caller, &[], &filters, None, None).await.unwrap()) }
    };
    assert_eq!(described(vec![filter("Name", Some("BeginsWith"), "/app/d")]).await, ["/app/deep/c"]);
    assert_eq!(described(vec![filter("Path", Some("OneLevel"), "/other")]).await, ["/other/d"]);
    assert_eq!(described(vec![filter("Type", None, "SecureString")]).await, ["/app/s"]);
    assert_eq!(described(vec![]).await.len(), 6);
    let string = [filter("Type", None, "String")];
    let both = ssm.describe_parameters(&caller, &string, &string, None, None).await;
    assert_eq!(variant(&both.unwrap_err()), "Validation");

    let (found, invalid) =
        ssm.get_parameters(&caller, &["/app/a".into(), "/nope".into(), "bad name".into()], false).await.unwrap();
    assert_eq!((found.len(), invalid), (1, vec!["/nope".to_owned(), "bad name".to_owned()]));
    let eleven: Vec<String> = (0..11).map(|n| format!("/n{n}")).collect();
    assert_eq!(variant(&ssm.get_parameters(&caller, &eleven, false).await.unwrap_err()), "Validation");
    let (deleted, invalid) = ssm.delete_parameters(&caller, &["/app/a".into(), "/nope".into()]).await.unwrap();
    assert_eq!((deleted, invalid), (vec!["/app/a".to_owned()], vec!["/nope".to_owned()]));
    assert_eq!(variant(&ssm.delete_parameter(&caller, "/app/a").await.unwrap_err()), "NotFound");
    ssm.delete_parameter(&caller, "top").await.unwrap();
    assert_eq!(variant(&ssm.get_parameter(&caller, "top", false).await.unwrap_err()), "NotFound");
}

#[tokio::test]
async fn tags_on_create_and_by_resource() {
    let ssm = ssm();
    let caller = caller();
    let tagged = PutParameter { tags: vec![("team".into(), "web".into())], ..put("/t", "x") };
    ssm.put_parameter(&caller, &tagged).await.unwrap();
    assert_eq!(ssm.list_tags(&caller, "Parameter", "/t").await.unwrap()["team"], "web");
    ssm.add_tags(&caller, "Parameter", "/t", &[("env".into(), "prod".into())]).await.unwrap();
    ssm.remove_tags(&caller, "Parameter", "/t", &["team".into()]).await.unwrap();
    let tags = ssm.list_tags(&caller, "Parameter", "/t").await.unwrap();
    assert_eq!(tags.into_iter().collect::<Vec<_>>(), [("env".to_owned(), "prod".to_owned())]);
    let many: Vec<(String, String)> = (0..50).map(|n| (format!("k{n}"), "v".to_owned())).collect();
    assert_eq!(variant(&ssm.add_tags(&caller, "Parameter", "/t", &many).await.unwrap_err()), "TooManyTags");
    assert_eq!(ssm.list_tags(&caller, "Parameter", "/t").await.unwrap().len(), 1, "nothing half-written");
    let errors = [
        ssm.list_tags(&caller, "Parameter", "/none").await.unwrap_err(),
        ssm.list_tags(&caller, "Document", "/t").await.unwrap_err(),
        ssm.list_tags(&caller, "Bucket", "/t").await.unwrap_err(),
        ssm.add_tags(&caller, "Parameter", "/t", &[("aws:x".into(), "v".into())]).await.unwrap_err(),
        ssm.add_tags(&caller, "Parameter", "/t", &[("".into(), "v".into())]).await.unwrap_err(),
    ];
    let variants: Vec<String> = errors.iter().map(variant).collect();
    assert_eq!(variants, ["InvalidResourceId", "InvalidResourceId", "Validation", "Validation", "Validation"]);
    let overwrite_with_tags = PutParameter { overwrite: true, ..tagged };
    assert_eq!(variant(&ssm.put_parameter(&caller, &overwrite_with_tags).await.unwrap_err()), "Validation");
}

#[tokio::test]
async fn public_parameters_name_the_catalogue_images() {
    let ssm = ssm();
    let caller = caller();
    let name = "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id";
    let parameter = ssm.get_parameter(&caller, name, false).await.unwrap();
    let image = crate::ec2::images::image("us-east-1", "AL2023_x86_64_STANDARD", "1.34.0-20251016").unwrap();
    assert_eq!(parameter.value, image.id);
    assert_eq!(parameter.arn, format!("arn:aws:ssm:us-east-1::parameter{name}"));
    let recommended = ssm
        .get_parameter(&caller, "/aws/service/eks/optimized-ami/1.32/amazon-linux-2-arm64/recommended", false)
        .await
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&recommended.value).unwrap();
    assert_eq!(value["image_name"], "amazon-eks-arm64-node-1.32-v20251016");
    assert_eq!(value["release_version"], "1.32.0-20251016");
    let rocket =
        ssm.get_parameter(&caller, "/aws/service/bottlerocket/aws-k8s-1.33/arm64/latest/image_id", false).await;
    assert_eq!(
        rocket.unwrap().value,
        crate::ec2::images::image_id("us-east-1", "BOTTLEROCKET_ARM_64", "1.33.0-20251016")
    );
    let missing = "/aws/service/eks/optimized-ami/1.33/amazon-linux-2/recommended/image_id";
    assert_eq!(variant(&ssm.get_parameter(&caller, missing, false).await.unwrap_err()), "NotFound");
    let under = ssm
        .get_parameters_by_path(&caller, &by_path("/aws/service/eks/optimized-ami/1.34/amazon-linux-2023", true))
        .await
        .unwrap();
    assert_eq!(under.0.len(), 10, "the first page");
    assert!(under.1.is_some());
    let one_level = ssm
        .get_parameters_by_path(
            &caller,
            &by_path("/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended", false),
        )
        .await
        .unwrap();
    let names: Vec<&str> = one_level.0.iter().map(|p| p.name.rsplit('/').next().unwrap()).collect();
    assert_eq!(names, ["image_id", "image_name", "release_version"]);
    let delete = ssm.delete_parameter(&caller, name).await.unwrap_err();
    assert_eq!(variant(&delete), "AccessDenied");
    assert_eq!(public::unix_seconds("2025-10-16T00:00:00.000Z"), 1_760_572_800);
    assert_eq!(public::unix_seconds("1970-01-01"), 0);
    assert_eq!(public::unix_seconds("garbage"), 0);
}
