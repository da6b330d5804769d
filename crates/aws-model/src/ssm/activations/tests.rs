use std::sync::Arc;

use store::MemoryStore;

use super::*;
use crate::clock::ManualClock;

fn ssm_at(clock: Arc<ManualClock>) -> Ssm {
    Ssm::new(Records::new(Arc::new(MemoryStore::new())), clock, Vec::new())
}

fn caller() -> Caller {
    Caller { arn: "arn:aws:iam::123456789012:root".into(), account: "123456789012".into(), region: "us-east-1".into() }
}

fn request(role: &str) -> CreateActivation {
    CreateActivation { iam_role: role.into(), ..CreateActivation::default() }
}

#[tokio::test]
async fn an_activation_registers_up_to_its_limit() {
    let ssm = ssm_at(Arc::new(ManualClock::new(1_700_000_000.0)));
    let input = CreateActivation { registration_limit: Some(2), ..request("HybridNodes") };
    let activation = ssm.create_activation(&caller(), &input).await.unwrap();
    assert!(is_activation_id(&activation.id), "{}", activation.id);
    assert_eq!(activation.code.len(), 20);
    assert_eq!(activation.expiration, 1_700_000_000 + DEFAULT_LIFETIME);

    let wrong =
        ssm.register_managed_instance(&caller(), &activation.id, "not-the-code-at-all!", "10.80.0.2", "a").await;
    assert!(matches!(wrong, Err(SsmError::InvalidActivation(_))), "{wrong:?}");
    let first = ssm.register_managed_instance(&caller(), &activation.id, &activation.code, "10.80.0.2", "a").await;
    let first = first.unwrap();
    assert!(is_managed_instance_id(&first.id), "{}", first.id);
    assert_eq!(first.iam_role, "HybridNodes");
    ssm.register_managed_instance(&caller(), &activation.id, &activation.code, "10.80.0.3", "b").await.unwrap();
    let full = ssm.register_managed_instance(&caller(), &activation.id, &activation.code, "10.80.0.4", "c").await;
    assert!(full.unwrap_err().to_string().contains("registration limit of 2"));

    let (listed, _) = ssm.describe_activations(&caller(), &[], None, None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].registrations, 2);
    let (instances, _) = ssm.describe_instance_information(&caller(), &[], None, None).await.unwrap();
    assert_eq!(instances.len(), 2);
    let by_id = [InstanceFilter { key: "InstanceIds".into(), values: vec![first.id.clone()] }];
    let (found, _) = ssm.describe_instance_information(&caller(), &by_id, None, None).await.unwrap();
    assert_eq!(found, vec![first.clone()]);

    // Deleting the activation leaves its machines registered; deregistering one takes it away.
    ssm.delete_activation(&caller(), &activation.id).await.unwrap();
    let again = ssm.delete_activation(&caller(), &activation.id).await;
    assert!(matches!(again, Err(SsmError::InvalidActivationId(_))), "{again:?}");
    assert!(ssm.managed_instance(&caller(), &first.id).await.unwrap().is_some());
    ssm.deregister_managed_instance(&caller(), &first.id).await.unwrap();
    assert!(ssm.managed_instance(&caller(), &first.id).await.unwrap().is_none());
    let gone = ssm.deregister_managed_instance(&caller(), &first.id).await;
    assert!(matches!(gone, Err(SsmError::InvalidInstanceId(_))), "{gone:?}");
}

#[tokio::test]
async fn an_expired_activation_registers_nothing() {
    let clock = Arc::new(ManualClock::new(1_700_000_000.0));
    let ssm = ssm_at(Arc::clone(&clock));
    let input = CreateActivation { expiration: Some(1_700_000_600), ..request("HybridNodes") };
    let activation = ssm.create_activation(&caller(), &input).await.unwrap();
    clock.advance(601.0);
    let late = ssm.register_managed_instance(&caller(), &activation.id, &activation.code, "10.0.0.1", "a").await;
    assert!(late.unwrap_err().to_string().contains("has expired"));
}

#[tokio::test]
async fn bad_requests_are_refused_with_the_model_errors() {
    let ssm = ssm_at(Arc::new(ManualClock::new(1_700_000_000.0)));
    let cases = [
        (request(""), "iamRole"),
        (request(&"r".repeat(65)), "iamRole"),
        (CreateActivation { registration_limit: Some(0), ..request("r") }, "registrationLimit"),
        (CreateActivation { registration_limit: Some(1001), ..request("r") }, "registrationLimit"),
        (CreateActivation { description: Some("d".repeat(257)), ..request("r") }, "description"),
        (CreateActivation { default_instance_name: Some("a\0b".into()), ..request("r") }, "defaultInstanceName"),
        (CreateActivation { expiration: Some(1_600_000_000), ..request("r") }, "in the future"),
        (CreateActivation { expiration: Some(1_700_000_000 + MAX_LIFETIME + 1), ..request("r") }, "30 days"),
        (CreateActivation { tags: vec![("aws:x".into(), "y".into())], ..request("r") }, "aws:"),
    ];
    for (input, fragment) in cases {
        let error = ssm.create_activation(&caller(), &input).await.unwrap_err();
        assert!(error.to_string().contains(fragment), "{input:?}: {error}");
    }
    assert!(ssm.describe_activations(&caller(), &[], None, None).await.unwrap().0.is_empty());
    let bad_key = [ActivationFilter { key: "Nope".into(), values: vec![] }];
    assert!(matches!(ssm.describe_activations(&caller(), &bad_key, None, None).await, Err(SsmError::Validation(_))));
    assert!(matches!(ssm.delete_activation(&caller(), "garbage\0").await, Err(SsmError::Validation(_))));
    assert!(matches!(ssm.deregister_managed_instance(&caller(), "i-123").await, Err(SsmError::Validation(_))));
    let bad_filter = [InstanceFilter { key: "Color".into(), values: vec!["x".into()] }];
    let refused = ssm.describe_instance_information(&caller(), &bad_filter, None, None).await;
    assert!(matches!(refused, Err(SsmError::InvalidFilterKey(_))), "{refused:?}");
    let small = ssm.describe_instance_information(&caller(), &[], Some(4), None).await;
    assert!(matches!(small, Err(SsmError::Validation(_))), "{small:?}");
}

#[tokio::test]
async fn activations_page_in_creation_order() {
    let clock = Arc::new(ManualClock::new(1_700_000_000.0));
    let ssm = ssm_at(Arc::clone(&clock));
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(ssm.create_activation(&caller(), &request("r")).await.unwrap().id);
        clock.advance(1.0);
    }
    let (first, token) = ssm.describe_activations(&caller(), &[], Some(2), None).await.unwrap();
    let (rest, end) = ssm.describe_activations(&caller(), &[], Some(2), token.as_deref()).await.unwrap();
    let seen: Vec<String> = first.iter().chain(&rest).map(|a| a.id.clone()).collect();
    assert_eq!(seen, made);
    assert!(end.is_none());
}
