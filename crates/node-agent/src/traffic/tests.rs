use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

fn pod(value: Value) -> Pod {
    serde_json::from_value(value).expect("a pod")
}

fn web(phase: &str, annotations: Value) -> Pod {
    pod(json!({
        "metadata": { "name": "web-1", "namespace": "shop", "annotations": annotations },
        "spec": {
            "nodeName": "ip-10-0-1-7.ec2.internal",
            "initContainers": [
                { "name": "setup", "image": "busybox", "ports": [{ "containerPort": 9000 }] },
                { "name": "proxy", "image": "envoy", "restartPolicy": "Always",
                  "ports": [{ "containerPort": 15001 }] },
            ],
            "containers": [
                { "name": "app", "image": "nginx", "ports": [{ "containerPort": 80, "name": "http" },
                                                             { "containerPort": 53, "protocol": "UDP" }] },
                { "name": "metrics", "image": "exporter", "ports": [{ "containerPort": 9100, "protocol": "TCP" }] },
            ],
        },
        "status": { "phase": phase, "podIP": "10.0.1.23" },
    }))
}

#[test]
fn a_port_answers_only_when_running_and_declared_as_tcp_or_probed() {
    let running = web("Running", json!({}));
    let served = |port| listener(&running, port).map(|l| l.container);
    assert_eq!(served(80), Ok("app".to_owned()));
    assert_eq!(served(9100), Ok("metrics".to_owned()));
    // A restartable sidecar serves; an init container that runs to completion does not.
    assert_eq!(served(15001), Ok("proxy".to_owned()));
    let closed = |port| Err(Refused::ClosedPort { namespace: "shop".into(), name: "web-1".into(), port });
    assert_eq!(served(9000), closed(9000));
    // UDP ports and undeclared ones are closed to TCP.
    assert_eq!(served(53), closed(53));
    assert_eq!(served(8080), closed(8080));
    for phase in ["Pending", "Succeeded", "Failed", ""] {
        let refused = listener(&web(phase, json!({})), 80).unwrap_err();
        assert_eq!(
            refused,
            Refused::NotRunning { namespace: "shop".into(), name: "web-1".into(), phase: phase.into() }
        );
    }
    // A pod with no spec or status at all is refused, not a panic.
    assert!(matches!(listener(&Pod::default(), 80), Err(Refused::NotRunning { .. })));
}

#[test]
fn the_ports_a_container_probes_answer_though_undeclared() {
    // CoreDNS declares 53 and 9153 but serves its probes on 8080 and 8181.
    let coredns = pod(json!({
        "metadata": { "name": "coredns-1", "namespace": "kube-system" },
        "spec": { "containers": [{
            "name": "coredns", "image": "coredns",
            "ports": [{ "containerPort": 53, "protocol": "UDP" }, { "containerPort": 9153 }],
            "livenessProbe": { "httpGet": { "path": "/health", "port": 8080 } },
            "readinessProbe": { "httpGet": { "path": "/ready", "port": 8181 } },
            "startupProbe": { "tcpSocket": { "port": 8282 } },
        }] },
        "status": { "phase": "Running", "podIP": "10.0.1.24" },
    }));
    for port in [8080, 8181, 8282, 9153] {
        assert_eq!(listener(&coredns, port).map(|l| l.container), Ok("coredns".to_owned()), "port {port}");
    }
    assert!(matches!(listener(&coredns, 8383), Err(Refused::ClosedPort { port: 8383, .. })));
}

#[test]
fn undeclared_ports_answer_when_the_annotation_names_them() {
    let annotated = web("Running", json!({ "ekslite.dev/listen-ports": "8081, 9000,bad" }));
    assert_eq!(listener(&annotated, 8081).map(|l| l.container), Ok("app".to_owned()));
    assert_eq!(listener(&annotated, 9000).map(|l| l.container), Ok("app".to_owned()));
    assert!(matches!(listener(&annotated, 8082), Err(Refused::ClosedPort { .. })));
}

#[test]
fn the_echo_says_who_served_the_request() {
    let served = listener(&web("Running", json!({})), 80).unwrap();
    let (status, content_type, body) = answer(&served, "POST", "/cart/items", "id=7", 12);
    assert_eq!((status, content_type), (200, "application/json"));
    let echo: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        echo,
        json!({
            "pod": "web-1", "namespace": "shop", "node": "ip-10-0-1-7.ec2.internal", "podIP": "10.0.1.23",
            "container": "app", "port": 80, "method": "POST", "path": "/cart/items", "query": "id=7",
            "bodyBytes": 12,
        })
    );
}

