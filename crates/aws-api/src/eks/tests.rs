use aws_model::eks::EksError;

use super::*;

fn check_query(query: &str, expect: &str) {
    assert_eq!(first_values(query), expect, "{query}");
}

#[test]
fn repeated_query_parameters_keep_their_first_value() {
    check_query("", "");
    check_query("tagKeys=a", "tagKeys=a");
    check_query("tagKeys=a&tagKeys=b&maxResults=2", "tagKeys=a&maxResults=2");
    check_query("a&a=1&b=%ZZ", "a&b=%ZZ");
}

fn check_segment(segment: &str, expect: Option<&str>) {
    assert_eq!(aws_protocol::decode_path_segment(segment).as_deref(), expect, "{segment}");
}

#[test]
fn path_segments_are_percent_decoded() {
    check_segment("demo", Some("demo"));
    check_segment(
        "arn%3Aaws%3Aeks%3Aus-east-1%3A000000000000%3Acluster%2Fdemo",
        Some("arn:aws:eks:us-east-1:000000000000:cluster/demo"),
    );
    check_segment("%ZZ", None);
    check_segment("%4", None);
    check_segment("%FF", None);
}

fn check_error(model: EksError, expect: (&str, u16)) {
    let wire = child_error(model.clone(), "demo", "nodegroupName", "ng");
    assert_eq!((wire.code.as_str(), wire.status.as_u16()), expect, "{model:?}");
    assert_eq!(wire.extra.get("clusterName").and_then(|v| v.as_str()), Some("demo"));
    assert_eq!(wire.extra.get("nodegroupName").and_then(|v| v.as_str()), Some("ng"));
}

#[test]
fn model_errors_map_to_eks_types_and_statuses() {
    check_error(EksError::InvalidParameter("x".into()), ("InvalidParameterException", 400));
    check_error(EksError::InvalidRequest("x".into()), ("InvalidRequestException", 400));
    check_error(EksError::ResourceInUse("x".into()), ("ResourceInUseException", 409));
    check_error(EksError::ResourceNotFound("x".into()), ("ResourceNotFoundException", 404));
    check_error(EksError::ResourceLimitExceeded("x".into()), ("ResourceLimitExceededException", 400));
    check_error(EksError::BadRequest("x".into()), ("BadRequestException", 400));
    check_error(EksError::NotFound("x".into()), ("NotFoundException", 404));
    check_error(EksError::Server("x".into()), ("ServerException", 500));
    let bare = child_error(EksError::ResourceNotFound("x".into()), "demo", "addonName", "");
    assert!(!bare.extra.contains_key("addonName"));
}

#[test]
fn a_node_group_in_use_is_named_in_the_error() {
    let model = EksError::NodegroupInUse { message: "Cluster has nodegroups attached".into(), nodegroup: "ng".into() };
    let wire = error(model, "demo");
    assert_eq!((wire.code.as_str(), wire.status.as_u16()), ("ResourceInUseException", 409));
    assert_eq!(wire.message, "Cluster has nodegroups attached");
    assert_eq!(wire.extra.get("nodegroupName").and_then(|v| v.as_str()), Some("ng"));
    assert_eq!(wire.extra.get("clusterName").and_then(|v| v.as_str()), Some("demo"));
}

fn body(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap()
}

#[test]
fn auto_mode_settings_are_read_from_their_three_places() {
    let given = body(
        r#"{"computeConfig": {"enabled": true, "nodePools": ["system"], "nodeRoleArn": "arn:aws:iam::000000000000:role/n"},
            "storageConfig": {"blockStorage": {"enabled": true}},
            "kubernetesNetworkConfig": {"elasticLoadBalancing": {"enabled": true}}}"#,
    );
    let network = object(&given, "kubernetesNetworkConfig").unwrap();
    let request = auto_mode_request(&given, network).unwrap();
    let compute = request.compute.clone().unwrap();
    assert_eq!(compute.enabled, Some(true));
    assert_eq!(compute.node_pools, Some(vec!["system".to_owned()]));
    assert_eq!(compute.node_role_arn.as_deref(), Some("arn:aws:iam::000000000000:role/n"));
    assert_eq!((request.block_storage, request.load_balancing), (Some(Some(true)), Some(Some(true))));
    assert!(!auto_mode_request(&body("{}"), None).unwrap().is_given());
}

#[test]
fn garbage_auto_mode_settings_are_invalid_parameters() {
    for text in [
        r#"{"computeConfig": "on"}"#,
        r#"{"computeConfig": {"enabled": "yes"}}"#,
        r#"{"computeConfig": {"nodePools": "system"}}"#,
        r#"{"computeConfig": {"nodePools": [1, 2]}}"#,
        r#"{"storageConfig": {"blockStorage": []}}"#,
        r#"{"kubernetesNetworkConfig": {"elasticLoadBalancing": {"enabled": 1}}}"#,
    ] {
        let given = body(text);
        let network = object(&given, "kubernetesNetworkConfig").unwrap();
        let refused = auto_mode_request(&given, network).unwrap_err();
        assert_eq!((refused.code.as_str(), refused.status.as_u16()), ("InvalidParameterException", 400), "{text}");
    }
}
