//! The controllers' client reaches an in-process API server: the plumbing every controller test stands on.

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, ListParams, PostParams};
use test_support::cluster;

#[tokio::test]
async fn a_kube_client_lists_creates_and_watches_in_process() {
    let (planes, client) = cluster().await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let names: Vec<String> = namespaces
        .list(&ListParams::default())
        .await
        .expect("list namespaces")
        .items
        .into_iter()
        .filter_map(|ns| ns.metadata.name)
        .collect();
    assert_eq!(names, ["default", "kube-node-lease", "kube-public", "kube-system"]);

    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut map = ConfigMap::default();
    map.metadata.name = Some("settings".into());
    map.data = Some([("a".to_owned(), "1".to_owned())].into());
    let created = maps.create(&PostParams::default(), &map).await.expect("create");
    assert!(created.metadata.uid.is_some(), "the server set a uid");
    let error = maps.create(&PostParams::default(), &map).await.expect_err("a second create conflicts");
    assert!(matches!(error, kube::Error::Api(ref status) if status.code == 409), "{error:?}");

    // A watch from the list's revision sees a later change.
    use futures::{StreamExt, TryStreamExt};
    let list = maps.list(&ListParams::default()).await.expect("list");
    let version = list.metadata.resource_version.expect("a list has a resourceVersion");
    let mut events = maps.watch(&kube::api::WatchParams::default(), &version).await.expect("watch").boxed();
    maps.delete("settings", &Default::default()).await.expect("delete");
    let event = events.try_next().await.expect("a watch event").expect("the stream goes on");
    assert!(matches!(event, kube::api::WatchEvent::Deleted(ref m) if m.metadata.name.as_deref() == Some("settings")));
    planes.stop_all().await;
}
