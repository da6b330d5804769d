use super::*;
use crate::eks::tests::{caller, fixture, input};
use crate::eks::{CreateCluster, EksConfig};

const KEY: &str = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn secrets(key: &str) -> Vec<EncryptionConfig> {
    vec![EncryptionConfig { resources: vec!["secrets".into()], key_arn: key.into() }]
}

#[test]
fn only_secrets_with_a_key_of_the_region_are_accepted() {
    assert_eq!(validate_encryption(&secrets(KEY), "us-east-1"), Ok(()));
    assert_eq!(validate_encryption(&secrets("arn:aws:kms:us-east-1:000000000000:alias/eks"), "us-east-1"), Ok(()));
    assert_eq!(validate_encryption(&[], "us-east-1"), Ok(()));
    let mut configmaps = secrets(KEY);
    configmaps[0].resources = vec!["configmaps".into()];
    let mut none = secrets(KEY);
    none[0].resources.clear();
    let two = [secrets(KEY), secrets(KEY)].concat();
    let long = format!("arn:aws:kms:us-east-1:000000000000:key/{}", "k".repeat(300));
    for (configs, region) in [
        (configmaps, "us-east-1"),
        (none, "us-east-1"),
        (two, "us-east-1"),
        (secrets(KEY), "eu-west-1"),
        (secrets("arn:aws:s3:::bucket"), "us-east-1"),
        (secrets("arn:aws:kms:us-east-1:0000:key/x"), "us-east-1"),
        (secrets("arn:aws:kms:us-east-1:000000000000:key/"), "us-east-1"),
        (secrets("arn:aws:kms:us-east-1:000000000000:key/a\0b"), "us-east-1"),
        (secrets(&long), "us-east-1"),
        (secrets(""), "us-east-1"),
    ] {
        assert!(matches!(validate_encryption(&configs, region), Err(EksError::InvalidParameter(_))), "{configs:?}");
    }
}

#[tokio::test]
async fn a_cluster_without_encryption_is_given_it_once() {
    let f = fixture(EksConfig::default());
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    let update = f.eks.associate_encryption_config(&caller(), "demo", secrets(KEY), None).await.unwrap();
    assert_eq!(update.kind, "AssociateEncryptionConfig");
    assert_eq!(update.params[0].0, "EncryptionConfig");
    assert!(update.params[0].1.contains(KEY));
    assert_eq!(f.eks.describe_cluster(&caller(), "demo").await.unwrap().encryption, secrets(KEY));

    let again = f.eks.associate_encryption_config(&caller(), "demo", secrets(KEY), None).await.unwrap_err();
    assert!(matches!(again, EksError::InvalidRequest(_)), "{again:?}");
    let empty = f.eks.associate_encryption_config(&caller(), "demo", Vec::new(), None).await.unwrap_err();
    assert!(matches!(empty, EksError::InvalidParameter(_)));
    let missing = f.eks.associate_encryption_config(&caller(), "nope", secrets(KEY), None).await.unwrap_err();
    assert!(matches!(missing, EksError::ResourceNotFound(_)));

    let given = CreateCluster { encryption: secrets(KEY), ..input("sealed") };
    f.eks.create_cluster(&caller(), given).await.unwrap();
    let refused = f.eks.associate_encryption_config(&caller(), "sealed", secrets(KEY), None).await.unwrap_err();
    assert!(matches!(refused, EksError::InvalidRequest(_)));
}
