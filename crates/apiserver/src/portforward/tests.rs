use std::time::Duration;

use serde_json::json;

use super::*;

/// Pods whose declared ports echo what they receive, upper-cased.
#[derive(Debug)]
struct Echo;

impl PodConnector for Echo {
    fn connect(&self, _cluster: &str, pod: &Value, port: u16) -> Result<tokio::io::DuplexStream, String> {
        let declared = pod["spec"]["containers"][0]["ports"][0]["containerPort"].as_u64() == Some(u64::from(port));
        if !declared {
            return Err("dial tcp 10.0.0.9:81: connect: connection refused".into());
        }
        let (client, mut server) = tokio::io::duplex(1 << 16);
        tokio::spawn(async move {
            let mut buffer = [0u8; 1024];
            loop {
                match server.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(read) => {
                        let upper = buffer[..read].to_ascii_uppercase();
                        if server.write_all(&upper).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Ok(client)
    }
}

fn target() -> Target {
    Target {
        connector: Some(Arc::new(Echo)),
        cluster: "test".into(),
        pod: json!({ "metadata": { "name": "web", "uid": "u-1" },
                     "spec": { "nodeName": "n", "containers": [{ "name": "app", "ports": [{ "containerPort": 80 }] }] } }),
    }
}

struct Client {
    io: tokio::io::DuplexStream,
    codec: HeaderCodec,
    buffer: Vec<u8>,
}

impl Client {
    async fn send(&mut self, frame: &Frame) {
        self.io.write_all(&spdy::encode(frame)).await.unwrap();
    }

    async fn open(&mut self, stream_id: u32, stream_type: &str, port: &str, request_id: &str) {
        let header_block = self.codec.encode(&[("streamType", stream_type), ("port", port), ("requestID", request_id)]);
        self.send(&Frame::SynStream { stream_id, associated_to: 0, fin: false, unidirectional: false, header_block })
            .await;
    }

    /// The next frame, or `None` once the server closed.
    async fn next(&mut self) -> Option<Frame> {
        loop {
            if let Some((frame, used)) = spdy::parse(&self.buffer).unwrap() {
                self.buffer.drain(..used);
                return Some(frame);
            }
            let read = tokio::time::timeout(Duration::from_secs(10), self.io.read_buf(&mut self.buffer))
                .await
                .expect("the server answers in time")
                .unwrap();
            if read == 0 {
                return None;
            }
        }
    }

    async fn expect_reply(&mut self, stream_id: u32) {
        match self.next().await {
            Some(Frame::SynReply { stream_id: replied, header_block, .. }) => {
                assert_eq!(replied, stream_id);
                assert_eq!(self.codec.decode(&header_block), Ok(vec![]));
            }
            other => panic!("expected a reply to {stream_id}, got {other:?}"),
        }
    }
}

fn session() -> (Client, tokio::task::JoinHandle<()>) {
    let (client, server) = tokio::io::duplex(1 << 16);
    let serving = tokio::spawn(serve(server, target()));
    (Client { io: client, codec: HeaderCodec::default(), buffer: Vec::new() }, serving)
}

#[tokio::test]
async fn a_forwarded_connection_reaches_the_pod_and_ends_with_it() {
    let (mut client, serving) = session();
    client.open(1, "error", "80", "0").await;
    client.expect_reply(1).await;
    client.send(&Frame::Data { stream_id: 1, fin: true, data: vec![] }).await;
    client.open(3, "data", "80", "0").await;
    client.expect_reply(3).await;
    client.send(&Frame::Data { stream_id: 3, fin: false, data: b"get /".to_vec() }).await;
    assert_eq!(client.next().await, Some(Frame::Data { stream_id: 3, fin: false, data: b"GET /".to_vec() }));
    // The client is done sending: the pod closes, both streams end, the error stream empty.
    client.send(&Frame::Data { stream_id: 3, fin: true, data: vec![] }).await;
    let mut ends = vec![client.next().await, client.next().await];
    ends.sort_by_key(|frame| format!("{frame:?}"));
    assert_eq!(
        ends,
        vec![
            Some(Frame::Data { stream_id: 1, fin: true, data: vec![] }),
            Some(Frame::Data { stream_id: 3, fin: true, data: vec![] }),
        ]
    );
    // Pings are echoed; the session lasts until the client says goodbye.
    client.send(&Frame::Ping { id: 5 }).await;
    assert_eq!(client.next().await, Some(Frame::Ping { id: 5 }));
    client.send(&Frame::GoAway { last_good_stream_id: 0, status: 0 }).await;
    assert_eq!(client.next().await, None);
    tokio::time::timeout(Duration::from_secs(10), serving).await.unwrap().unwrap();
}

#[tokio::test]
async fn a_closed_port_gets_kubelets_error_and_the_session_goes_on() {
    let (mut client, serving) = session();
    for (error, data, port) in [(1, 3, "81"), (5, 7, "0"), (9, 11, "http")] {
        let request = error.to_string();
        client.open(error, "error", port, &request).await;
        client.expect_reply(error).await;
        client.open(data, "data", port, &request).await;
        client.expect_reply(data).await;
        let Some(Frame::Data { stream_id, fin: true, data: message }) = client.next().await else { panic!("an error") };
        assert_eq!(stream_id, error);
        let message = String::from_utf8(message).unwrap();
        let sandbox = hex_digest("u-1");
        if port == "81" {
            assert_eq!(
                message,
                format!(
                    "error forwarding port 81 to pod {sandbox}, uid : failed to execute portforward in network \
                     namespace \"/var/run/netns/cni-{}-{}-{}-{}-{}\": failed to connect to localhost:81 inside \
                     namespace \"{sandbox}\", IPv4: dial tcp4 127.0.0.1:81: connect: connection refused IPv6 dial \
                     tcp6 [::1]:81: connect: connection refused ",
                    &sandbox[..8],
                    &sandbox[8..12],
                    &sandbox[12..16],
                    &sandbox[16..20],
                    &sandbox[20..32]
                )
            );
        } else {
            assert_eq!(message, format!("error forwarding port {port} to pod {sandbox}, uid : invalid port {port:?}"));
        }
        assert_eq!(client.next().await, Some(Frame::Data { stream_id: data, fin: true, data: vec![] }));
    }
    // An unknown stream type is refused, and the session still answers.
    client.open(13, "stdin", "80", "9").await;
    assert_eq!(client.next().await, Some(Frame::RstStream { stream_id: 13, status: spdy::RST_REFUSED_STREAM }));
    client.open(15, "error", "80", "10").await;
    client.expect_reply(15).await;
    drop(client);
    tokio::time::timeout(Duration::from_secs(10), serving).await.unwrap().unwrap();
}

#[tokio::test]
async fn garbage_ends_the_session_with_a_goaway() {
    let inputs: Vec<Vec<u8>> = vec![
        vec![0x80, 2, 0, 1, 0, 0, 0, 0],
        vec![0, 0, 0, 1, 0, 0xff, 0xff, 0xff],
        spdy::encode(&Frame::SynStream {
            stream_id: 1,
            associated_to: 0,
            fin: false,
            unidirectional: false,
            header_block: b"not zlib".to_vec(),
        }),
    ];
    for input in inputs {
        let (mut client, serving) = session();
        client.io.write_all(&input).await.unwrap();
        assert!(
            matches!(client.next().await, Some(Frame::GoAway { status: spdy::GOAWAY_PROTOCOL_ERROR, .. })),
            "{input:?}"
        );
        assert_eq!(client.next().await, None);
        tokio::time::timeout(Duration::from_secs(10), serving).await.unwrap().unwrap();
    }
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
    }
    map
}

#[test]
fn upgrades_are_negotiated_as_kubectl_asks() {
    let spdy =
        [("connection", "Upgrade"), ("upgrade", "SPDY/3.1"), ("x-stream-protocol-version", "portforward.k8s.io")];
    assert_eq!(negotiate(&headers(&spdy)), Ok(Upgrade::Spdy));
    let websocket = [
        ("connection", "keep-alive, Upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("sec-websocket-version", "13"),
        ("sec-websocket-protocol", "SPDY/3.1+portforward.k8s.io"),
    ];
    assert_eq!(negotiate(&headers(&websocket)), Ok(Upgrade::WebSocket { key: "dGhlIHNhbXBsZSBub25jZQ==".into() }));
    let answer = switching(&Upgrade::WebSocket { key: "dGhlIHNhbXBsZSBub25jZQ==".into() });
    assert_eq!(answer.status(), 101);
    assert_eq!(answer.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(answer.headers()["sec-websocket-protocol"], WEBSOCKET_PROTOCOL);
    let answer = switching(&Upgrade::Spdy);
    assert_eq!(
        (
            answer.headers()["upgrade"].to_str().unwrap(),
            answer.headers()["x-stream-protocol-version"].to_str().unwrap()
        ),
        ("SPDY/3.1", "portforward.k8s.io")
    );

    let refused = |pairs: &[(&str, &str)]| negotiate(&headers(pairs)).unwrap_err();
    assert_eq!(refused(&[]).message, "Upgrade request required");
    assert_eq!(refused(&[("upgrade", "SPDY/3.1")]).message, "Upgrade request required");
    assert_eq!(
        refused(&[
            ("connection", "upgrade"),
            ("upgrade", "SPDY/3.1"),
            ("x-stream-protocol-version", "v4.channel.k8s.io")
        ])
        .code,
        403
    );
    assert_eq!(refused(&[("connection", "upgrade"), ("upgrade", "h2c")]).code, 400);
    assert_eq!(refused(&websocket[..4]).code, 400);
    let mut old_version = websocket;
    old_version[3] = ("sec-websocket-version", "8");
    assert_eq!(refused(&old_version).code, 400);
}
