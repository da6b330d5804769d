use super::*;
use crate::eks::access::{AccessScope, AssociatedPolicy};

const ACCOUNT: &str = "000000000000";
const BOB: &str = "arn:aws:iam::000000000000:user/bob";
const ADMINS_SESSION: &str = "arn:aws:sts::000000000000:assumed-role/admins/alice@example.com";
const ADMINS: &str = "arn:aws:iam::000000000000:role/admins";
const POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/";

fn entry(principal: &str, username: &str, groups: &[&str]) -> AccessEntry {
    AccessEntry {
        cluster: "demo".into(),
        principal_arn: principal.into(),
        arn: String::new(),
        kubernetes_groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        username: username.into(),
        kind: "STANDARD".into(),
        created_at: 0.0,
        modified_at: 0.0,
        tags: BTreeMap::new(),
        policies: Vec::new(),
    }
}

fn aws_auth(roles: &str, users: &str) -> AwsAuth {
    let data = [("mapRoles".to_owned(), roles.to_owned()), ("mapUsers".to_owned(), users.to_owned())];
    AwsAuth::parse(&data.into_iter().collect())
}

fn identity(arn: &str) -> AwsIdentity {
    let account = arn.split(':').nth(4).unwrap_or(ACCOUNT);
    AwsIdentity { arn: arn.into(), account: account.into(), access_key_id: "AKIDEXAMPLE".into() }
}

/// Maps `arn` in a cluster of `mode` and compares the user name and groups.
fn check(mode: &str, arn: &str, entries: &[AccessEntry], auth: Option<&AwsAuth>, expect: Option<(&str, &[&str])>) {
    let caller = identity(arn);
    let input = MappingInput {
        authentication_mode: mode,
        caller: &caller,
        entries,
        aws_auth: auth,
        bootstrap_creator: None,
        ec2_private_dns_name: None,
    };
    let got = map_identity(&input).map(|identity| (identity.username, identity.groups));
    let want = expect.map(|(name, groups)| (name.to_owned(), groups.iter().map(|g| (*g).to_owned()).collect()));
    assert_eq!(got, want, "{mode} {arn}");
}

const ROLES: &str = "
- rolearn: arn:aws:iam::000000000000:role/admins
  username: admin:{{AccountID}}:{{SessionName}}
  groups: [ops, 'team-{{SessionNameRaw}}']
- rolearn: arn:aws:iam::000000000000:role/nodes
  username: system:node:{{EC2PrivateDNSName}}
  groups: [system:bootstrappers, system:nodes]
";
const USERS: &str = "
- userarn: ARN:AWS:IAM::000000000000:USER/BOB
  username: bob
  groups:
    - viewers
";

#[test]
fn each_mode_reads_its_own_sources() {
    let entries = [entry(BOB, BOB, &["devs"])];
    let auth = aws_auth(ROLES, USERS);
    check("API", BOB, &entries, Some(&auth), Some((BOB, &["devs"])));
    check("API_AND_CONFIG_MAP", BOB, &entries, Some(&auth), Some((BOB, &["devs"])));
    check("CONFIG_MAP", BOB, &entries, Some(&auth), Some(("bob", &["viewers"])));
    check("API_AND_CONFIG_MAP", BOB, &[], Some(&auth), Some(("bob", &["viewers"])));
    check("API", BOB, &[], Some(&auth), None);
    check("CONFIG_MAP", BOB, &[], None, None);
    check("API_AND_CONFIG_MAP", "arn:aws:iam::000000000000:user/carol", &entries, Some(&auth), None);
    check("API", "arn:aws:iam::111111111111:user/bob", &entries, None, None);
}

