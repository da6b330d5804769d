use std::collections::BTreeMap;

use super::*;
use crate::eks::EksConfig;
use crate::eks::nodegroups::CreateNodegroup;
use crate::eks::tests::{caller, fixture, input};

fn check_arn(arn: &str, expect: Option<TaggedResource>) {
    match (parse_resource_arn(arn), expect) {
        (Ok(parsed), Some(resource)) => assert_eq!(parsed.resource, resource, "{arn}"),
        (Err(EksError::BadRequest(_)), None) => {}
        (got, want) => panic!("{arn}: got {got:?}, expected {want:?}"),
    }
}

#[test]
fn eks_arns_are_taken_apart_and_anything_else_is_a_bad_request() {
    let cluster = |name: &str| Some(TaggedResource::Cluster { name: name.into() });
    let nodegroup = Some(TaggedResource::Nodegroup { cluster: "c".into(), name: "ng".into() });
    let profile = Some(TaggedResource::FargateProfile { cluster: "c".into(), name: "fp".into() });
    check_arn("arn:aws:eks:us-east-1:000000000000:cluster/demo", cluster("demo"));
    check_arn("arn:aws:eks:us-east-1:000000000000:nodegroup/c/ng/uuid", nodegroup);
    check_arn("arn:aws:eks:us-east-1:000000000000:fargateprofile/c/fp/uuid", profile);
    check_arn("arn:aws:eks:us-east-1:000000000000:cluster/", None);
    check_arn("arn:aws:eks:us-east-1:000000000000:nodegroup/c/ng", None);
    check_arn("arn:aws:eks:us-east-1:000000000000:widget/x", None);
    check_arn("arn:aws:iam::000000000000:role/x", None);
    check_arn("arn:aws:eks:us-east-1:12:cluster/demo", None);
    check_arn("arn:aws:eks::000000000000:cluster/demo", None);
    check_arn("demo", None);
    check_arn("", None);
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[tokio::test]
async fn clusters_and_node_groups_are_tagged_by_arn() {
    let f = fixture(EksConfig::default());
    let cluster = f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.eks.tag_resource(&caller(), &cluster.arn, &tags(&[("team", "a"), ("env", "dev")])).await.unwrap();
    f.eks.untag_resource(&caller(), &cluster.arn, &["env".into(), "absent".into()]).await.unwrap();
    assert_eq!(f.eks.list_tags_for_resource(&caller(), &cluster.arn).await.unwrap(), tags(&[("team", "a")]));
    assert_eq!(f.eks.describe_cluster(&caller(), "demo").await.unwrap().tags, tags(&[("team", "a")]));

    let request = CreateNodegroup {
        cluster: "demo".into(),
        name: "ng".into(),
        subnets: vec!["subnet-a".into()],
        node_role: "arn:aws:iam::000000000000:role/node".into(),
        tags: tags(&[("from", "create")]),
        ..CreateNodegroup::default()
    };
    let nodegroup = f.eks.create_nodegroup(&caller(), request).await.unwrap();
    f.eks.tag_resource(&caller(), &nodegroup.arn, &tags(&[("more", "1")])).await.unwrap();
    let listed = f.eks.list_tags_for_resource(&caller(), &nodegroup.arn).await.unwrap();
    assert_eq!(listed, tags(&[("from", "create"), ("more", "1")]));

    let stale = nodegroup.arn.replace(nodegroup.arn.rsplit('/').next().unwrap(), "other-uuid");
    let elsewhere = cluster.arn.replace("us-east-1", "eu-west-1");
    for arn in [stale.as_str(), elsewhere.as_str(), "arn:aws:eks:us-east-1:000000000000:cluster/nope"] {
        let error = f.eks.list_tags_for_resource(&caller(), arn).await.unwrap_err();
        assert_eq!(error, EksError::NotFound(format!("Resource {arn} not found")));
    }
    let bad = f.eks.tag_resource(&caller(), "garbage", &tags(&[("k", "v")])).await.unwrap_err();
    assert!(matches!(bad, EksError::BadRequest(_)));
    let reserved = f.eks.tag_resource(&caller(), &cluster.arn, &tags(&[("aws:k", "v")])).await.unwrap_err();
    assert!(matches!(reserved, EksError::BadRequest(_)));
    let no_keys = f.eks.untag_resource(&caller(), &cluster.arn, &[]).await.unwrap_err();
    assert!(matches!(no_keys, EksError::BadRequest(_)));
}
