//! The probes kubelet makes, through the pod's simulated ports: an `httpGet` probe is an HTTP GET over
//! [`traffic::connect`] (success on a status from 200 to 399), a `tcpSocket` probe a connection. The program serves
//! the ports its probes check, declared or not (as CoreDNS serves 8080 and 8181), so a probe fails only on what the
//! pod answers (`ekslite.dev/http-status`) or on a pod that does not run (`connection refused`); a named port the
//! container does not declare errors as kubelet's does. `exec` and `grpc` probes always succeed here (the annotations of [`crate::lifecycle`]
//! make them fail).
//!
//! A simulated pod answers the same way for as long as it runs (its answer depends only on its spec and
//! annotations), so the agent probes each container once, when it admits the pod, and the pure simulation plays the
//! result out over time ([`crate::lifecycle::ProbeFailure`]).

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use k8s_openapi::api::core::v1::{Container, HTTPGetAction, Pod, PodStatus, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::lifecycle::{ContainerProbeFailures, ProbeFailure};
use crate::traffic;

/// What one probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It succeeded.
    Success,
    /// It failed, with its output (`HTTP probe failed with statuscode: 503`).
    Failure(String),
    /// It could not be made, with the error (a named port the container does not declare).
    Errored(String),
}

/// kubelet's defaults: `periodSeconds` and `failureThreshold`.
const DEFAULT_PERIOD_SECONDS: i32 = 10;
const DEFAULT_FAILURE_THRESHOLD: i32 = 3;
const DEFAULT_TIMEOUT_SECONDS: i32 = 1;

/// Probes every regular container of `pod` as it will run with `pod_ip`: what each of its readiness, liveness and
/// startup probes finds, in the order of `spec.containers`.
pub async fn failures(pod: &Pod, pod_ip: Option<IpAddr>) -> Vec<ContainerProbeFailures> {
    let Some(spec) = pod.spec.as_ref() else { return Vec::new() };
    if !spec.containers.iter().any(has_network_probe) {
        return vec![ContainerProbeFailures::default(); spec.containers.len()];
    }
    // The containers run when they are probed, whatever the API shows of the pod yet.
    let mut running = pod.clone();
    let status = running.status.get_or_insert_with(PodStatus::default);
    status.phase = Some("Running".into());
    status.pod_ip = pod_ip.map(|ip| ip.to_string());
    let mut found = Vec::with_capacity(spec.containers.len());
    for container in &spec.containers {
        let failure = async |probe: Option<&Probe>, kills: bool| -> Option<ProbeFailure> {
            let probe = probe?;
            let kill_after = kills.then(|| kill_after(probe));
            match run(&running, container, probe, pod_ip).await {
                Outcome::Success => None,
                Outcome::Failure(output) => Some(ProbeFailure { detail: format!("failed: {output}"), kill_after }),
                Outcome::Errored(error) => Some(ProbeFailure {
                    detail: format!("errored and resulted in unknown state: {error}"),
                    kill_after: None,
                }),
            }
        };
        found.push(ContainerProbeFailures {
            readiness: failure(container.readiness_probe.as_ref(), false).await,
            liveness: failure(container.liveness_probe.as_ref(), true).await,
            startup: failure(container.startup_probe.as_ref(), true).await,
        });
    }
    found
}

fn has_network_probe(container: &Container) -> bool {
    [&container.readiness_probe, &container.liveness_probe, &container.startup_probe]
        .into_iter()
        .flatten()
        .any(|probe| probe.http_get.is_some() || probe.tcp_socket.is_some())
}

/// When a probe that always fails has failed `failureThreshold` times in a row after a start: its first run comes
/// after `initialDelaySeconds`, the others `periodSeconds` apart.
pub fn kill_after(probe: &Probe) -> Duration {
    let seconds = |value: Option<i32>, default: i32| u64::try_from(value.unwrap_or(default)).unwrap_or(0);
    let period = seconds(probe.period_seconds, DEFAULT_PERIOD_SECONDS).max(1);
    let threshold = seconds(probe.failure_threshold, DEFAULT_FAILURE_THRESHOLD).max(1);
    Duration::from_secs(seconds(probe.initial_delay_seconds, 0) + period * (threshold - 1))
}

