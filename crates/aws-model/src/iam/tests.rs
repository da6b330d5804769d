use store::MemoryStore;

use super::*;
use crate::clock::ManualClock;

const ACCOUNT: &str = "123456789012";
const EKS_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const S3_READ: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

fn iam() -> Iam {
    Iam::new(Records::new(Arc::new(MemoryStore::new())), Arc::new(ManualClock::new(1_700_000_000.0)))
}

fn role_input(name: &str, trust: &str) -> CreateRole {
    CreateRole { name: name.into(), assume_role_policy: trust.into(), ..CreateRole::default() }
}

/// The wire code of an error, for one-line expectations.
fn code(error: &IamError) -> &'static str {
    match error {
        IamError::NoSuchEntity(_) => "NoSuchEntity",
        IamError::EntityAlreadyExists(_) => "EntityAlreadyExists",
        IamError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
        IamError::LimitExceeded(_) => "LimitExceeded",
        IamError::DeleteConflict(_) => "DeleteConflict",
        IamError::InvalidInput(_) => "InvalidInput",
        IamError::Validation(_) => "ValidationError",
        IamError::UnmodifiableEntity(_) => "UnmodifiableEntity",
        IamError::ServiceFailure(_) => "ServiceFailure",
    }
}

/// Creates a role from `input` and compares the outcome: `Ok(arn)` or `Err((code, message fragment))`.
async fn check_create_role(input: CreateRole, expect: Result<&str, (&str, &str)>) {
    let got = iam().create_role(ACCOUNT, input.clone()).await;
    match (got, expect) {
        (Ok(role), Ok(arn)) => assert_eq!(role.arn, arn, "{input:?}"),
        (Err(error), Err((expected_code, fragment))) => {
            assert_eq!(code(&error), expected_code, "{input:?}: {error}");
            assert!(error.to_string().contains(fragment), "{input:?}: {error}");
        }
        (got, expect) => panic!("{input:?}: got {got:?}, expected {expect:?}"),
    }
}

#[tokio::test]
async fn create_role_validates_as_iam_does() {
    let arn = "arn:aws:iam::123456789012:role/eks-cluster";
    check_create_role(role_input("eks-cluster", EKS_TRUST), Ok(arn)).await;
    let with_path = CreateRole { path: Some("/eks/".into()), ..role_input("r", EKS_TRUST) };
    check_create_role(with_path, Ok("arn:aws:iam::123456789012:role/eks/r")).await;
    check_create_role(role_input("", EKS_TRUST), Err(("ValidationError", "length greater than or equal to 1"))).await;
    check_create_role(role_input(&"r".repeat(65), EKS_TRUST), Err(("ValidationError", "less than or equal to 64")))
        .await;
    check_create_role(role_input("bad name", EKS_TRUST), Err(("ValidationError", "regular expression pattern"))).await;
    check_create_role(
        role_input("r", "{not json"),
        Err(("MalformedPolicyDocument", "This policy contains invalid Json")),
    )
    .await;
    check_create_role(role_input("r", S3_READ), Err(("MalformedPolicyDocument", ""))).await;
    check_create_role(role_input("r", ""), Err(("ValidationError", "assumeRolePolicyDocument"))).await;
    check_create_role(role_input("r", "\u{1}"), Err(("ValidationError", "regular expression pattern"))).await;
    let bad_path = CreateRole { path: Some("no-slash".into()), ..role_input("r", EKS_TRUST) };
    check_create_role(bad_path, Err(("ValidationError", "must begin and end with /"))).await;
    let short = CreateRole { max_session_duration: Some(60), ..role_input("r", EKS_TRUST) };
    check_create_role(short, Err(("ValidationError", "greater than or equal to 3600"))).await;
    let long = CreateRole { max_session_duration: Some(43_201), ..role_input("r", EKS_TRUST) };
    check_create_role(long, Err(("ValidationError", "less than or equal to 43200"))).await;
    let boundary =
        CreateRole { permissions_boundary: Some("arn:aws:iam::aws:policy/Nope".into()), ..role_input("r", EKS_TRUST) };
    check_create_role(boundary, Err(("NoSuchEntity", "Scope ARN: arn:aws:iam::aws:policy/Nope"))).await;
    let big_trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":[{}]}},"Action":"sts:AssumeRole"}}]}}"#,
        (0..100).map(|i| format!("\"service{i}.amazonaws.com\"")).collect::<Vec<_>>().join(",")
    );
    check_create_role(role_input("r", &big_trust), Err(("LimitExceeded", "ACLSizePerRole: 2048"))).await;
    let tags = (0..51).map(|i| Tag { key: format!("k{i}"), value: String::new() }).collect();
    check_create_role(CreateRole { tags, ..role_input("r", EKS_TRUST) }, Err(("ValidationError", "tags"))).await;
    let bad_tag = vec![Tag { key: "a\u{0}".into(), value: String::new() }];
    check_create_role(CreateRole { tags: bad_tag, ..role_input("r", EKS_TRUST) }, Err(("ValidationError", "tags.1")))
        .await;
}