#[test]
fn annotations_set_the_status_and_a_fixed_body() {
    let pod = web("Running", json!({ "ekslite.dev/http-status": "503", "ekslite.dev/http-body": "down\n" }));
    let served = listener(&pod, 80).unwrap();
    assert_eq!(answer(&served, "GET", "/", "", 0), (503, "text/plain; charset=utf-8", Bytes::from("down\n")));
    // A status that is not one from 200 to 599 is ignored.
    for bad in ["99", "600", "abc", "", "-1", "302x"] {
        let pod = web("Running", json!({ "ekslite.dev/http-status": bad }));
        assert_eq!(listener(&pod, 80).unwrap().status, 200, "{bad:?}");
    }
    let pod = web("Running", json!({ "ekslite.dev/http-status": " 302 " }));
    assert_eq!(listener(&pod, 80).unwrap().status, 302);
}

#[test]
fn the_dial_error_is_worded_as_go_words_it() {
    assert_eq!(dial_error("10.0.1.5".parse().ok(), 81), "dial tcp 10.0.1.5:81: connect: connection refused");
    assert_eq!(dial_error("fd00::5".parse().ok(), 81), "dial tcp [fd00::5]:81: connect: connection refused");
    assert_eq!(dial_error(None, 81), "dial tcp :81: connect: connection refused");
}

#[test]
fn connecting_outside_a_runtime_is_refused_not_a_panic() {
    assert_eq!(connect(&web("Running", json!({})), 80).unwrap_err(), Refused::NoRuntime);
}

async fn get(sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>, uri: &str) -> (u16, Value) {
    let request = hyper::Request::get(uri).header("host", "web").body(Empty::new()).unwrap();
    let response = sender.send_request(request).await.expect("an answer");
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn a_connection_serves_several_requests() {
    let stream = connect(&web("Running", json!({})), 9100).expect("open");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    let driver = tokio::spawn(connection);
    for path in ["/metrics", "/healthz"] {
        let (status, echo) = get(&mut sender, &format!("{path}?verbose=1")).await;
        assert_eq!(status, 200);
        assert_eq!((echo["container"].as_str(), echo["port"].as_u64()), (Some("metrics"), Some(9100)));
        assert_eq!((echo["path"].as_str(), echo["query"].as_str()), (Some(path), Some("verbose=1")));
    }
    drop(sender);
    driver.await.unwrap().unwrap();
}

#[tokio::test]
async fn refused_connections_fail_at_once() {
    assert!(matches!(connect(&web("Running", json!({})), 8080), Err(Refused::ClosedPort { port: 8080, .. })));
    assert!(matches!(connect(&web("Pending", json!({})), 80), Err(Refused::NotRunning { .. })));
}

/// Reads what the pod's end writes until it closes, with a deadline so that a hang fails the test.
async fn read_until_closed(stream: &mut tokio::io::DuplexStream) -> String {
    let mut text = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut text))
        .await
        .expect("the pod's end closes")
        .expect("reads");
    String::from_utf8_lossy(&text).into_owned()
}

#[tokio::test]
async fn garbage_gets_a_bad_request_and_the_connection_closes() {
    for garbage in
        [&b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..], b"GET / HTTP/9.9\r\n\r\n", b"NOT HTTP AT ALL\r\n\r\n"]
    {
        let mut stream = connect(&web("Running", json!({})), 80).unwrap();
        stream.write_all(garbage).await.unwrap();
        let answer = read_until_closed(&mut stream).await;
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    }
    // A request line longer than any buffer hyper keeps is refused too.
    let mut stream = connect(&web("Running", json!({})), 80).unwrap();
    let huge = format!("GET /{} HTTP/1.1\r\nhost: web\r\n\r\n", "a".repeat(1 << 20));
    let (mut reader, mut writer) = tokio::io::split(stream);
    let write = tokio::spawn(async move {
        let _ = writer.write_all(huge.as_bytes()).await;
    });
    let mut text = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut text)).await.expect("closes").unwrap();
    assert!(String::from_utf8_lossy(&text).starts_with("HTTP/1.1 4"), "{:?}", String::from_utf8_lossy(&text));
    write.await.unwrap();
    stream = connect(&web("Running", json!({})), 80).unwrap();
    // A request cut short ends with the client's end.
    stream.write_all(b"GET / HTTP/1.1\r\nhost: w").await.unwrap();
    stream.shutdown().await.unwrap();
    let _ = read_until_closed(&mut stream).await;
}