/// Makes one probe of `container` in `pod` (which must be seen running), whose address is `pod_ip`.
pub async fn run(pod: &Pod, container: &Container, probe: &Probe, pod_ip: Option<IpAddr>) -> Outcome {
    let timeout = Duration::from_secs(
        u64::try_from(probe.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS)).unwrap_or(1).max(1),
    );
    if let Some(action) = &probe.http_get {
        let port = match resolve_port(&action.port, container) {
            Ok(port) => port,
            Err(error) => return Outcome::Errored(error),
        };
        return http_get(pod, pod_ip, port, action, timeout).await;
    }
    if let Some(action) = &probe.tcp_socket {
        let port = match resolve_port(&action.port, container) {
            Ok(port) => port,
            Err(error) => return Outcome::Errored(error),
        };
        return match traffic::connect(pod, port) {
            Ok(_) => Outcome::Success,
            Err(_) => Outcome::Failure(traffic::dial_error(pod_ip, port)),
        };
    }
    Outcome::Success
}

/// A probe's port: a number, or the name of one of the container's ports (else a number written as text), as
/// kubelet's `ResolveContainerPort` reads it; the error is kubelet's.
pub fn resolve_port(port: &IntOrString, container: &Container) -> Result<u16, String> {
    let number = match port {
        IntOrString::Int(number) => i64::from(*number),
        IntOrString::String(name) => {
            let declared = container.ports.iter().flatten().find(|p| p.name.as_deref() == Some(name.as_str()));
            match declared {
                Some(declared) => i64::from(declared.container_port),
                None => name.parse::<i64>().map_err(|_| format!("strconv.Atoi: parsing {name:?}: invalid syntax"))?,
            }
        }
    };
    u16::try_from(number).ok().filter(|port| *port > 0).ok_or_else(|| format!("invalid port number: {number}"))
}

async fn http_get(pod: &Pod, pod_ip: Option<IpAddr>, port: u16, action: &HTTPGetAction, timeout: Duration) -> Outcome {
    let path = action.path.as_deref().filter(|path| !path.is_empty()).unwrap_or("/");
    let scheme = action.scheme.as_deref().unwrap_or("HTTP").to_ascii_lowercase();
    let host = match pod_ip {
        Some(IpAddr::V6(ip)) => format!("[{ip}]:{port}"),
        Some(ip) => format!("{ip}:{port}"),
        None => format!(":{port}"),
    };
    let url = format!("{scheme}://{host}{path}");
    let mut request = hyper::Request::get(path).header(hyper::header::HOST, host.as_str());
    for header in action.http_headers.iter().flatten() {
        request = request.header(header.name.as_str(), header.value.as_str());
    }
    let request = match request.header(hyper::header::USER_AGENT, "kube-probe").body(Empty::<Bytes>::new()) {
        Ok(request) => request,
        Err(error) => return Outcome::Errored(format!("parse {url:?}: {error}")),
    };
    let stream = match traffic::connect(pod, port) {
        Ok(stream) => stream,
        Err(_) => return Outcome::Failure(format!("Get {url:?}: {}", traffic::dial_error(pod_ip, port))),
    };
    let exchange = async {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|error| error.to_string())?;
        // The request is sent while the connection is driven; dropping the sender then ends the connection.
        let send = async move { sender.send_request(request).await.map(|response| response.status()) };
        let (status, _) = tokio::join!(send, connection);
        status.map_err(|error| error.to_string())
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(status)) if (200..400).contains(&status.as_u16()) => Outcome::Success,
        Ok(Ok(status)) => Outcome::Failure(format!("HTTP probe failed with statuscode: {}", status.as_u16())),
        Ok(Err(error)) => Outcome::Failure(format!("Get {url:?}: {error}")),
        Err(_) => Outcome::Failure(format!(
            "Get {url:?}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        )),
    }
}

#[cfg(test)]
mod tests;