#[test]
fn role_sessions_map_through_their_role_with_templates_expanded() {
    let entry_name = "arn:aws:sts::000000000000:assumed-role/admins/{{SessionName}}";
    let with_path = [entry("arn:aws:iam::000000000000:role/dev/admins", entry_name, &["g-{{AccountID}}"])];
    let session_user = "arn:aws:sts::000000000000:assumed-role/admins/alice-example.com";
    check("API", ADMINS_SESSION, &with_path, None, Some((session_user, &["g-000000000000"])));
    let auth = aws_auth(ROLES, USERS);
    let groups: &[&str] = &["ops", "team-alice@example.com"];
    check("CONFIG_MAP", ADMINS_SESSION, &[], Some(&auth), Some(("admin:000000000000:alice-example.com", groups)));
    // The private DNS name of a node is not known: the node role maps no one, as a failed EC2 lookup does.
    check("CONFIG_MAP", "arn:aws:sts::000000000000:assumed-role/nodes/i-0123456789abcdef0", &[], Some(&auth), None);
    let path_role = aws_auth("- rolearn: arn:aws:iam::000000000000:role/dev/admins\n  username: a\n", "");
    check("CONFIG_MAP", ADMINS_SESSION, &[], Some(&path_role), None);
}

#[test]
fn node_entries_join_the_node_groups_and_resolve_their_dns_name() {
    let mut node = entry("arn:aws:iam::000000000000:role/nodes", "system:node:{{EC2PrivateDNSName}}", &[]);
    node.kind = "EC2_LINUX".into();
    let caller = identity("arn:aws:sts::000000000000:assumed-role/nodes/i-0123456789abcdef0");
    let entries = [node];
    let mut input = MappingInput {
        authentication_mode: "API",
        caller: &caller,
        entries: &entries,
        aws_auth: None,
        bootstrap_creator: None,
        ec2_private_dns_name: Some("ip-10-0-1-5.ec2.internal"),
    };
    let mapped = map_identity(&input).expect("mapped");
    assert_eq!(
        (mapped.username.as_str(), mapped.groups),
        ("system:node:ip-10-0-1-5.ec2.internal", vec!["system:nodes".to_owned()])
    );
    input.ec2_private_dns_name = None;
    assert_eq!(map_identity(&input), None);
}

#[test]
fn auto_mode_node_entries_join_the_node_groups_with_their_policy() {
    let mut node = entry("arn:aws:iam::000000000000:role/auto-node", "system:node:{{EC2PrivateDNSName}}", &[]);
    node.kind = "EC2".into();
    node.policies.push(AssociatedPolicy {
        policy_arn: format!("{POLICY}AmazonEKSAutoNodePolicy"),
        scope: AccessScope { kind: "cluster".into(), namespaces: Vec::new() },
        associated_at: 0.0,
        modified_at: 0.0,
    });
    let caller = identity("arn:aws:sts::000000000000:assumed-role/auto-node/i-0123456789abcdef0");
    let entries = [node];
    let input = MappingInput {
        authentication_mode: "API",
        caller: &caller,
        entries: &entries,
        aws_auth: None,
        bootstrap_creator: None,
        ec2_private_dns_name: Some("ip-10-0-1-6.ec2.internal"),
    };
    let mapped = map_identity(&input).expect("mapped");
    assert_eq!(mapped.username, "system:node:ip-10-0-1-6.ec2.internal");
    assert_eq!(mapped.groups, ["system:nodes"]);
    assert_eq!(
        mapped.policies,
        [PolicyGrant { policy_arn: format!("{POLICY}AmazonEKSAutoNodePolicy"), namespaces: None }]
    );
}

#[test]
fn access_policies_come_with_their_scope() {
    let mut admin = entry(BOB, BOB, &[]);
    let policy = |name: &str, kind: &str, namespaces: &[&str]| AssociatedPolicy {
        policy_arn: format!("{POLICY}{name}"),
        scope: AccessScope { kind: kind.into(), namespaces: namespaces.iter().map(|n| (*n).to_owned()).collect() },
        associated_at: 0.0,
        modified_at: 0.0,
    };
    admin.policies =
        vec![policy("AmazonEKSViewPolicy", "namespace", &["team-*"]), policy("AmazonEKSEditPolicy", "cluster", &[])];
    let caller = identity(BOB);
    let entries = [admin];
    let input = MappingInput {
        authentication_mode: "API_AND_CONFIG_MAP",
        caller: &caller,
        entries: &entries,
        aws_auth: None,
        bootstrap_creator: None,
        ec2_private_dns_name: None,
    };
    assert_eq!(
        map_identity(&input).expect("mapped").policies,
        [
            PolicyGrant { policy_arn: format!("{POLICY}AmazonEKSViewPolicy"), namespaces: Some(vec!["team-*".into()]) },
            PolicyGrant { policy_arn: format!("{POLICY}AmazonEKSEditPolicy"), namespaces: None },
        ]
    );
}