#[tokio::test]
async fn roles_are_unique_without_regard_to_case_and_have_iam_ids() {
    let iam = iam();
    let role = iam.create_role(ACCOUNT, role_input("Node", EC2_TRUST)).await.unwrap();
    assert!(role.id.starts_with("AROA") && role.id.len() == 21, "{}", role.id);
    assert!(role.id[4..].chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    let duplicate = iam.create_role(ACCOUNT, role_input("node", EC2_TRUST)).await.unwrap_err();
    assert_eq!(duplicate, IamError::EntityAlreadyExists("Role with name node already exists.".into()));
    assert_eq!(iam.get_role(ACCOUNT, "NODE").await.unwrap().name, "Node");
    assert_eq!(
        iam.get_role(ACCOUNT, "other").await.unwrap_err(),
        IamError::NoSuchEntity("The role with name other cannot be found.".into())
    );
    assert!(iam.get_role("000000000000", "Node").await.is_err(), "roles are per account");
    assert_eq!(iam.role_by_arn(ACCOUNT, &role.arn).await.unwrap(), Some(role.clone()));
    assert_eq!(iam.role_by_arn(ACCOUNT, "arn:aws:iam::123456789012:role/x/Node").await.unwrap(), None);
}

#[tokio::test]
async fn trust_decides_which_service_may_assume_a_role() {
    let iam = iam();
    let cluster = iam.create_role(ACCOUNT, role_input("cluster", EKS_TRUST)).await.unwrap();
    let node = iam.create_role(ACCOUNT, role_input("node", EC2_TRUST)).await.unwrap();
    assert!(role_trusts_service(&cluster, "eks.amazonaws.com"));
    assert!(!role_trusts_service(&cluster, "ec2.amazonaws.com"));
    assert!(node.trusts_service("ec2.amazonaws.com"));
    iam.update_assume_role_policy(ACCOUNT, "node", EKS_TRUST).await.unwrap();
    assert!(iam.get_role(ACCOUNT, "node").await.unwrap().trusts_service("eks.amazonaws.com"));
    let error = iam.update_assume_role_policy(ACCOUNT, "node", "[]").await.unwrap_err();
    assert_eq!(code(&error), "MalformedPolicyDocument");
    let garbage = Role { assume_role_policy: "garbage".into(), ..cluster };
    assert!(!garbage.trusts_service("eks.amazonaws.com"));
}

#[tokio::test]
async fn list_roles_pages_with_markers_and_filters_by_path() {
    let iam = iam();
    for name in ["d", "b", "a", "c", "e"] {
        let path = if name < "c" { "/team/" } else { "/" };
        iam.create_role(ACCOUNT, CreateRole { path: Some(path.into()), ..role_input(name, EKS_TRUST) }).await.unwrap();
    }
    let mut paging = Paging { marker: None, max_items: Some(2) };
    let mut names = Vec::new();
    loop {
        let page = iam.list_roles(ACCOUNT, None, &paging).await.unwrap();
        assert!(page.items.len() <= 2);
        names.extend(page.items.into_iter().map(|r| r.name));
        match page.marker {
            Some(marker) => paging.marker = Some(marker),
            None => break,
        }
    }
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    let team = iam.list_roles(ACCOUNT, Some("/team/"), &Paging::default()).await.unwrap();
    assert_eq!(team.items.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(team.marker, None);
    for bad in [Some(0), Some(1001)] {
        let error = iam.list_roles(ACCOUNT, None, &Paging { marker: None, max_items: bad }).await.unwrap_err();
        assert_eq!(code(&error), "ValidationError");
    }
    let garbage = Paging { marker: Some("%%%".into()), max_items: None };
    assert_eq!(code(&iam.list_roles(ACCOUNT, None, &garbage).await.unwrap_err()), "InvalidInput");
    assert_eq!(code(&iam.list_roles(ACCOUNT, Some("team"), &Paging::default()).await.unwrap_err()), "ValidationError");
}

#[tokio::test]
async fn managed_policies_attach_count_and_block_deletes() {
    let iam = iam();
    iam.create_role(ACCOUNT, role_input("cluster", EKS_TRUST)).await.unwrap();
    let cluster_policy = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy";
    iam.attach_role_policy(ACCOUNT, "cluster", cluster_policy).await.unwrap();
    iam.attach_role_policy(ACCOUNT, "cluster", cluster_policy).await.unwrap();
    let attached = iam.list_attached_role_policies(ACCOUNT, "cluster", None, &Paging::default()).await.unwrap();
    assert_eq!(attached.items, [("AmazonEKSClusterPolicy".to_owned(), cluster_policy.to_owned())]);
    assert_eq!(iam.get_policy(ACCOUNT, cluster_policy).await.unwrap().attachment_count, 1);

    let missing = iam.attach_role_policy(ACCOUNT, "cluster", "arn:aws:iam::aws:policy/Nope").await.unwrap_err();
    assert_eq!(
        missing,
        IamError::NoSuchEntity("Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.".into())
    );
    assert_eq!(code(&iam.attach_role_policy(ACCOUNT, "nobody", cluster_policy).await.unwrap_err()), "NoSuchEntity");
    assert_eq!(code(&iam.delete_role(ACCOUNT, "cluster").await.unwrap_err()), "DeleteConflict");

    let local = iam.create_policy(ACCOUNT, "s3-read", None, S3_READ, None, Vec::new()).await.unwrap().policy;
    assert_eq!(local.arn, "arn:aws:iam::123456789012:policy/s3-read");
    assert!(local.id.starts_with("ANPA"));
    let duplicate = iam.create_policy(ACCOUNT, "S3-READ", None, S3_READ, None, Vec::new()).await.unwrap_err();
    assert_eq!(code(&duplicate), "EntityAlreadyExists");
    iam.attach_role_policy(ACCOUNT, "cluster", &local.arn).await.unwrap();
    assert_eq!(
        iam.delete_policy(ACCOUNT, &local.arn).await.unwrap_err(),
        IamError::DeleteConflict("Cannot delete a policy attached to entities.".into())
    );
    let attached_only = iam.list_policies(ACCOUNT, PolicyScope::Local, true, None, &Paging::default()).await.unwrap();
    assert_eq!(attached_only.items.len(), 1);
    let aws = iam.list_policies(ACCOUNT, PolicyScope::Aws, false, None, &Paging::default()).await.unwrap();
    assert!(aws.items.len() >= 17 && aws.items.iter().all(|v| v.policy.is_aws_managed()));
    let service_role =
        iam.list_policies(ACCOUNT, PolicyScope::All, false, Some("/service-role/"), &Paging::default()).await.unwrap();
    let names: Vec<_> = service_role.items.iter().map(|v| v.policy.name.as_str()).collect();
    assert_eq!(names, ["AmazonEBSCSIDriverPolicy", "AmazonEFSCSIDriverPolicy"]);

    iam.detach_role_policy(ACCOUNT, "cluster", &local.arn).await.unwrap();
    assert_eq!(code(&iam.detach_role_policy(ACCOUNT, "cluster", &local.arn).await.unwrap_err()), "NoSuchEntity");
    iam.delete_policy(ACCOUNT, &local.arn).await.unwrap();
    assert_eq!(code(&iam.get_policy(ACCOUNT, &local.arn).await.unwrap_err()), "NoSuchEntity");
    assert_eq!(code(&iam.delete_policy(ACCOUNT, cluster_policy).await.unwrap_err()), "UnmodifiableEntity");
    assert_eq!(code(&iam.get_policy(ACCOUNT, "short").await.unwrap_err()), "ValidationError");
}

#[tokio::test]
async fn a_role_keeps_at_most_ten_managed_policies() {
    let iam = iam();
    iam.create_role(ACCOUNT, role_input("r", EKS_TRUST)).await.unwrap();
    for policy in managed::policies().iter().take(MAX_ATTACHED_POLICIES) {
        iam.attach_role_policy(ACCOUNT, "r", &policy.arn).await.unwrap();
    }
    let eleventh = &managed::policies()[MAX_ATTACHED_POLICIES].arn;
    let error = iam.attach_role_policy(ACCOUNT, "r", eleventh).await.unwrap_err();
    assert_eq!(error, IamError::LimitExceeded("Cannot exceed quota for PoliciesPerRole: 10".into()));
}

#[tokio::test]
async fn policy_versions_keep_five_and_protect_the_default() {
    let iam = iam();
    let arn = iam.create_policy(ACCOUNT, "p", Some("/x/"), S3_READ, None, Vec::new()).await.unwrap().policy.arn;
    assert_eq!(arn, "arn:aws:iam::123456789012:policy/x/p");
    for expected in 2..=5 {
        let (version, _) = iam.create_policy_version(ACCOUNT, &arn, S3_READ, expected == 3).await.unwrap();
        assert_eq!(version.version_id, format!("v{expected}"));
    }
    let sixth = iam.create_policy_version(ACCOUNT, &arn, S3_READ, false).await.unwrap_err();
    assert_eq!(code(&sixth), "LimitExceeded");
    assert!(iam.get_policy_version(ACCOUNT, &arn, "v3").await.unwrap().1, "v3 was set as default");
    let listed = iam.list_policy_versions(ACCOUNT, &arn, &Paging::default()).await.unwrap();
    let ids: Vec<_> = listed.items.iter().map(|(v, default)| (v.version_id.as_str(), *default)).collect();
    assert_eq!(ids, [("v5", false), ("v4", false), ("v3", true), ("v2", false), ("v1", false)]);
    assert_eq!(code(&iam.delete_policy_version(ACCOUNT, &arn, "v3").await.unwrap_err()), "DeleteConflict");
    assert_eq!(code(&iam.delete_policy(ACCOUNT, &arn).await.unwrap_err()), "DeleteConflict");
    iam.delete_policy_version(ACCOUNT, &arn, "v1").await.unwrap();
    assert_eq!(code(&iam.get_policy_version(ACCOUNT, &arn, "v1").await.unwrap_err()), "NoSuchEntity");
    assert_eq!(code(&iam.get_policy_version(ACCOUNT, &arn, "1").await.unwrap_err()), "ValidationError");
    assert_eq!(code(&iam.set_default_policy_version(ACCOUNT, &arn, "v9").await.unwrap_err()), "NoSuchEntity");
    iam.set_default_policy_version(ACCOUNT, &arn, "v5").await.unwrap();
    assert_eq!(iam.get_policy(ACCOUNT, &arn).await.unwrap().policy.default_version, "v5");
    let bad = iam.create_policy_version(ACCOUNT, &arn, EKS_TRUST, false).await.unwrap_err();
    assert_eq!(code(&bad), "MalformedPolicyDocument");
}

#[tokio::test]
async fn inline_role_policies_keep_the_size_quota() {
    let iam = iam();
    iam.create_role(ACCOUNT, role_input("r", EKS_TRUST)).await.unwrap();
    iam.put_inline_policy(ACCOUNT, InlineOwner::Role("r"), "read", S3_READ).await.unwrap();
    let (name, document) = iam.get_inline_policy(ACCOUNT, InlineOwner::Role("r"), "READ").await.unwrap();
    assert_eq!((name.as_str(), document.as_str()), ("read", S3_READ));
    let names = iam.list_inline_policies(ACCOUNT, InlineOwner::Role("r"), &Paging::default()).await.unwrap().items;
    assert_eq!(names, ["read"]);
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":[{}]}}]}}"#,
        (0..400).map(|i| format!("\"arn:aws:s3:::bucket-{i}/*\"")).collect::<Vec<_>>().join(",")
    );
    let error = iam.put_inline_policy(ACCOUNT, InlineOwner::Role("r"), "big", &big).await.unwrap_err();
    assert_eq!(error, IamError::LimitExceeded("Maximum policy size of 10240 bytes exceeded for role r".into()));
    assert_eq!(
        code(&iam.put_inline_policy(ACCOUNT, InlineOwner::Role("r"), "trust", EKS_TRUST).await.unwrap_err()),
        "MalformedPolicyDocument"
    );
    assert_eq!(code(&iam.delete_role(ACCOUNT, "r").await.unwrap_err()), "DeleteConflict");
    iam.delete_inline_policy(ACCOUNT, InlineOwner::Role("r"), "read").await.unwrap();
    assert_eq!(
        iam.get_inline_policy(ACCOUNT, InlineOwner::Role("r"), "read").await.unwrap_err(),
        IamError::NoSuchEntity("The role policy with name read cannot be found.".into())
    );
    iam.delete_role(ACCOUNT, "r").await.unwrap();
    assert_eq!(code(&iam.delete_role(ACCOUNT, "r").await.unwrap_err()), "NoSuchEntity");
}

#[tokio::test]
async fn instance_profiles_hold_one_role() {
    let iam = iam();
    iam.create_role(ACCOUNT, role_input("node", EC2_TRUST)).await.unwrap();
    iam.create_role(ACCOUNT, role_input("other", EC2_TRUST)).await.unwrap();
    let created = iam.create_instance_profile(ACCOUNT, "node-profile", None, Vec::new()).await.unwrap();
    assert_eq!(created.profile.arn, "arn:aws:iam::123456789012:instance-profile/node-profile");
    assert!(created.profile.id.starts_with("AIPA"));
    let duplicate = iam.create_instance_profile(ACCOUNT, "node-profile", None, Vec::new()).await.unwrap_err();
    assert_eq!(duplicate, IamError::EntityAlreadyExists("Instance Profile node-profile already exists.".into()));
    iam.add_role_to_instance_profile(ACCOUNT, "node-profile", "node").await.unwrap();
    let full = iam.add_role_to_instance_profile(ACCOUNT, "node-profile", "other").await.unwrap_err();
    assert_eq!(full, IamError::LimitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1".into()));
    let view = iam.get_instance_profile(ACCOUNT, "node-profile").await.unwrap();
    assert_eq!(view.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["node"]);
    let for_role = iam.list_instance_profiles_for_role(ACCOUNT, "node", &Paging::default()).await.unwrap();
    assert_eq!(for_role.items.len(), 1);
    assert_eq!(code(&iam.delete_role(ACCOUNT, "node").await.unwrap_err()), "DeleteConflict");
    assert_eq!(code(&iam.delete_instance_profile(ACCOUNT, "node-profile").await.unwrap_err()), "DeleteConflict");
    let missing = iam.remove_role_from_instance_profile(ACCOUNT, "node-profile", "other").await.unwrap_err();
    assert_eq!(code(&missing), "NoSuchEntity");
    iam.remove_role_from_instance_profile(ACCOUNT, "node-profile", "node").await.unwrap();
    iam.delete_instance_profile(ACCOUNT, "node-profile").await.unwrap();
    assert_eq!(
        iam.get_instance_profile(ACCOUNT, "node-profile").await.unwrap_err(),
        IamError::NoSuchEntity("Instance Profile node-profile cannot be found.".into())
    );
    iam.delete_role(ACCOUNT, "node").await.unwrap();
}

#[tokio::test]
async fn oidc_providers_are_named_by_their_issuer() {
    let iam = iam();
    let url = "https://oidc.eks.us-east-1.amazonaws.com/id/ABCDEF";
    let provider = iam
        .create_open_id_connect_provider(ACCOUNT, url, vec!["sts.amazonaws.com".into()], Vec::new(), Vec::new())
        .await
        .unwrap();
    let arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABCDEF";
    assert_eq!(provider.arn, arn);
    let duplicate = iam.create_open_id_connect_provider(ACCOUNT, url, Vec::new(), Vec::new(), Vec::new()).await;
    assert_eq!(code(&duplicate.unwrap_err()), "EntityAlreadyExists");
    for bad in ["http://example.com", "https://", "example.com", "https://exa mple.com"] {
        let error = iam.create_open_id_connect_provider(ACCOUNT, bad, Vec::new(), Vec::new(), Vec::new()).await;
        assert_eq!(code(&error.unwrap_err()), "InvalidInput", "{bad}");
    }
    let short_thumbprint = iam
        .create_open_id_connect_provider(ACCOUNT, "https://other.example", Vec::new(), vec!["abc".into()], Vec::new())
        .await;
    assert_eq!(code(&short_thumbprint.unwrap_err()), "ValidationError");
    iam.add_client_id_to_open_id_connect_provider(ACCOUNT, arn, "my-app").await.unwrap();
    iam.add_client_id_to_open_id_connect_provider(ACCOUNT, arn, "my-app").await.unwrap();
    assert_eq!(
        iam.get_open_id_connect_provider(ACCOUNT, arn).await.unwrap().client_ids,
        ["sts.amazonaws.com", "my-app"]
    );
    iam.remove_client_id_from_open_id_connect_provider(ACCOUNT, arn, "sts.amazonaws.com").await.unwrap();
    assert_eq!(iam.list_open_id_connect_providers(ACCOUNT).await.unwrap(), [arn]);
    iam.delete_open_id_connect_provider(ACCOUNT, arn).await.unwrap();
    assert_eq!(
        iam.get_open_id_connect_provider(ACCOUNT, arn).await.unwrap_err(),
        IamError::NoSuchEntity(format!("OpenIDConnect Provider not found for arn {arn}"))
    );
    assert_eq!(
        code(&iam.get_open_id_connect_provider(ACCOUNT, "arn:aws:iam::1:role/not-a-provider").await.unwrap_err()),
        "InvalidInput"
    );
}

#[tokio::test]
async fn users_have_at_most_two_keys_that_identify_them() {
    let iam = iam();
    let user = iam.create_user(ACCOUNT, "alice", None, None, Vec::new()).await.unwrap();
    assert!(user.id.starts_with("AIDA") && user.id.len() == 21);
    assert_eq!(user.arn, "arn:aws:iam::123456789012:user/alice");
    assert_eq!(
        code(&iam.create_user(ACCOUNT, "ALICE", None, None, Vec::new()).await.unwrap_err()),
        "EntityAlreadyExists"
    );
    let first = iam.create_access_key(ACCOUNT, "alice").await.unwrap();
    assert!(first.id.starts_with("AKIA") && first.id.len() == 20, "{}", first.id);
    assert!(first.id[4..].chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    assert_eq!(first.secret.len(), 40);
    iam.create_access_key(ACCOUNT, "alice").await.unwrap();
    assert_eq!(
        iam.create_access_key(ACCOUNT, "alice").await.unwrap_err(),
        IamError::LimitExceeded("Cannot exceed quota for AccessKeysPerUser: 2".into())
    );
    let found = iam.access_key(&first.id).await.unwrap().unwrap();
    assert_eq!((found.account.as_str(), found.user_arn.as_str()), (ACCOUNT, user.arn.as_str()));
    assert_eq!(iam.access_key("AKIANOTAKEY00000000").await.unwrap(), None);
    assert_eq!(iam.access_key("../../etc").await.unwrap(), None);

    iam.update_access_key(ACCOUNT, "alice", &first.id, AccessKeyStatus::Inactive).await.unwrap();
    assert_eq!(iam.access_key(&first.id).await.unwrap().unwrap().status, AccessKeyStatus::Inactive);
    assert_eq!(code(&AccessKeyStatus::parse("Sleeping").unwrap_err()), "ValidationError");
    let wrong_user = iam.create_user(ACCOUNT, "bob", None, None, Vec::new()).await.unwrap();
    let error = iam.delete_access_key(ACCOUNT, &wrong_user.name, &first.id).await.unwrap_err();
    assert_eq!(error, IamError::NoSuchEntity(format!("The Access Key with id {} cannot be found.", first.id)));
    assert_eq!(code(&iam.delete_user(ACCOUNT, "alice").await.unwrap_err()), "DeleteConflict");
    for key in iam.list_access_keys(ACCOUNT, "alice", &Paging::default()).await.unwrap().items {
        iam.delete_access_key(ACCOUNT, "alice", &key.id).await.unwrap();
    }
    assert_eq!(
        code(&iam.update_access_key(ACCOUNT, "alice", "short", AccessKeyStatus::Active).await.unwrap_err()),
        "ValidationError"
    );
    iam.delete_user(ACCOUNT, "alice").await.unwrap();
    assert_eq!(
        iam.get_user(ACCOUNT, "alice").await.unwrap_err(),
        IamError::NoSuchEntity("The user with name alice cannot be found.".into())
    );
}

#[tokio::test]
async fn the_eks_service_linked_role_is_made_once_and_protected() {
    let iam = iam();
    let first = iam.ensure_eks_service_linked_role(ACCOUNT).await.unwrap();
    let again = iam.ensure_eks_service_linked_role(ACCOUNT).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(
        first.arn,
        "arn:aws:iam::123456789012:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"
    );
    assert!(first.trusts_service("eks.amazonaws.com"));
    for policy in &first.attached_policies {
        assert!(managed::policy(policy).is_some(), "{policy}");
    }
    assert_eq!(code(&iam.delete_role(ACCOUNT, EKS_SERVICE_LINKED_ROLE).await.unwrap_err()), "UnmodifiableEntity");
    let error = iam.update_assume_role_policy(ACCOUNT, EKS_SERVICE_LINKED_ROLE, EC2_TRUST).await.unwrap_err();
    assert_eq!(code(&error), "UnmodifiableEntity");
}

#[tokio::test]
async fn role_tags_merge_by_key_and_page() {
    let iam = iam();
    let tags = vec![Tag { key: "team".into(), value: "a".into() }];
    iam.create_role(ACCOUNT, CreateRole { tags, ..role_input("r", EKS_TRUST) }).await.unwrap();
    iam.tag(
        ACCOUNT,
        Taggable::Role("r"),
        vec![Tag { key: "TEAM".into(), value: "b".into() }, Tag { key: "env".into(), value: "dev".into() }],
    )
    .await
    .unwrap();
    let listed = iam.list_tags(ACCOUNT, Taggable::Role("r"), &Paging::default()).await.unwrap().items;
    assert_eq!(listed, [Tag { key: "team".into(), value: "b".into() }, Tag { key: "env".into(), value: "dev".into() }]);
    iam.untag(ACCOUNT, Taggable::Role("r"), &["Team".into()]).await.unwrap();
    assert_eq!(iam.get_role(ACCOUNT, "r").await.unwrap().tags.len(), 1);
    let duplicate = vec![Tag { key: "a".into(), value: String::new() }, Tag { key: "A".into(), value: String::new() }];
    assert_eq!(code(&iam.tag(ACCOUNT, Taggable::Role("r"), duplicate).await.unwrap_err()), "InvalidInput");
    iam.update_role(ACCOUNT, "r", Some("the role".into()), Some(7200)).await.unwrap();
    let role = iam.get_role(ACCOUNT, "r").await.unwrap();
    assert_eq!((role.description.as_deref(), role.max_session_duration), (Some("the role"), 7200));
    assert_eq!(code(&iam.update_role(ACCOUNT, "r", None, Some(1)).await.unwrap_err()), "ValidationError");
}

#[test]
fn every_catalog_policy_is_a_valid_managed_policy_with_a_stable_id() {
    let policies = managed::policies();
    assert!(policies.len() >= 17);
    for policy in &policies {
        Policy::parse(policy.default_document(), PolicyKind::Managed)
            .unwrap_or_else(|e| panic!("{}: {e}", policy.name));
        assert!(policy.id.starts_with("ANPA") && policy.id.len() == 21, "{}", policy.id);
        assert_eq!(managed::policy(&policy.arn).as_ref(), Some(policy));
    }
    let mut ids: Vec<_> = policies.iter().map(|p| p.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), policies.len(), "ids are distinct");
    assert_eq!(managed::policy("arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicy"), None, "the path is part of it");
}

/// Every operation refuses garbage with one of IAM's caller errors, never a panic or a server failure.
#[tokio::test]
async fn garbage_input_is_refused_with_caller_errors() {
    let iam = iam();
    iam.create_role(ACCOUNT, role_input("r", EKS_TRUST)).await.unwrap();
    iam.create_user(ACCOUNT, "u", None, None, Vec::new()).await.unwrap();
    let long = "x".repeat(5000);
    let garbage = ["", " ", "\u{0}", "a/b", "../..", "%ZZ", "arn:", "arn:aws:iam::123456789012:policy/", "é", &long];
    let paging = Paging::default();
    for text in garbage {
        let results = [
            iam.get_role(ACCOUNT, text).await.map(drop),
            iam.create_role(ACCOUNT, role_input(text, EKS_TRUST)).await.map(drop),
            iam.create_role(ACCOUNT, role_input("g", text)).await.map(drop),
            iam.create_role(ACCOUNT, CreateRole { path: Some(text.into()), ..role_input("g", EKS_TRUST) })
                .await
                .map(drop),
            iam.update_assume_role_policy(ACCOUNT, "r", text).await,
            iam.put_inline_policy(ACCOUNT, InlineOwner::Role("r"), text, S3_READ).await,
            iam.put_inline_policy(ACCOUNT, InlineOwner::Role("r"), "p", text).await,
            iam.get_policy(ACCOUNT, text).await.map(drop),
            iam.create_policy(ACCOUNT, "g", None, text, None, Vec::new()).await.map(drop),
            iam.get_policy_version(ACCOUNT, "arn:aws:iam::aws:policy/AdministratorAccess", text).await.map(drop),
            iam.attach_role_policy(ACCOUNT, "r", text).await,
            iam.detach_user_policy(ACCOUNT, "u", text).await,
            iam.create_instance_profile(ACCOUNT, text, None, Vec::new()).await.map(drop),
            iam.add_role_to_instance_profile(ACCOUNT, text, "r").await,
            iam.create_open_id_connect_provider(ACCOUNT, text, Vec::new(), Vec::new(), Vec::new()).await.map(drop),
            iam.get_open_id_connect_provider(ACCOUNT, text).await.map(drop),
            iam.add_client_id_to_open_id_connect_provider(ACCOUNT, text, "c").await,
            iam.create_user(ACCOUNT, text, None, None, Vec::new()).await.map(drop),
            iam.update_access_key(ACCOUNT, "u", text, AccessKeyStatus::Active).await,
            iam.list_roles(ACCOUNT, Some(text), &paging).await.map(drop),
            iam.list_roles(ACCOUNT, None, &Paging { marker: Some(text.into()), max_items: None }).await.map(drop),
        ];
        for (index, result) in results.into_iter().enumerate() {
            let error = result.expect_err(&format!("operation {index} accepted {text:.20?}"));
            assert_ne!(code(&error), "ServiceFailure", "operation {index} with {text:.20?}: {error}");
        }
    }
    assert!(iam.access_key("").await.unwrap().is_none());
    assert!(iam.access_key(&long).await.unwrap().is_none());
}

#[tokio::test]
async fn every_taggable_entity_takes_tags_the_same_way() {
    let iam = iam();
    iam.create_user(ACCOUNT, "alice", None, None, Vec::new()).await.unwrap();
    let policy = iam.create_policy(ACCOUNT, "p", None, S3_READ, None, Vec::new()).await.unwrap().policy.arn;
    iam.create_instance_profile(ACCOUNT, "nodes", None, Vec::new()).await.unwrap();
    let provider = iam
        .create_open_id_connect_provider(
            ACCOUNT,
            "https://oidc.example.com/id/A",
            vec!["sts.amazonaws.com".into()],
            Vec::new(),
            Vec::new(),
        )
        .await
        .unwrap()
        .arn;
    let tag = |key: &str, value: &str| Tag { key: key.into(), value: value.into() };
    for target in [
        Taggable::User("alice"),
        Taggable::Policy(&policy),
        Taggable::InstanceProfile("nodes"),
        Taggable::OpenIdConnectProvider(&provider),
    ] {
        iam.tag(ACCOUNT, target, vec![tag("team", "a"), tag("env", "dev")]).await.unwrap();
        iam.tag(ACCOUNT, target, vec![tag("TEAM", "b")]).await.unwrap();
        let listed = iam.list_tags(ACCOUNT, target, &Paging::default()).await.unwrap().items;
        assert_eq!(listed, [tag("team", "b"), tag("env", "dev")], "{target:?}");
        iam.untag(ACCOUNT, target, &["ENV".into(), "absent".into()]).await.unwrap();
        assert_eq!(iam.list_tags(ACCOUNT, target, &Paging::default()).await.unwrap().items, [tag("team", "b")]);
        let too_many: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert_eq!(code(&iam.tag(ACCOUNT, target, too_many).await.unwrap_err()), "LimitExceeded", "{target:?}");
        let bad_key = vec![tag("a\0b", "v")];
        assert_ne!(code(&iam.tag(ACCOUNT, target, bad_key).await.unwrap_err()), "ServiceFailure", "{target:?}");
    }
    assert_eq!(iam.get_user(ACCOUNT, "alice").await.unwrap().tags, [tag("team", "b")]);
    for missing in [
        Taggable::User("bob"),
        Taggable::Role("nobody"),
        Taggable::InstanceProfile("none"),
        Taggable::Policy("arn:aws:iam::123456789012:policy/none"),
        Taggable::OpenIdConnectProvider("arn:aws:iam::123456789012:oidc-provider/none.example.com"),
    ] {
        let error = iam.tag(ACCOUNT, missing, vec![tag("a", "b")]).await.unwrap_err();
        assert_eq!(code(&error), "NoSuchEntity", "{missing:?}");
        assert_eq!(code(&iam.list_tags(ACCOUNT, missing, &Paging::default()).await.unwrap_err()), "NoSuchEntity");
    }
    let aws_managed = Taggable::Policy("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy");
    assert_eq!(code(&iam.tag(ACCOUNT, aws_managed, vec![tag("a", "b")]).await.unwrap_err()), "UnmodifiableEntity");
}

#[tokio::test]
async fn groups_hold_users_and_policies_that_become_their_members() {
    let iam = iam();
    iam.create_user(ACCOUNT, "alice", None, None, Vec::new()).await.unwrap();
    let group = iam.create_group(ACCOUNT, "devs", Some("/teams/")).await.unwrap();
    assert_eq!(group.arn, format!("arn:aws:iam::{ACCOUNT}:group/teams/devs"));
    assert!(group.id.starts_with("AGPA"));
    assert_eq!(code(&iam.create_group(ACCOUNT, "DEVS", None).await.unwrap_err()), "EntityAlreadyExists");

    iam.add_user_to_group(ACCOUNT, "devs", "alice").await.unwrap();
    iam.add_user_to_group(ACCOUNT, "devs", "ALICE").await.unwrap();
    let (read, members) = iam.get_group(ACCOUNT, "devs", &Paging::default()).await.unwrap();
    assert_eq!((read.members, members.items.len()), (vec!["alice".to_owned()], 1));
    let groups = iam.list_groups_for_user(ACCOUNT, "alice", &Paging::default()).await.unwrap().items;
    assert_eq!(groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["devs"]);
    assert_eq!(code(&iam.add_user_to_group(ACCOUNT, "devs", "bob").await.unwrap_err()), "NoSuchEntity");
    assert_eq!(code(&iam.add_user_to_group(ACCOUNT, "ops", "alice").await.unwrap_err()), "NoSuchEntity");

    // The group's policies, attached and inline, are its members' too.
    let managed = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy";
    iam.attach_group_policy(ACCOUNT, "devs", managed).await.unwrap();
    iam.put_inline_policy(ACCOUNT, InlineOwner::Group("devs"), "read", S3_READ).await.unwrap();
    iam.put_inline_policy(ACCOUNT, InlineOwner::User("alice"), "own", S3_READ).await.unwrap();
    let policies = iam.principal_policies(ACCOUNT, PolicyHolder::User("alice")).await.unwrap();
    let names: Vec<&str> = policies.identity.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, [managed, "own", "read"]);
    let attached = iam.list_attached_group_policies(ACCOUNT, "devs", None, &Paging::default()).await.unwrap();
    assert_eq!(attached.items, [("AmazonEKSClusterPolicy".to_owned(), managed.to_owned())]);
    let view = iam.get_policy(ACCOUNT, managed).await.unwrap();
    assert_eq!(view.attachment_count, 1, "a group's attachment counts");

    // Nothing goes while something still hangs on it.
    assert_eq!(code(&iam.delete_user(ACCOUNT, "alice").await.unwrap_err()), "DeleteConflict");
    assert_eq!(code(&iam.delete_group(ACCOUNT, "devs").await.unwrap_err()), "DeleteConflict");
    iam.remove_user_from_group(ACCOUNT, "devs", "alice").await.unwrap();
    assert_eq!(code(&iam.remove_user_from_group(ACCOUNT, "devs", "alice").await.unwrap_err()), "NoSuchEntity");
    assert_eq!(code(&iam.delete_group(ACCOUNT, "devs").await.unwrap_err()), "DeleteConflict");
    iam.detach_group_policy(ACCOUNT, "devs", managed).await.unwrap();
    iam.delete_inline_policy(ACCOUNT, InlineOwner::Group("devs"), "read").await.unwrap();
    iam.delete_group(ACCOUNT, "devs").await.unwrap();
    assert_eq!(code(&iam.delete_user(ACCOUNT, "alice").await.unwrap_err()), "DeleteConflict", "its own policy");
    iam.delete_inline_policy(ACCOUNT, InlineOwner::User("alice"), "own").await.unwrap();
    iam.delete_user(ACCOUNT, "alice").await.unwrap();
}

#[tokio::test]
async fn a_user_joins_at_most_ten_groups_and_inline_policies_keep_each_owners_quota() {
    let iam = iam();
    iam.create_user(ACCOUNT, "alice", None, None, Vec::new()).await.unwrap();
    for index in 0..=MAX_GROUPS_PER_USER {
        let name = format!("g{index}");
        iam.create_group(ACCOUNT, &name, None).await.unwrap();
        let joined = iam.add_user_to_group(ACCOUNT, &name, "alice").await;
        if index < MAX_GROUPS_PER_USER {
            joined.unwrap();
        } else {
            assert_eq!(code(&joined.unwrap_err()), "LimitExceeded");
        }
    }
    // 2,048 bytes for a user's inline policies, 5,120 for a group's.
    let sized = |statements: usize| {
        let resources: Vec<String> = (0..statements).map(|i| format!("\"arn:aws:s3:::b{i}/*\"")).collect();
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":[{}]}}]}}"#,
            resources.join(",")
        )
    };
    let user = iam.put_inline_policy(ACCOUNT, InlineOwner::User("alice"), "big", &sized(150)).await.unwrap_err();
    assert_eq!(user, IamError::LimitExceeded("Maximum policy size of 2048 bytes exceeded for user alice".into()));
    iam.put_inline_policy(ACCOUNT, InlineOwner::Group("g0"), "big", &sized(150)).await.unwrap();
    let group = iam.put_inline_policy(ACCOUNT, InlineOwner::Group("g0"), "bigger", &sized(150)).await.unwrap_err();
    assert_eq!(code(&group), "LimitExceeded");
    for (owner, word) in [(InlineOwner::User("bob"), "user"), (InlineOwner::Group("nope"), "group")] {
        let missing = iam.put_inline_policy(ACCOUNT, owner, "p", S3_READ).await.unwrap_err();
        assert_eq!(code(&missing), "NoSuchEntity");
        assert!(missing.to_string().contains(word));
    }
    let absent = iam.get_inline_policy(ACCOUNT, InlineOwner::Group("g0"), "none").await.unwrap_err();
    assert_eq!(absent, IamError::NoSuchEntity("The group policy with name none cannot be found.".into()));
    assert_eq!(code(&iam.create_group(ACCOUNT, "bad\0name", None).await.unwrap_err()), "ValidationError");
}

