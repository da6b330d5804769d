use super::*;

fn record(issuer_id: Option<&str>, issuer: Option<&str>) -> ClusterRecord {
    ClusterRecord {
        name: "demo".into(),
        uid: "uid".into(),
        version: DEFAULT_VERSION.into(),
        created: "2026-01-01T00:00:00Z".into(),
        port: 6443,
        pki: ClusterPki::generate("demo").unwrap(),
        service_cidr: None,
        oidc_issuer_id: issuer_id.map(str::to_owned),
        oidc_issuer: issuer.map(str::to_owned),
    }
}

#[test]
fn records_without_an_issuer_keep_the_in_cluster_issuer() {
    let old = record(None, None);
    let json = serde_json::to_value(&old).unwrap();
    assert!(json.get("oidc_issuer").is_none() && json.get("oidc_issuer_id").is_none(), "{json}");
    let read: ClusterRecord = serde_json::from_value(json).unwrap();
    assert_eq!(read, old);
    assert_eq!(read.issuer(), crate::tokens::DEFAULT_ISSUER);
    assert_eq!(read.token_issuer().unwrap().public_path(), None);
}

#[test]
fn a_public_issuer_is_stored_and_served_under_its_path() {
    let public = record(Some("ABC"), Some("https://127.0.0.1:6443/id/ABC"));
    let read: ClusterRecord = serde_json::from_slice(&serde_json::to_vec(&public).unwrap()).unwrap();
    assert_eq!(read.issuer(), "https://127.0.0.1:6443/id/ABC");
    let issuer = read.token_issuer().unwrap();
    assert_eq!(issuer.public_path(), Some("/id/ABC"));
    assert_eq!(issuer.discovery()["jwks_uri"], "https://127.0.0.1:6443/id/ABC/keys");
}

#[tokio::test]
async fn issuer_ids_are_letters_and_digits() {
    let planes = ControlPlanes::new(Arc::new(store::MemoryStore::new()));
    for bad in ["", "../x", "a/b", "id with space"] {
        let error = planes.create_with("c", None, None, Some(bad)).await.unwrap_err();
        assert!(matches!(error, ClusterError::InvalidName { .. }), "{bad:?}: {error}");
    }
    assert!(planes.issuer_jwks("https://127.0.0.1:1/id/NONE").is_none());
}

#[tokio::test]
async fn a_cluster_is_found_by_its_public_issuer() {
    let planes = ControlPlanes::new(Arc::new(store::MemoryStore::new()));
    let public = planes.create_with("public", None, None, Some("ABC")).await.expect("created");
    planes.create("private", None).await.expect("created");
    let issuer = public.oidc_issuer.clone().expect("a public issuer once served");
    assert!(issuer.ends_with("/id/ABC"), "{issuer}");
    assert_eq!(planes.by_issuer(&issuer).map(|record| record.name), Some("public".to_owned()));
    assert_eq!(planes.by_issuer(&format!("{issuer}/")).map(|record| record.name), Some("public".to_owned()));
    assert!(planes.issuer_jwks(&issuer).is_some());
    assert!(planes.by_issuer("https://127.0.0.1:1/id/ABC").is_none());
    assert!(planes.by_issuer(crate::tokens::DEFAULT_ISSUER).is_none(), "the in-cluster issuer is no public one");
    planes.stop_all().await;
}

#[tokio::test]
async fn deleting_a_cluster_removes_every_object_and_its_record() {
    let store: DynStore = Arc::new(store::MemoryStore::new());
    let planes = ControlPlanes::new(Arc::clone(&store));
    let record = planes.create("gone", None).await.expect("created");
    let keep = planes.create("kept", None).await.expect("created");
    let count = |prefix: String| {
        let store = Arc::clone(&store);
        async move { store.list(&prefix, ListOptions::default()).await.expect("a list").items.len() }
    };
    // Bootstrap objects (namespaces, roles, the kubernetes service) and more of them than one store transaction
    // deletes, so that it takes several.
    for index in 0..store::MAX_TXN_OPS {
        let key = format!("/clusters/{}/registry/configmaps/default/extra-{index}", record.uid);
        store.create(&key, bytes::Bytes::from_static(b"{}")).await.expect("an object");
    }
    let objects = count(format!("/clusters/{}/", record.uid)).await;
    assert!(objects > store::MAX_TXN_OPS + 10, "{objects} objects");
    let before_kept = count(format!("/clusters/{}/", keep.uid)).await;
    planes.delete("gone").await.expect("deleted");
    assert_eq!(count(format!("/clusters/{}/", record.uid)).await, 0);
    assert_eq!(count(format!("{RECORD_PREFIX}gone")).await, 0);
    assert!(planes.get("gone").is_none());
    assert!(matches!(planes.delete("gone").await, Err(ClusterError::NotFound(_))));
    // The other cluster is untouched.
    assert_eq!(count(format!("/clusters/{}/", keep.uid)).await, before_kept);
    assert!(planes.get("kept").is_some());
    planes.stop_all().await;
}
