//! How every cluster's API server reaches pods' ports (the pod and service proxies, port-forwarding): the API
//! server's `PodConnector`, implemented with the node agent's responder (`node_agent::traffic`), so that a port
//! answers as the simulated pod serves it. No socket is opened: connections are in memory.

use k8s_openapi::api::core::v1::Pod;

/// The `PodConnector` the server installs in every cluster.
#[derive(Debug, Default)]
pub struct PodTraffic;

impl apiserver::PodConnector for PodTraffic {
    fn connect(&self, _cluster: &str, pod: &serde_json::Value, port: u16) -> Result<tokio::io::DuplexStream, String> {
        let ip = pod["status"]["podIP"].as_str().and_then(|ip| ip.parse().ok());
        let refused = || node_agent::traffic::dial_error(ip, port);
        // A stored pod always decodes; one that did not would answer nothing, as a pod that is not there.
        let pod: Pod = serde_json::from_value(pod.clone()).map_err(|_| refused())?;
        node_agent::traffic::connect(&pod, port).map_err(|refusal| {
            tracing::debug!(%refusal, "connection to a pod refused");
            refused()
        })
    }
}

#[cfg(test)]
mod tests {
    use apiserver::PodConnector;
    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn pods_answer_on_their_declared_ports_only() {
        let pod = json!({
            "metadata": { "name": "web", "namespace": "default" },
            "spec": { "nodeName": "n", "containers": [{ "name": "app", "ports": [{ "containerPort": 80 }] }] },
            "status": { "phase": "Running", "podIP": "10.0.0.7" },
        });
        assert!(PodTraffic.connect("demo", &pod, 80).is_ok());
        assert_eq!(
            PodTraffic.connect("demo", &pod, 81).unwrap_err(),
            "dial tcp 10.0.0.7:81: connect: connection refused"
        );
        let garbage = json!({ "metadata": { "name": 7 }, "status": { "podIP": "10.0.0.7" } });
        assert_eq!(
            PodTraffic.connect("demo", &garbage, 80).unwrap_err(),
            "dial tcp 10.0.0.7:80: connect: connection refused"
        );
    }
}