#[tokio::test]
async fn service_linked_roles_are_made_once_per_name_and_only_their_service_changes_them() {
    let iam = iam();
    let role = iam.create_service_linked_role(ACCOUNT, "eks-nodegroup.amazonaws.com", None, None).await.unwrap();
    assert_eq!(
        role.arn,
        format!(
            "arn:aws:iam::{ACCOUNT}:role/aws-service-role/eks-nodegroup.amazonaws.com/AWSServiceRoleForAmazonEKSNodegroup"
        )
    );
    assert!(role.trusts_service("eks-nodegroup.amazonaws.com") && role.is_service_linked());
    let attached = iam.list_attached_role_policies(ACCOUNT, &role.name, None, &Paging::default()).await.unwrap();
    assert_eq!(attached.items[0].0, "AWSServiceRoleForAmazonEKSNodegroup", "the policy is in the catalog");
    let taken = iam.create_service_linked_role(ACCOUNT, "eks-nodegroup.amazonaws.com", None, None).await.unwrap_err();
    assert_eq!(taken, IamError::InvalidInput("Service role name AWSServiceRoleForAmazonEKSNodegroup has been taken in this account, please try a different suffix.".into()));
    let suffixed =
        iam.create_service_linked_role(ACCOUNT, "autoscaling.amazonaws.com", None, Some("nodes")).await.unwrap();
    assert_eq!(suffixed.name, "AWSServiceRoleForAutoScaling_nodes");
    for (service, suffix) in
        [("eks.amazonaws.com", Some("x")), ("nope.amazonaws.com", None), ("autoscaling.amazonaws.com", Some("a\0b"))]
    {
        let refused = iam.create_service_linked_role(ACCOUNT, service, None, suffix).await.unwrap_err();
        assert!(matches!(refused, IamError::InvalidInput(_) | IamError::Validation(_)), "{service}: {refused:?}");
    }
    let refused = iam.put_inline_policy(ACCOUNT, InlineOwner::Role(&role.name), "p", S3_READ).await.unwrap_err();
    assert_eq!(code(&refused), "UnmodifiableEntity");
    // The EKS role a first cluster makes is the same role CreateServiceLinkedRole makes.
    let eks = iam.ensure_eks_service_linked_role(ACCOUNT).await.unwrap();
    assert_eq!(iam.ensure_eks_service_linked_role(ACCOUNT).await.unwrap().id, eks.id);
    assert!(iam.create_service_linked_role(ACCOUNT, "eks.amazonaws.com", None, None).await.is_err());

    let task = iam.delete_service_linked_role(ACCOUNT, &role.name).await.unwrap();
    assert!(task.starts_with("task/aws-service-role/eks-nodegroup.amazonaws.com/AWSServiceRoleForAmazonEKSNodegroup/"));
    assert_eq!(iam.service_linked_role_deletion_status(ACCOUNT, &task).await.unwrap(), "SUCCEEDED");
    assert_eq!(code(&iam.get_role(ACCOUNT, &role.name).await.unwrap_err()), "NoSuchEntity");
    assert_eq!(code(&iam.service_linked_role_deletion_status(ACCOUNT, "garbage").await.unwrap_err()), "InvalidInput");
    iam.create_role(ACCOUNT, role_input("plain", EKS_TRUST)).await.unwrap();
    assert_eq!(code(&iam.delete_service_linked_role(ACCOUNT, "plain").await.unwrap_err()), "InvalidInput");
}

