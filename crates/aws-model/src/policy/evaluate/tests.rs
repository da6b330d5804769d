use super::{Decision, PolicySet, PolicyType, StatementRef, evaluate};
use crate::policy::document::{Policy, PolicyKind};
use crate::policy::request::{Principal, Request};

const ACCOUNT: &str = "123456789012";
const USER: &str = "arn:aws:iam::123456789012:user/division/carlos";
const ROLE: &str = "arn:aws:iam::123456789012:role/path/app";
const SESSION: &str = "arn:aws:sts::123456789012:assumed-role/app/session";
const ISSUER: &str = "oidc.eks.us-east-1.amazonaws.com/id/ABC";

fn user() -> Principal {
    Principal::user(USER).with_user_id("AIDAEXAMPLE").with_tag("team", "eks")
}

fn session() -> Principal {
    Principal::assumed_role(SESSION, ROLE)
}

fn provider() -> String {
    format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}")
}

/// Short names for decisions: `allow`, `deny` (explicit), `implicit` (no identity policy allows),
/// `implicit-boundary`, `implicit-resource`.
fn outcome(decision: &Decision) -> &'static str {
    match decision {
        Decision::Allow(_) => "allow",
        Decision::ExplicitDeny(_) => "deny",
        Decision::ImplicitDeny(PolicyType::Identity) => "implicit",
        Decision::ImplicitDeny(PolicyType::Boundary) => "implicit-boundary",
        Decision::ImplicitDeny(PolicyType::Resource) => "implicit-resource",
    }
}

fn identity(json: &str) -> Policy {
    Policy::parse(json, PolicyKind::Inline).expect("valid identity policy")
}

fn trust(json: &str) -> Policy {
    Policy::parse(json, PolicyKind::Trust).expect("valid trust policy")
}