#[test]
fn the_creator_of_a_config_map_cluster_is_kubernetes_admin() {
    let creator = identity(ADMINS_SESSION);
    let mut input = MappingInput {
        authentication_mode: "CONFIG_MAP",
        caller: &creator,
        entries: &[],
        aws_auth: None,
        bootstrap_creator: Some("arn:aws:sts::000000000000:assumed-role/admins/other-session"),
        ec2_private_dns_name: None,
    };
    let mapped = map_identity(&input).expect("the creator's role is mapped");
    assert_eq!((mapped.username.as_str(), mapped.groups), ("kubernetes-admin", vec!["system:masters".to_owned()]));
    input.authentication_mode = "API";
    assert_eq!(map_identity(&input), None, "in API mode only the creator's access entry counts");
    input.authentication_mode = "CONFIG_MAP";
    input.bootstrap_creator = Some(BOB);
    assert_eq!(map_identity(&input), None);
}

#[test]
fn garbage_in_aws_auth_is_ignored_entry_by_entry() {
    let users = "
- userarn: arn:aws:iam::000000000000:user/bob
  username: bob
  groups: viewers
- username: nobody
- userarn: arn:aws:iam::000000000000:user/bob
  username: bob2
  groups: [viewers]
";
    check("CONFIG_MAP", BOB, &[], Some(&aws_auth("", users)), Some(("bob2", &["viewers"])));
    for garbage in ["{not: [yaml", "just a string", "- 1\n- 2", "rolearn: x", "\u{0}\u{1}", "- {userarn: [1]}"] {
        check("CONFIG_MAP", BOB, &[], Some(&aws_auth(garbage, garbage)), None);
    }
    let broken_roles = aws_auth("{{{", USERS);
    check("CONFIG_MAP", BOB, &[], Some(&broken_roles), Some(("bob", &["viewers"])));
    let data = [("mapAccounts".to_owned(), "- \"000000000000\"\n- 111111111111\n- [x]\n".to_owned())];
    let accounts = AwsAuth::parse(&data.into_iter().collect());
    assert_eq!(accounts.map_accounts, ["000000000000", "111111111111"]);
    check("CONFIG_MAP", BOB, &[], Some(&accounts), Some((BOB, &[])));
    check("CONFIG_MAP", "arn:aws:iam::222222222222:user/bob", &[], Some(&accounts), None);
}

#[test]
fn canonical_arns_name_the_role_of_a_session() {
    assert_eq!(canonical_arn(ADMINS_SESSION), ADMINS);
    for unchanged in [BOB, ADMINS, "arn:aws:iam::000000000000:root", "arn:aws:sts::000000000000:assumed-role/x", ""] {
        assert_eq!(canonical_arn(unchanged), unchanged);
    }
    assert_eq!(identity(ADMINS_SESSION).session_name(), "alice@example.com");
    assert_eq!(identity(BOB).session_name(), "");
}

#[test]
fn access_policies_mirror_upstream_roles() {
    for (policy, role) in [
        ("AmazonEKSClusterAdminPolicy", Some("cluster-admin")),
        ("AmazonEKSAdminPolicy", Some("admin")),
        ("AmazonEKSEditPolicy", Some("edit")),
        ("AmazonEKSViewPolicy", Some("view")),
        ("AmazonEKSAdminViewPolicy", None),
        ("AmazonEKSNetworkingPolicy", None),
    ] {
        assert_eq!(upstream_cluster_role(&format!("{POLICY}{policy}")), role, "{policy}");
    }
    assert_eq!(upstream_cluster_role("arn:aws:iam::aws:policy/AmazonEKSViewPolicy"), None);
}