#[tokio::test]
async fn authorization_details_list_each_kind_with_what_decides_it() {
    let iam = iam();
    iam.create_user(ACCOUNT, "alice", None, None, Vec::new()).await.unwrap();
    iam.create_group(ACCOUNT, "devs", None).await.unwrap();
    iam.add_user_to_group(ACCOUNT, "devs", "alice").await.unwrap();
    iam.create_role(ACCOUNT, role_input("r", EKS_TRUST)).await.unwrap();
    iam.attach_role_policy(ACCOUNT, "r", "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy").await.unwrap();
    iam.create_instance_profile(ACCOUNT, "nodes", None, Vec::new()).await.unwrap();
    iam.add_role_to_instance_profile(ACCOUNT, "nodes", "r").await.unwrap();
    iam.create_policy(ACCOUNT, "local", None, S3_READ, None, Vec::new()).await.unwrap();

    let all = iam.account_authorization_details(ACCOUNT, &[], &Paging::default()).await.unwrap();
    let kinds: Vec<String> = all
        .items
        .iter()
        .map(|detail| match detail {
            AuthorizationDetail::User(user, groups) => format!("user {} {groups:?}", user.name),
            AuthorizationDetail::Group(group) => format!("group {}", group.name),
            AuthorizationDetail::Role(role, profiles) => format!("role {} {}", role.name, profiles.len()),
            AuthorizationDetail::Policy(view) => format!("policy {} {}", view.policy.name, view.attachment_count),
        })
        .collect();
    assert_eq!(
        kinds,
        ["user alice [\"devs\"]", "group devs", "role r 1", "policy local 0", "policy AmazonEKSClusterPolicy 1"]
    );
    let roles = iam.account_authorization_details(ACCOUNT, &["Role".into()], &Paging::default()).await.unwrap();
    assert_eq!(roles.items.len(), 1);
    let first = Paging { max_items: Some(2), marker: None };
    let page = iam.account_authorization_details(ACCOUNT, &[], &first).await.unwrap();
    assert_eq!(page.items.len(), 2);
    let rest = Paging { max_items: Some(10), marker: page.marker };
    assert_eq!(iam.account_authorization_details(ACCOUNT, &[], &rest).await.unwrap().items.len(), 3);
    let bad = iam.account_authorization_details(ACCOUNT, &["Robot".into()], &Paging::default()).await.unwrap_err();
    assert_eq!(code(&bad), "ValidationError");
}