/// One identity policy (a statement list) against one request.
fn check(statements: &str, request: Request, expect: &str) {
    let policy = identity(&format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#));
    let decision = evaluate(&request, &PolicySet::new().identity("policy", &policy));
    assert_eq!(outcome(&decision), expect, "{statements} for {request:?}");
}

/// One trust policy against one request, with no identity policies.
fn check_trust(json: &str, request: Request, expect: &str) {
    let policy = trust(json);
    let decision = evaluate(&request, &PolicySet::new().resource("trust", &policy));
    assert_eq!(outcome(&decision), expect, "{json} for {request:?}");
}

fn get(resource: &str) -> Request {
    Request::new(user(), "s3:GetObject", resource)
}

const ALLOW_ALL: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;

#[test]
fn actions_match_with_wildcards_and_without_case() {
    let any = "arn:aws:s3:::b/k";
    check(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#, get(any), "allow");
    check(r#"{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}"#, get(any), "allow");
    check(r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}"#, get(any), "allow");
    check(r#"{"Effect":"Allow","Action":"s3:?etObject","Resource":"*"}"#, get(any), "allow");
    check(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#, get(any), "allow");
    check(r#"{"Effect":"Allow","Action":["ec2:*","s3:Put*"],"Resource":"*"}"#, get(any), "implicit");
    check(r#"{"Effect":"Allow","Action":"s3:GetObjectAcl","Resource":"*"}"#, get(any), "implicit");
    check(r#"{"Effect":"Allow","NotAction":"s3:Put*","Resource":"*"}"#, get(any), "allow");
    check(r#"{"Effect":"Allow","NotAction":["iam:*","s3:*"],"Resource":"*"}"#, get(any), "implicit");
    check(
        r#"{"Effect":"Deny","NotAction":"iam:*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}"#,
        get(any),
        "deny",
    );
    check(
        r#"{"Effect":"Deny","NotAction":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}"#,
        get(any),
        "allow",
    );
}

#[test]
fn resources_match_as_arns() {
    let allow = |resource: &str| format!(r#"{{"Effect":"Allow","Action":"s3:*","Resource":"{resource}"}}"#);
    check(&allow("arn:aws:s3:::b/*"), get("arn:aws:s3:::b/dir/key"), "allow");
    check(&allow("arn:aws:s3:::b/*"), get("arn:aws:s3:::other/key"), "implicit");
    check(&allow("arn:aws:s3:::B/*"), get("arn:aws:s3:::b/key"), "implicit");
    check(&allow("arn:aws:s3:::b/k?y"), get("arn:aws:s3:::b/key"), "allow");
    check(&allow("arn:aws:s3:::b/*"), get("*"), "implicit");
    check(&allow("*"), get("*"), "allow");
    check(&allow("arn:aws:eks:*:*:cluster/*"), get("arn:aws:eks:us-east-1:123456789012:cluster/dev"), "allow");
    check(
        &allow("arn:aws:eks:us-west-2:*:cluster/*"),
        get("arn:aws:eks:us-east-1:123456789012:cluster/dev"),
        "implicit",
    );
    check(
        r#"{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}"#,
        get("arn:aws:s3:::b/k"),
        "allow",
    );
    check(
        r#"{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}"#,
        get("arn:aws:s3:::secret/k"),
        "implicit",
    );
    check(
        &format!(
            r#"{ALLOW_ALL},{{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}}"#
        ),
        get("arn:aws:s3:::c/k"),
        "deny",
    );
}

#[test]
fn explicit_deny_overrides_any_allow() {
    let deny = r#"{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;
    check(&format!("{ALLOW_ALL},{deny}"), get("arn:aws:s3:::b/k"), "deny");
    check(&format!("{deny},{ALLOW_ALL}"), get("arn:aws:s3:::b/k"), "deny");
    check(&format!("{ALLOW_ALL},{deny}"), get("arn:aws:s3:::c/k"), "allow");
    check(deny, get("arn:aws:s3:::c/k"), "implicit");
    assert_eq!(evaluate(&get("arn:aws:s3:::c/k"), &PolicySet::new()), Decision::ImplicitDeny(PolicyType::Identity));
}

#[test]
fn conditions_are_anded_across_keys_and_operators() {
    let request = || get("arn:aws:s3:::b/k").with_context("aws:SourceIp", ["203.0.113.9"]);
    let with =
        |condition: &str| format!(r#"{{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{condition}}}"#);
    check(&with(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#), request(), "allow");
    check(
        &with(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"Bool":{"aws:SecureTransport":"true"}}"#),
        request(),
        "implicit",
    );
    check(
        &with(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"BoolIfExists":{"aws:SecureTransport":"true"}}"#),
        request(),
        "allow",
    );
    check(&with(r#"{"StringEquals":{"aws:PrincipalTag/team":"eks","aws:username":"carlos"}}"#), request(), "allow");
    check(&with(r#"{"StringEquals":{"aws:PrincipalTag/team":"eks","aws:username":"maria"}}"#), request(), "implicit");
    check(&with(r#"{"StringEquals":{"aws:username":["maria","carlos"]}}"#), request(), "allow");
    check(&with(r#"{"StringEquals":{"AWS:USERNAME":"carlos"}}"#), request(), "allow");
    check(
        &with(
            r#"{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/division/carlos","aws:PrincipalAccount":"123456789012","aws:PrincipalType":"User","aws:userid":"AIDAEXAMPLE"}}"#,
        ),
        request(),
        "allow",
    );
    check(&with(r#"{"Bool":{"aws:PrincipalIsAWSService":"false"}}"#), request(), "allow");
    let deny_outside =
        r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8"]}}}"#;
    check(&format!("{ALLOW_ALL},{deny_outside}"), request(), "deny");
    check(
        &format!("{ALLOW_ALL},{deny_outside}"),
        get("arn:aws:s3:::b/k").with_context("aws:SourceIp", ["10.1.2.3"]),
        "allow",
    );
}

#[test]
fn policy_variables_in_resources_and_conditions() {
    let home = r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#;
    check(home, get("arn:aws:s3:::home/carlos/notes"), "allow");
    check(home, get("arn:aws:s3:::home/maria/notes"), "implicit");
    // A role session has no aws:username: the statement does not match, for allows and denies alike.
    let as_session = |resource: &str| Request::new(session(), "s3:GetObject", resource);
    check(home, as_session("arn:aws:s3:::home/${aws:username}/notes"), "implicit");
    let deny_home = r#"{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#;
    check(&format!("{ALLOW_ALL},{deny_home}"), as_session("arn:aws:s3:::home/x/notes"), "allow");
    let defaulted =
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username, 'anonymous'}/*"}"#;
    check(defaulted, as_session("arn:aws:s3:::home/anonymous/notes"), "allow");
    let tagged = r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalTag/team}-*"}"#;
    check(tagged, get("arn:aws:s3:::eks-artifacts"), "allow");
    check(tagged, get("arn:aws:s3:::web-artifacts"), "implicit");
    let account =
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalAccount}-${aws:userid}"}"#;
    check(account, get("arn:aws:s3:::123456789012-AIDAEXAMPLE"), "allow");
    let escaped = r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${*}${?}${$}"}"#;
    check(escaped, get("arn:aws:s3:::b/*?$"), "allow");
    check(escaped, get("arn:aws:s3:::b/xy$"), "implicit");
    let context_key = r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"${aws:username}/*"}}}"#;
    check(context_key, get("arn:aws:s3:::b").with_context("s3:prefix", ["carlos/photos"]), "allow");
    check(context_key, get("arn:aws:s3:::b").with_context("s3:prefix", ["maria/photos"]), "implicit");
    // Version 2008-10-17 documents read variables as text.
    let old = identity(
        r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}"#,
    );
    let request = get("arn:aws:s3:::home/carlos/notes");
    assert_eq!(
        evaluate(&request, &PolicySet::new().identity("old", &old)),
        Decision::ImplicitDeny(PolicyType::Identity)
    );
    let literal = get("arn:aws:s3:::home/${aws:username}/notes");
    assert!(evaluate(&literal, &PolicySet::new().identity("old", &old)).is_allowed());
}

const EKS_CLUSTER_ROLE_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const EKS_NODE_ROLE_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"EKSNodeAssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

#[test]
fn eks_service_roles_trust_their_services() {
    let assume = |principal: Principal| Request::new(principal, "sts:AssumeRole", ROLE);
    check_trust(EKS_CLUSTER_ROLE_TRUST, assume(Principal::service("eks.amazonaws.com")), "allow");
    check_trust(EKS_CLUSTER_ROLE_TRUST, assume(Principal::service("ec2.amazonaws.com")), "implicit-resource");
    check_trust(
        EKS_CLUSTER_ROLE_TRUST,
        Request::new(Principal::service("eks.amazonaws.com"), "sts:TagSession", ROLE),
        "implicit-resource",
    );
    check_trust(EKS_CLUSTER_ROLE_TRUST, assume(user()), "implicit");
    check_trust(EKS_NODE_ROLE_TRUST, assume(Principal::service("ec2.amazonaws.com")), "allow");
    check_trust(EKS_NODE_ROLE_TRUST, assume(Principal::service("eks.amazonaws.com")), "implicit-resource");
    let pod_identity = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
    check_trust(
        pod_identity,
        Request::new(Principal::service("pods.eks.amazonaws.com"), "sts:TagSession", ROLE),
        "allow",
    );
}

/// The trust policy `eksctl` and the EKS documentation write for IAM roles for service accounts.
fn irsa_trust(sub_operator: &str, sub: &str) -> String {
    let condition = if sub_operator == "StringEquals" {
        format!(r#"{{"StringEquals":{{"{ISSUER}:sub":"{sub}","{ISSUER}:aud":"sts.amazonaws.com"}}}}"#)
    } else {
        format!(
            r#"{{"{sub_operator}":{{"{ISSUER}:sub":"{sub}"}},"StringEquals":{{"{ISSUER}:aud":"sts.amazonaws.com"}}}}"#
        )
    };
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{condition}}}]}}"#,
        provider = provider()
    )
}

fn web_identity(sub: &str, aud: &str) -> Request {
    Request::new(Principal::federated(&provider()), "sts:AssumeRoleWithWebIdentity", ROLE)
        .with_context(&format!("{ISSUER}:sub"), [sub])
        .with_context(&format!("{ISSUER}:aud"), [aud])
}

#[test]
fn irsa_trust_policies_check_subject_and_audience() {
    let exact = irsa_trust("StringEquals", "system:serviceaccount:default:app");
    let aud = "sts.amazonaws.com";
    check_trust(&exact, web_identity("system:serviceaccount:default:app", aud), "allow");
    check_trust(&exact, web_identity("system:serviceaccount:default:other", aud), "implicit-resource");
    check_trust(&exact, web_identity("system:serviceaccount:default:app", "other"), "implicit-resource");
    check_trust(&exact, web_identity("system:serviceaccount:default:*", aud), "implicit-resource");
    let like = irsa_trust("StringLike", "system:serviceaccount:default:*");
    check_trust(&like, web_identity("system:serviceaccount:default:app", aud), "allow");
    check_trust(&like, web_identity("system:serviceaccount:kube-system:app", aud), "implicit-resource");
    // Keys are matched without regard to case, values with it.
    let upper = Request::new(Principal::federated(&provider()), "sts:AssumeRoleWithWebIdentity", ROLE)
        .with_context(&format!("{}:SUB", ISSUER.to_uppercase()), ["system:serviceaccount:default:app"])
        .with_context(&format!("{ISSUER}:aud"), [aud]);
    check_trust(&exact, upper, "allow");
    check_trust(&exact, web_identity("SYSTEM:serviceaccount:default:app", aud), "implicit-resource");
    // Another provider, or plain AssumeRole, is not trusted.
    let other = Request::new(
        Principal::federated("arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/XYZ"),
        "sts:AssumeRoleWithWebIdentity",
        ROLE,
    )
    .with_context(&format!("{ISSUER}:sub"), ["system:serviceaccount:default:app"])
    .with_context(&format!("{ISSUER}:aud"), [aud]);
    check_trust(&exact, other, "implicit-resource");
    let missing_claims = Request::new(Principal::federated(&provider()), "sts:AssumeRoleWithWebIdentity", ROLE);
    check_trust(&exact, missing_claims, "implicit-resource");
}

#[test]
fn principals_in_trust_policies() {
    let trusting = |principal: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}}}"#
        )
    };
    let assume = |principal: Principal| Request::new(principal, "sts:AssumeRole", ROLE);
    check_trust(&trusting(r#""*""#), assume(user()), "allow");
    check_trust(&trusting(r#"{"AWS":"*"}"#), assume(session()), "allow");
    check_trust(&trusting(r#"{"AWS":"*"}"#), assume(Principal::service("eks.amazonaws.com")), "allow");
    check_trust(&trusting(&format!(r#"{{"AWS":"{USER}"}}"#)), assume(user()), "allow");
    check_trust(
        &trusting(&format!(r#"{{"AWS":"{USER}"}}"#)),
        assume(Principal::user("arn:aws:iam::123456789012:user/other")),
        "implicit",
    );
    check_trust(&trusting(&format!(r#"{{"AWS":"{ROLE}"}}"#)), assume(session()), "allow");
    check_trust(&trusting(&format!(r#"{{"AWS":"{SESSION}"}}"#)), assume(session()), "allow");
    check_trust(
        &trusting(r#"{"AWS":"arn:aws:sts::123456789012:assumed-role/app/other"}"#),
        assume(session()),
        "implicit",
    );
    check_trust(
        &trusting(r#"{"Service":"eks.amazonaws.com"}"#),
        assume(Principal::service("EKS.amazonaws.com")),
        "allow",
    );
    // The account principal delegates to identity policies: alone it grants nothing.
    check_trust(&trusting(r#"{"AWS":"123456789012"}"#), assume(user()), "implicit");
    check_trust(&trusting(r#"{"AWS":"arn:aws:iam::123456789012:root"}"#), assume(session()), "implicit");
    let account_trust = trust(&trusting(r#"{"AWS":"123456789012"}"#));
    let allow_assume =
        identity(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}"#);
    let both = PolicySet::new().identity("user", &allow_assume).resource("trust", &account_trust);
    assert!(evaluate(&assume(user()), &both).is_allowed());
    let other_account = Principal::user("arn:aws:iam::210987654321:user/carlos");
    assert_eq!(
        evaluate(&assume(other_account), &PolicySet::new().resource("trust", &account_trust)),
        Decision::ImplicitDeny(PolicyType::Identity)
    );
    // The account root user may do anything no deny forbids.
    check_trust(&trusting(r#"{"Service":"eks.amazonaws.com"}"#), assume(Principal::root(ACCOUNT)), "allow");
    assert_eq!(
        evaluate(&Request::new(Principal::root(ACCOUNT), "iam:CreateRole", "*"), &PolicySet::new()),
        Decision::Allow(None)
    );
    check(
        r#"{"Effect":"Deny","Action":"iam:*","Resource":"*"}"#,
        Request::new(Principal::root(ACCOUNT), "iam:CreateRole", "*"),
        "deny",
    );
}

#[test]
fn not_principal_excludes_only_principals_listed_under_all_their_names() {
    let bucket = |not_principal: &str| {
        Policy::parse(
            &format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}},{{"Effect":"Deny","NotPrincipal":{not_principal},"Action":"s3:*","Resource":"*"}}]}}"#),
            PolicyKind::Resource,
        )
        .expect("valid bucket policy")
    };
    let decide = |policy: &Policy, principal: Principal| {
        let decision = evaluate(
            &Request::new(principal, "s3:GetObject", "arn:aws:s3:::b/k"),
            &PolicySet::new().resource("bucket", policy),
        );
        outcome(&decision)
    };
    let user_and_account = bucket(&format!(r#"{{"AWS":["{USER}","arn:aws:iam::123456789012:root"]}}"#));
    assert_eq!(decide(&user_and_account, user()), "allow");
    assert_eq!(decide(&user_and_account, Principal::user("arn:aws:iam::123456789012:user/other")), "deny");
    let user_only = bucket(&format!(r#"{{"AWS":"{USER}"}}"#));
    assert_eq!(decide(&user_only, user()), "deny");
    let role_and_account = bucket(&format!(r#"{{"AWS":["{ROLE}","{ACCOUNT}"]}}"#));
    assert_eq!(decide(&role_and_account, session()), "deny");
    let session_role_and_account = bucket(&format!(r#"{{"AWS":["{SESSION}","{ROLE}","{ACCOUNT}"]}}"#));
    assert_eq!(decide(&session_role_and_account, session()), "allow");
    let service = bucket(r#"{"Service":"logging.s3.amazonaws.com"}"#);
    assert_eq!(decide(&service, Principal::service("logging.s3.amazonaws.com")), "allow");
    assert_eq!(decide(&service, user()), "deny");
    let everyone = bucket(r#"{"AWS":"*"}"#);
    assert_eq!(decide(&everyone, user()), "allow");
}

#[test]
fn permissions_boundaries_limit_identity_policies() {
    let allow_s3 =
        identity(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:*","iam:*"],"Resource":"*"}}"#);
    let boundary = Policy::parse(r#"{"Version":"2012-10-17","Statement":[{"Sid":"OnlyS3","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#, PolicyKind::Managed).expect("valid boundary");
    let set = PolicySet::new().identity("identity", &allow_s3).boundary("boundary", &boundary);
    let decide = |action: &str, principal: Principal| evaluate(&Request::new(principal, action, "*"), &set);
    assert!(decide("s3:GetObject", user()).is_allowed());
    assert_eq!(decide("iam:CreateRole", user()), Decision::ImplicitDeny(PolicyType::Boundary));
    assert_eq!(decide("ec2:RunInstances", user()), Decision::ImplicitDeny(PolicyType::Identity));
    let Decision::ExplicitDeny(by) = decide("s3:DeleteBucket", user()) else { panic!("the boundary denies") };
    assert_eq!(by.policy_type, PolicyType::Boundary);
    // A boundary grants nothing by itself.
    let only_boundary = PolicySet::new().boundary("boundary", &boundary);
    assert_eq!(
        evaluate(&Request::new(user(), "s3:GetObject", "*"), &only_boundary),
        Decision::ImplicitDeny(PolicyType::Identity)
    );
}

#[test]
fn resource_policies_and_boundaries() {
    let boundary = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#,
        PolicyKind::Managed,
    )
    .expect("valid");
    let bucket = |principal: &str| {
        Policy::parse(&format!(r#"{{"Version":"2012-10-17","Statement":{{"Sid":"Grant","Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}}}"#), PolicyKind::Resource).expect("valid")
    };
    let decide = |policy: &Policy, principal: Principal| {
        let set = PolicySet::new().resource("bucket", policy).boundary("boundary", &boundary);
        evaluate(&Request::new(principal, "s3:GetObject", "arn:aws:s3:::b/k"), &set)
    };
    // Granted to the user or the session directly: the boundary does not limit it.
    assert!(decide(&bucket(USER), user()).is_allowed());
    assert!(decide(&bucket(SESSION), session()).is_allowed());
    // Granted to the role: the boundary limits its sessions.
    assert_eq!(decide(&bucket(ROLE), session()), Decision::ImplicitDeny(PolicyType::Boundary));
    let bucket_for_role = bucket(ROLE);
    let without_boundary = PolicySet::new().resource("bucket", &bucket_for_role);
    assert!(evaluate(&Request::new(session(), "s3:GetObject", "arn:aws:s3:::b/k"), &without_boundary).is_allowed());
    // A resource-based deny applies whatever the identity policies say.
    let deny = Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Sid":"NoOne","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}"#, PolicyKind::Resource).expect("valid");
    let allow_all = identity(&format!(r#"{{"Version":"2012-10-17","Statement":{ALLOW_ALL}}}"#));
    let set = PolicySet::new().identity("admin", &allow_all).resource("bucket", &deny);
    let decision = evaluate(&Request::new(user(), "s3:GetObject", "arn:aws:s3:::b/k"), &set);
    assert_eq!(
        decision,
        Decision::ExplicitDeny(StatementRef {
            policy_type: PolicyType::Resource,
            policy: "bucket".to_owned(),
            sid: Some("NoOne".to_owned()),
            index: 0
        })
    );
}

#[test]
fn decisions_name_the_deciding_statement_and_explain_denials() {
    let first = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Reads","Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#,
    );
    let second = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},{"Effect":"Deny","Action":"iam:DeleteRole","Resource":"*"}]}"#,
    );
    let set = PolicySet::new().identity("arn:aws:iam::123456789012:policy/first", &first).identity("second", &second);
    let read = Request::new(user(), "s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(
        evaluate(&read, &set),
        Decision::Allow(Some(StatementRef {
            policy_type: PolicyType::Identity,
            policy: "arn:aws:iam::123456789012:policy/first".to_owned(),
            sid: Some("Reads".to_owned()),
            index: 0
        }))
    );
    assert_eq!(evaluate(&read, &set).access_denied_message(&read), None);
    let delete = Request::new(user(), "iam:DeleteRole", ROLE);
    let decision = evaluate(&delete, &set);
    assert_eq!(
        decision,
        Decision::ExplicitDeny(StatementRef {
            policy_type: PolicyType::Identity,
            policy: "second".to_owned(),
            sid: None,
            index: 1
        })
    );
    assert_eq!(
        decision.access_denied_message(&delete).as_deref(),
        Some(
            "User: arn:aws:iam::123456789012:user/division/carlos is not authorized to perform: iam:DeleteRole on resource: arn:aws:iam::123456789012:role/path/app with an explicit deny in an identity-based policy"
        )
    );
    let run = Request::new(user(), "ec2:RunInstances", "*");
    assert_eq!(
        evaluate(&run, &set).access_denied_message(&run).as_deref(),
        Some(
            "User: arn:aws:iam::123456789012:user/division/carlos is not authorized to perform: ec2:RunInstances on resource: * because no identity-based policy allows the ec2:RunInstances action"
        )
    );
    let assume = Request::new(Principal::service("ec2.amazonaws.com"), "sts:AssumeRole", ROLE);
    let cluster_trust = trust(EKS_CLUSTER_ROLE_TRUST);
    let decision = evaluate(&assume, &PolicySet::new().resource("trust", &cluster_trust));
    assert_eq!(
        decision.access_denied_message(&assume).as_deref(),
        Some(
            "User: ec2.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/path/app because no resource-based policy allows the sts:AssumeRole action"
        )
    );
    let boundary = Decision::ImplicitDeny(PolicyType::Boundary).access_denied_message(&run).expect("denied");
    assert!(boundary.ends_with("because no permissions boundary allows the ec2:RunInstances action"), "{boundary}");
}
