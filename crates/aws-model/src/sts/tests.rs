use std::sync::Arc;

use serde_json::json;
use store::MemoryStore;

use super::jwt::tests::{Signer, claims};
use super::*;
use crate::clock::{Clock as _, ManualClock};
use crate::iam::CreateRole;
use crate::iam::InlineOwner;
use crate::records::Records;

const ACCOUNT: &str = "123456789012";
const NOW: f64 = 1_800_000_000.0;
const ISSUER: &str = "https://127.0.0.1:6443/id/ABCDEF";
const ISSUER_HOST: &str = "127.0.0.1:6443/id/ABCDEF";

fn trust(principal: &str, extra: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"{extra}}}]}}"#
    )
}

fn irsa_trust(service_account: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER_HOST}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{ISSUER_HOST}:sub":"system:serviceaccount:{service_account}","{ISSUER_HOST}:aud":"sts.amazonaws.com"}}}}}}]}}"#
    )
}

#[derive(Debug)]
struct Keys(Value);

#[async_trait::async_trait]
impl OidcKeys for Keys {
    async fn jwks(&self, issuer_url: &str) -> Option<Value> {
        (issuer_url == ISSUER).then(|| self.0.clone())
    }
}

struct Fixture {
    iam: Iam,
    sts: Sts,
    clock: Arc<ManualClock>,
    store: Arc<MemoryStore>,
    signer: Signer,
}

