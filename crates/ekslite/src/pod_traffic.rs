//! How every cluster's API server reaches pods' ports (the pod and service proxies, port-forwarding, the
//! aggregation layer): the API server's `PodConnector`, implemented with the node agent's responder
//! (`node_agent::traffic`), so that a port answers as the simulated pod serves it, except where the pod runs a
//! program ekslite simulates whole: a metrics-server's secure port answers the resource metrics API
//! ([`crate::metrics_server`]). No socket is opened: connections are in memory.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use crate::metrics_server::{self, UsageSource};

/// The `PodConnector` the server installs in every cluster.
#[derive(Debug)]
pub struct PodTraffic {
    /// Where metrics-servers read their clusters' usage.
    usage: Arc<dyn UsageSource>,
}

impl PodTraffic {
    pub fn new(usage: Arc<dyn UsageSource>) -> PodTraffic {
        PodTraffic { usage }
    }
}

impl apiserver::PodConnector for PodTraffic {
    fn connect(&self, cluster: &str, pod: &serde_json::Value, port: u16) -> Result<tokio::io::DuplexStream, String> {
        let ip = pod["status"]["podIP"].as_str().and_then(|ip| ip.parse().ok());
        let refused = || node_agent::traffic::dial_error(ip, port);
        // A stored pod always decodes; one that did not would answer nothing, as a pod that is not there.
        let pod: Pod = serde_json::from_value(pod.clone()).map_err(|_| refused())?;
        let refusal = |refusal: node_agent::traffic::Refused| {
            tracing::debug!(%refusal, "connection to a pod refused");
            refused()
        };
        if let Some(server) = metrics_server::serving(&pod, port) {
            node_agent::traffic::listener(&pod, port).map_err(refusal)?;
            return metrics_server::connect(server, cluster.to_owned(), Arc::clone(&self.usage)).ok_or_else(refused);
        }
        node_agent::traffic::connect(&pod, port).map_err(refusal)
    }
}

#[cfg(test)]
mod tests {
    use apiserver::PodConnector;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[derive(Debug)]
    struct Idle;

    impl UsageSource for Idle {
        fn usage(&self, _cluster: &str) -> Option<node_agent::usage::UsageSnapshot> {
            None
        }
    }

    fn traffic() -> PodTraffic {
        PodTraffic::new(Arc::new(Idle))
    }

    #[tokio::test]
    async fn pods_answer_on_their_declared_ports_only() {
        let pod = json!({
            "metadata": { "name": "web", "namespace": "default" },
            "spec": { "nodeName": "n", "containers": [{ "name": "app", "ports": [{ "containerPort": 80 }] }] },
            "status": { "phase": "Running", "podIP": "10.0.0.7" },
        });
        assert!(traffic().connect("demo", &pod, 80).is_ok());
        assert_eq!(
            traffic().connect("demo", &pod, 81).unwrap_err(),
            "dial tcp 10.0.0.7:81: connect: connection refused"
        );
        let garbage = json!({ "metadata": { "name": 7 }, "status": { "podIP": "10.0.0.7" } });
        assert_eq!(
            traffic().connect("demo", &garbage, 80).unwrap_err(),
            "dial tcp 10.0.0.7:80: connect: connection refused"
        );
    }

    #[tokio::test]
    async fn a_metrics_server_answers_the_metrics_api_once_it_runs() {
        let mut pod = json!({
            "metadata": { "name": "metrics-server-1", "namespace": "kube-system" },
            "spec": { "nodeName": "n", "containers": [{
                "name": "metrics-server",
                "image": "registry.k8s.io/metrics-server/metrics-server:v0.8.0",
                "args": ["--secure-port=10250"],
                "ports": [{ "containerPort": 10250, "name": "https" }],
            }]},
            "status": { "phase": "Pending" },
        });
        assert!(traffic().connect("demo", &pod, 10250).is_err(), "a pod that does not run refuses");
        pod["status"] = json!({ "phase": "Running", "podIP": "10.0.0.9" });
        let mut stream = traffic().connect("demo", &pod, 10250).expect("it listens");
        stream
            .write_all(b"GET /apis/metrics.k8s.io/v1beta1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("\"PodMetrics\""), "{answer}");
    }
}
