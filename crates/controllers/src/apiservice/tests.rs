//! The `Available` condition's reasons, one case per line.

use k8s_openapi::api::core::v1::{Endpoints, Service};
use serde_json::json;

use super::availability;

fn check(service: Option<serde_json::Value>, endpoints: Option<serde_json::Value>, expect: (&str, &str, &str)) {
    let service: Option<Service> = service.map(|s| serde_json::from_value(s).expect("a Service"));
    let endpoints: Option<Endpoints> = endpoints.map(|e| serde_json::from_value(e).expect("Endpoints"));
    let (status, reason, message) =
        availability("kube-system", "metrics-server", 443, service.as_ref(), endpoints.as_ref());
    assert_eq!((status, reason, message.as_str()), expect);
}

#[test]
fn available_condition_follows_the_service_and_its_endpoints() {
    let service = json!({"spec": {"ports": [{"name": "https", "port": 443}]}});
    let ready = json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"name": "https", "port": 4443}]}]});
    let not_ready =
        json!({"subsets": [{"notReadyAddresses": [{"ip": "10.0.0.1"}], "ports": [{"name": "https", "port": 4443}]}]});
    check(None, None, ("False", "ServiceNotFound", "service/metrics-server in \"kube-system\" is not present"));
    check(
        Some(json!({"spec": {"ports": [{"port": 80}]}})),
        None,
        ("False", "ServicePortError", "service/metrics-server in \"kube-system\" is not listening on port 443"),
    );
    check(
        Some(service.clone()),
        None,
        ("False", "EndpointsNotFound", "cannot find endpoints for service/metrics-server in \"kube-system\""),
    );
    check(
        Some(service.clone()),
        Some(not_ready),
        (
            "False",
            "MissingEndpoints",
            "endpoints for service/metrics-server in \"kube-system\" have no addresses with port name \"https\"",
        ),
    );
    check(Some(service), Some(ready), ("True", "Passed", "all checks passed"));
    check(Some(json!({"spec": {"type": "ExternalName"}})), None, ("True", "Passed", "all checks passed"));
}