async fn fixture() -> Fixture {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(NOW));
    let iam = Iam::new(Records::new(store.clone()), clock.clone());
    let signer = Signer::new();
    let sts = Sts::new(iam.clone()).with_oidc_keys(Arc::new(Keys(signer.jwks())));
    let role = |name: &str, trust: String| CreateRole {
        name: name.into(),
        assume_role_policy: trust,
        ..CreateRole::default()
    };
    iam.create_role(ACCOUNT, role("by-account", trust(&format!(r#"{{"AWS":"{ACCOUNT}"}}"#), ""))).await.unwrap();
    iam.create_role(ACCOUNT, role("by-user", trust(&format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:user/alice"}}"#), "")))
        .await
        .unwrap();
    iam.create_role(ACCOUNT, role("service", trust(r#"{"Service":"eks.amazonaws.com"}"#, ""))).await.unwrap();
    let external = r#","Condition":{"StringEquals":{"sts:ExternalId":"secret-id"}}"#;
    iam.create_role(ACCOUNT, role("external", trust(&format!(r#"{{"AWS":"{ACCOUNT}"}}"#), external))).await.unwrap();
    iam.create_role(ACCOUNT, role("irsa", irsa_trust("default:app"))).await.unwrap();
    iam.create_user(ACCOUNT, "alice", None, None, Vec::new()).await.unwrap();
    iam.create_user(ACCOUNT, "bob", None, None, Vec::new()).await.unwrap();
    iam.create_open_id_connect_provider(
        ACCOUNT,
        ISSUER,
        vec!["sts.amazonaws.com".into()],
        vec!["a".repeat(40)],
        Vec::new(),
    )
    .await
    .unwrap();
    Fixture { iam, sts, clock, store, signer }
}

fn root() -> Principal {
    Principal::root(ACCOUNT)
}

fn user(name: &str) -> Principal {
    Principal::user(&format!("arn:aws:iam::{ACCOUNT}:user/{name}"))
}

fn input(role: &str) -> AssumeRole {
    AssumeRole {
        role_arn: format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
        session_name: "s1".into(),
        ..AssumeRole::default()
    }
}

/// Assumes `input` as `caller`: `Ok(assumed-role ARN)` or `Err(message fragment)` of an error of kind `kind`.
async fn check(f: &Fixture, caller: &Principal, input: AssumeRole, expect: Result<&str, (&str, &str)>) {
    let got = f.sts.assume_role(caller, input.clone()).await;
    match (got, expect) {
        (Ok(assumed), Ok(arn)) => assert_eq!(assumed.session.arn, arn, "{input:?}"),
        (Err(error), Err((kind, fragment))) => {
            assert_eq!(format!("{error:?}").split('(').next().unwrap(), kind, "{input:?}: {error}");
            assert!(error.to_string().contains(fragment), "{input:?}: {error}");
        }
        (got, expect) => panic!("{input:?} as {}: got {got:?}, expected {expect:?}", caller.arn),
    }
}

#[tokio::test]
async fn the_trust_policy_decides_who_may_assume_a_role() {
    let f = fixture().await;
    let session = |role: &str| format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/s1");
    check(&f, &root(), input("by-account"), Ok(&session("by-account"))).await;
    check(&f, &user("alice"), input("by-user"), Ok(&session("by-user"))).await;
    let bob_denied = format!(
        "User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{ACCOUNT}:role/by-user"
    );
    check(&f, &user("bob"), input("by-user"), Err(("AccessDenied", &bob_denied))).await;
    // Naming the account delegates to the user's identity policies.
    check(&f, &user("bob"), input("by-account"), Err(("AccessDenied", "sts:AssumeRole"))).await;
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    let policy = f.iam.create_policy(ACCOUNT, "assume", None, allow, None, Vec::new()).await.unwrap();
    f.iam.attach_user_policy(ACCOUNT, "bob", &policy.policy.arn).await.unwrap();
    check(&f, &user("bob"), input("by-account"), Ok(&session("by-account"))).await;
    // A role only a service trusts is closed to the root user too; a missing role answers the same way.
    check(&f, &root(), input("service"), Err(("AccessDenied", "is not authorized to perform: sts:AssumeRole"))).await;
    let missing = format!("on resource: arn:aws:iam::{ACCOUNT}:role/missing");
    check(&f, &root(), input("missing"), Err(("AccessDenied", &missing))).await;
    let other_account = AssumeRole { role_arn: "arn:aws:iam::999999999999:role/by-account".into(), ..input("x") };
    check(&f, &root(), other_account, Err(("AccessDenied", "999999999999"))).await;
    check(
        &f,
        &root(),
        AssumeRole { role_arn: "not an arn at all, long".into(), ..input("x") },
        Err(("AccessDenied", "")),
    )
    .await;
}

#[tokio::test]
async fn external_ids_and_session_tags_are_conditions() {
    let f = fixture().await;
    let arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/external/s1");
    check(&f, &root(), input("external"), Err(("AccessDenied", "sts:AssumeRole"))).await;
    let wrong = AssumeRole { external_id: Some("other-id".into()), ..input("external") };
    check(&f, &root(), wrong, Err(("AccessDenied", "sts:AssumeRole"))).await;
    let right = AssumeRole { external_id: Some("secret-id".into()), ..input("external") };
    check(&f, &root(), right, Ok(&arn)).await;
    let tagged = AssumeRole { tags: vec![Tag { key: "team".into(), value: "a".into() }], ..input("by-account") };
    check(&f, &root(), tagged, Err(("AccessDenied", "sts:TagSession"))).await;
}

#[tokio::test]
async fn inputs_are_validated_as_sts_does() {
    let f = fixture().await;
    let with = |name: &str, duration: Option<i64>| AssumeRole {
        session_name: name.into(),
        duration_seconds: duration,
        ..input("by-account")
    };
    check(
        &f,
        &root(),
        with("a", None),
        Err((
            "Validation",
            "'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
        )),
    )
    .await;
    check(&f, &root(), with(&"a".repeat(65), None), Err(("Validation", "less than or equal to 64"))).await;
    check(&f, &root(), with("bad name!", None), Err(("Validation", r"regular expression pattern: [\w+=,.@-]*"))).await;
    check(&f, &root(), with("ok", Some(899)), Err(("Validation", "greater than or equal to 900"))).await;
    check(&f, &root(), with("a", Some(50_000)), Err(("Validation", "2 validation errors detected"))).await;
    check(&f, &root(), with("ok", Some(7200)), Err(("Validation", "exceeds the MaxSessionDuration"))).await;
    check(&f, &root(), AssumeRole { role_arn: "short".into(), ..input("x") }, Err(("Validation", "'roleArn'"))).await;
    let bad_policy = AssumeRole { policy: Some("{not json".into()), ..input("by-account") };
    check(&f, &root(), bad_policy, Err(("MalformedPolicyDocument", ""))).await;
    let bad_external = AssumeRole { external_id: Some("a b".into()), ..input("external") };
    check(&f, &root(), bad_external, Err(("Validation", "'externalId'"))).await;
}

#[tokio::test]
async fn sessions_are_stored_checked_and_expire() {
    let f = fixture().await;
    let assumed = f.sts.assume_role(&root(), AssumeRole { duration_seconds: Some(900), ..input("by-account") }).await;
    let assumed = assumed.unwrap();
    let session = assumed.session.clone();
    assert!(session.access_key_id.starts_with("ASIA") && session.access_key_id.len() == 20);
    assert_eq!(session.secret_access_key.len(), 40);
    assert_eq!(session.expires_at, NOW + 900.0);
    let role = f.iam.get_role(ACCOUNT, "by-account").await.unwrap();
    assert_eq!(assumed.assumed_role_id, format!("{}:s1", role.id));
    assert_eq!(session.user_id, assumed.assumed_role_id);
    assert_eq!(session.canonical_arn(), format!("arn:aws:iam::{ACCOUNT}:role/by-account"));
    assert_eq!(session.principal().kind, PrincipalKind::AssumedRole { role_arn: role.arn.clone() });

    // A server started again over the same store knows the session.
    let again = Sts::new(Iam::new(Records::new(f.store.clone()), f.clock.clone()));
    let stored = again.session(&session.access_key_id).await.unwrap().expect("stored");
    assert_eq!(stored, session);
    assert_eq!(again.session("ASIANOSUCHKEY0000000").await.unwrap(), None);
    assert_eq!(again.session("AKIAIAMISSUEDKEY0000").await.unwrap(), None);
    assert_eq!(again.session("ASIA/../access-keys").await.unwrap(), None);

    assert_eq!(stored.check(Some(&session.session_token), NOW + 899.0), Ok(()));
    assert_eq!(stored.check(None, NOW), Err(SessionProblem::InvalidToken));
    assert_eq!(stored.check(Some("forged"), NOW), Err(SessionProblem::InvalidToken));
    f.clock.advance(900.0);
    assert_eq!(stored.check(Some(&session.session_token), f.clock.now()), Err(SessionProblem::Expired));
}

#[tokio::test]
async fn role_chaining_is_limited_to_an_hour() {
    let f = fixture().await;
    let first = f.sts.assume_role(&root(), input("by-account")).await.unwrap().session;
    let caller = first.principal();
    // The session's role is in the account, so the account's trust grants it with the role's (empty) policies:
    // denied until the role may assume roles.
    check(&f, &caller, input("by-account"), Err(("AccessDenied", "assumed-role/by-account/s1"))).await;
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    f.iam.put_inline_policy(ACCOUNT, InlineOwner::Role("by-account"), "assume", allow).await.unwrap();
    let long = AssumeRole { duration_seconds: Some(7200), ..input("by-account") };
    check(&f, &caller, long, Err(("Validation", "1 hour session limit for roles assumed by role chaining"))).await;
    check(&f, &caller, input("by-account"), Ok(&format!("arn:aws:sts::{ACCOUNT}:assumed-role/by-account/s1"))).await;
}

#[test]
fn canonical_arns_name_the_role_of_a_session() {
    for (arn, canonical) in [
        ("arn:aws:sts::123456789012:assumed-role/admin/me", "arn:aws:iam::123456789012:role/admin"),
        ("arn:aws:sts::123456789012:assumed-role/admin/me@example.com", "arn:aws:iam::123456789012:role/admin"),
        ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"),
        ("arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:root"),
        ("arn:aws:sts::123456789012:federated-user/x", "arn:aws:sts::123456789012:federated-user/x"),
        ("arn:aws:sts::123456789012:assumed-role//x", "arn:aws:sts::123456789012:assumed-role//x"),
        ("garbage", "garbage"),
    ] {
        assert_eq!(canonical_arn(arn), canonical, "{arn}");
    }
}

async fn web(f: &Fixture, token: &str, role: &str) -> Result<WebIdentityAssumed, StsError> {
    let input = AssumeRoleWithWebIdentity {
        role_arn: format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
        session_name: "pod".into(),
        web_identity_token: token.into(),
        ..AssumeRoleWithWebIdentity::default()
    };
    f.sts.assume_role_with_web_identity(input).await
}

#[tokio::test]
async fn web_identities_of_a_registered_issuer_assume_roles_that_trust_them() {
    let f = fixture().await;
    let token = f.signer.sign(&claims(ISSUER, "system:serviceaccount:default:app", "sts.amazonaws.com", NOW - 10.0));
    let assumed = web(&f, &token, "irsa").await.unwrap();
    assert_eq!(assumed.subject, "system:serviceaccount:default:app");
    assert_eq!(assumed.audience, "sts.amazonaws.com");
    assert_eq!(assumed.provider, format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER_HOST}"));
    assert_eq!(assumed.assumed.session.arn, format!("arn:aws:sts::{ACCOUNT}:assumed-role/irsa/pod"));

    let denied = StsError::AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity".into());
    let other_account = f.signer.sign(&claims(ISSUER, "system:serviceaccount:default:other", "sts.amazonaws.com", NOW));
    assert_eq!(web(&f, &other_account, "irsa").await.unwrap_err(), denied);
    assert_eq!(web(&f, &token, "by-account").await.unwrap_err(), denied);
    assert_eq!(web(&f, &token, "missing").await.unwrap_err(), denied);
}

#[tokio::test]
async fn web_identity_tokens_are_checked_before_any_trust() {
    let f = fixture().await;
    let sub = "system:serviceaccount:default:app";
    let invalid = |message: &str| Err(StsError::InvalidIdentityToken(message.to_owned()));
    let check_token = async |token: String, expect: Result<(), StsError>| {
        let got = web(&f, &token, "irsa").await.map(|_| ());
        assert_eq!(got, expect, "{token:.80}");
    };
    let not_jwt = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)";
    check_token("garbage-token".into(), invalid(not_jwt)).await;
    check_token("a.b.c".into(), invalid(not_jwt)).await;
    let foreign = f.signer.sign(&claims("https://other.example.com/id/X", sub, "sts.amazonaws.com", NOW));
    check_token(foreign, invalid("No OpenIDConnect provider found in your account for https://other.example.com/id/X"))
        .await;
    check_token(f.signer.sign(&claims(ISSUER, sub, "other-audience", NOW)), invalid("Incorrect token audience")).await;
    let expired = f.signer.sign(&claims(ISSUER, sub, "sts.amazonaws.com", NOW - 7200.0));
    let message = format!(
        "Token expired: current date/time {} must be before the expiration date/time {}",
        NOW as i64,
        NOW as i64 - 3600
    );
    check_token(expired, Err(StsError::ExpiredToken(message))).await;
    let forged = Signer::new().sign(&claims(ISSUER, sub, "sts.amazonaws.com", NOW));
    let got = web(&f, &forged, "irsa").await.unwrap_err();
    assert!(matches!(&got, StsError::InvalidIdentityToken(m) if m.contains("could not be validated")), "{got:?}");
    let none = f.signer.sign_with(&json!({ "alg": "none" }), &claims(ISSUER, sub, "sts.amazonaws.com", NOW));
    let got = web(&f, &none, "irsa").await.unwrap_err();
    assert!(matches!(&got, StsError::InvalidIdentityToken(m) if m.contains("could not be validated")), "{got:?}");

    // Without keys for the issuer, nothing verifies.
    let keyless = Sts::new(f.iam.clone());
    let token = f.signer.sign(&claims(ISSUER, sub, "sts.amazonaws.com", NOW));
    let input = AssumeRoleWithWebIdentity {
        role_arn: format!("arn:aws:iam::{ACCOUNT}:role/irsa"),
        session_name: "pod".into(),
        web_identity_token: token,
        ..AssumeRoleWithWebIdentity::default()
    };
    let got = keyless.assume_role_with_web_identity(input.clone()).await.unwrap_err();
    assert!(matches!(&got, StsError::InvalidIdentityToken(m) if m.contains("verification key")), "{got:?}");
    let short = AssumeRoleWithWebIdentity { web_identity_token: "abc".into(), ..input };
    let got = keyless.assume_role_with_web_identity(short).await.unwrap_err();
    assert!(matches!(&got, StsError::Validation(m) if m.contains("'webIdentityToken'")), "{got:?}");
}

#[tokio::test]
async fn session_tokens_are_for_users_and_roots() {
    let f = fixture().await;
    let alice = user("alice").with_user_id("AIDAALICE");
    let session = f.sts.get_session_token(&alice, None).await.unwrap();
    assert_eq!((session.arn.as_str(), session.user_id.as_str()), (alice.arn.as_str(), "AIDAALICE"));
    assert_eq!(session.expires_at, NOW + 43_200.0);
    assert_eq!(session.principal().kind, PrincipalKind::User);
    let root_session = f.sts.get_session_token(&root(), Some(7200)).await.unwrap();
    assert_eq!(root_session.expires_at, NOW + 3600.0, "a root session lasts at most an hour");
    assert_eq!(root_session.principal().kind, PrincipalKind::Root);
    let role_session = f.sts.assume_role(&root(), input("by-account")).await.unwrap().session;
    let denied = f.sts.get_session_token(&role_session.principal(), None).await.unwrap_err();
    assert_eq!(denied, StsError::AccessDenied("Cannot call GetSessionToken with session credentials".into()));
    let invalid = f.sts.get_session_token(&alice, Some(100)).await.unwrap_err();
    assert!(matches!(invalid, StsError::Validation(_)));
}
