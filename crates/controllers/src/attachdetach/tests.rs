use super::*;

fn pod(name: &str, node: Option<&str>, phase: &str, claims: &[&str]) -> Pod {
    let volumes: Vec<serde_json::Value> =
        claims.iter().map(|c| json!({"name": c, "persistentVolumeClaim": {"claimName": c}})).collect();
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": node, "containers": [{"name": "c"}], "volumes": volumes},
        "status": {"phase": phase},
    }))
    .expect("a pod")
}

#[test]
fn a_claim_is_wanted_on_the_nodes_of_its_pods_that_have_not_finished() {
    let pods = [
        pod("a", Some("node-1"), "Running", &["data"]),
        pod("b", Some("node-2"), "Succeeded", &["data"]),
        pod("c", None, "Pending", &["data"]),
        pod("d", Some("node-3"), "Running", &["logs"]),
        pod("e", Some("node-4"), "Pending", &["logs", "data"]),
    ];
    assert_eq!(nodes_using(&pods, "data"), BTreeSet::from(["node-1".to_owned(), "node-4".to_owned()]));
    assert!(nodes_using(&pods, "other").is_empty());
}

#[test]
fn attachment_names_are_stable_and_differ_per_node() {
    assert_eq!(attachment_name("pvc-1", "node-1"), attachment_name("pvc-1", "node-1"));
    assert_ne!(attachment_name("pvc-1", "node-1"), attachment_name("pvc-1", "node-2"));
    assert!(attachment_name("pvc-1", "node-1").starts_with("csi-"));
}

#[test]
fn volume_handles_and_instances_are_read_as_the_driver_reads_them() {
    let csi: PersistentVolume = serde_json::from_value(json!({"metadata": {"name": "v"}, "spec": {
        "csi": {"driver": EBS_DRIVER, "volumeHandle": "vol-0123456789abcdef0"}}}))
    .expect("a volume");
    assert_eq!(ebs_volume_handle(&csi).as_deref(), Some("vol-0123456789abcdef0"));
    let in_tree: PersistentVolume = serde_json::from_value(json!({"metadata": {"name": "v"}, "spec": {
        "awsElasticBlockStore": {"volumeID": "aws://us-east-1a/vol-0123456789abcdef0"}}}))
    .expect("a volume");
    assert_eq!(ebs_volume_handle(&in_tree).as_deref(), Some("vol-0123456789abcdef0"));
    let other: PersistentVolume = serde_json::from_value(json!({"metadata": {"name": "v"}, "spec": {
        "csi": {"driver": "efs.csi.aws.com", "volumeHandle": "fs-1"}}}))
    .expect("a volume");
    assert_eq!(ebs_volume_handle(&other), None);
    assert_eq!(instance_of_provider_id("aws:///us-east-1a/i-0123456789abcdef0"), Some("i-0123456789abcdef0"));
    assert_eq!(instance_of_provider_id("fargate:///x"), None);
    assert_eq!(instance_of_provider_id("aws:///us-east-1a/"), None);
}
