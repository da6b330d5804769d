//! `pods/<name>/portforward`, as kube-apiserver and the pod's kubelet serve it together. The request is upgraded
//! either to SPDY/3.1 (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`) or to a WebSocket
//! whose binary messages tunnel the same SPDY session (subprotocol `SPDY/3.1+portforward.k8s.io`, client-go's
//! first choice). In the session the client opens two streams per forwarded connection, sharing a `requestID`:
//! `streamType: error` and `streamType: data`, both naming the `port`. The data stream is joined to the pod's port
//! through the [`PodConnector`](crate::PodConnector); a port that refuses gets kubelet's message on the error
//! stream, and the session goes on. Nothing listens: the client side listens, the server answers in memory.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::api::ClusterApi;
use crate::authz::UserInfo;
use crate::plugins::PodConnector;
use crate::request::ConnectRequest;
use crate::spdy::{self, Frame, HeaderCodec};
use crate::status::ApiError;

/// The port-forward protocol of plain SPDY upgrades.
pub const PORT_FORWARD_PROTOCOL: &str = "portforward.k8s.io";
/// The WebSocket subprotocol that tunnels SPDY.
pub const WEBSOCKET_PROTOCOL: &str = "SPDY/3.1+portforward.k8s.io";

/// How many encoded frames may wait to be written to the client.
const OUTGOING_FRAMES: usize = 256;
/// How many chunks from the client may wait for one pod connection.
const INCOMING_CHUNKS: usize = 64;

/// Whether a comma-separated header of `headers` lists `token` (case-insensitively).
fn lists(headers: &HeaderMap, name: &str, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

/// How a port-forward request asks to be upgraded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Upgrade {
    /// SPDY/3.1 on the connection itself.
    Spdy,
    /// A WebSocket tunnelling SPDY, with the client's key.
    WebSocket { key: String },
}

/// Reads the upgrade a request asks for, or kube-apiserver's refusal.
pub(crate) fn negotiate(headers: &HeaderMap) -> Result<Upgrade, ApiError> {
    let upgrade = headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()).unwrap_or_default().trim();
    if !lists(headers, "connection", "upgrade") || upgrade.is_empty() {
        return Err(ApiError::bad_request("Upgrade request required"));
    }
    if upgrade.eq_ignore_ascii_case("websocket") {
        if !lists(headers, "sec-websocket-protocol", WEBSOCKET_PROTOCOL) {
            return Err(ApiError::bad_request(format!(
                "unable to upgrade: the WebSocket subprotocol {WEBSOCKET_PROTOCOL} is required"
            )));
        }
        let key = headers.get("sec-websocket-key").and_then(|v| v.to_str().ok()).unwrap_or_default().trim();
        let version = headers.get("sec-websocket-version").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if key.is_empty() || version.trim() != "13" {
            return Err(ApiError::bad_request("unable to upgrade: a WebSocket version 13 handshake is required"));
        }
        return Ok(Upgrade::WebSocket { key: key.to_owned() });
    }
    if upgrade.eq_ignore_ascii_case("SPDY/3.1") {
        let offered: Vec<&str> = headers
            .get_all("x-stream-protocol-version")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        if !offered.contains(&PORT_FORWARD_PROTOCOL) {
            return Err(ApiError::new(
                403,
                "Forbidden",
                format!(
                    "unable to upgrade: unable to negotiate protocol: client supports {offered:?}, server supports \
                     [\"{PORT_FORWARD_PROTOCOL}\"]"
                ),
            ));
        }
        return Ok(Upgrade::Spdy);
    }
    Err(ApiError::bad_request(format!("unable to upgrade: unsupported protocol {upgrade:?}")))
}

/// The `101 Switching Protocols` answer to an upgrade.
fn switching(upgrade: &Upgrade) -> Response {
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    match upgrade {
        Upgrade::Spdy => {
            headers.insert(header::UPGRADE, HeaderValue::from_static("SPDY/3.1"));
            headers.insert("x-stream-protocol-version", HeaderValue::from_static(PORT_FORWARD_PROTOCOL));
        }
        Upgrade::WebSocket { key } => {
            headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
            let accept = HeaderValue::from_str(&crate::websocket::accept_key(key)).expect("base64 is a valid header");
            headers.insert("sec-websocket-accept", accept);
            headers.insert("sec-websocket-protocol", HeaderValue::from_static(WEBSOCKET_PROTOCOL));
        }
    }
    response
}

impl ClusterApi {
    /// Serves `pods/<name>/portforward`: checks, answers `101` and runs the session on the upgraded connection.
    pub(crate) async fn port_forward(
        &self,
        user: &UserInfo,
        connect: &ConnectRequest,
        mut request: Request<Body>,
    ) -> Result<Response, ApiError> {
        let Some(verb) = crate::proxy::connect_verb(request.method()) else {
            return Err(ApiError::method_not_allowed(format!("{} is not supported", request.method())));
        };
        self.authorize_connect(user, connect, verb).await?;
        let pod = self.stored_pod(&connect.namespace, &connect.name).await?;
        if pod["spec"]["nodeName"].as_str().unwrap_or_default().is_empty() {
            return Err(ApiError::bad_request(format!("pod {} does not have a host assigned", connect.name)));
        }
        let upgrade = negotiate(request.headers())?;
        let target = Target { connector: self.pod_connector.clone(), cluster: self.name.clone(), pod };
        let upgrading = hyper::upgrade::on(&mut request);
        let websocket = matches!(upgrade, Upgrade::WebSocket { .. });
        let session = async move {
            let upgraded = match upgrading.await {
                Ok(upgraded) => hyper_util::rt::TokioIo::new(upgraded),
                Err(error) => {
                    tracing::debug!(%error, "port-forward upgrade failed");
                    return;
                }
            };
            if websocket {
                let (tunnel, spdy_end) = tokio::io::duplex(64 * 1024);
                tokio::join!(crate::websocket::bridge(upgraded, tunnel), serve(spdy_end, target));
            } else {
                serve(upgraded, target).await;
            }
        };
        self.spawn_session(session);
        Ok(switching(&upgrade))
    }

    /// Runs an upgraded connection's session; sessions end with their connection, or with the cluster's API.
    fn spawn_session(&self, session: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut sessions = self.sessions.lock().expect("the session set is never poisoned");
        while sessions.try_join_next().is_some() {}
        sessions.spawn(session);
    }
}

/// The pod a session forwards to, and how to reach it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub connector: Option<Arc<dyn PodConnector>>,
    pub cluster: String,
    /// The pod as stored when the session began.
    pub pod: Value,
}

impl Target {
    /// Connects to `port`, or kubelet's message for a port that refuses (as containerd words a failed dial
    /// inside the pod's network namespace).
    fn connect(&self, port: &str) -> Result<tokio::io::DuplexStream, String> {
        let uid = self.pod["metadata"]["uid"].as_str().unwrap_or_default();
        let sandbox = hex_digest(uid);
        let prefix = format!("error forwarding port {port} to pod {sandbox}, uid ");
        let number = port.parse::<u16>().ok().filter(|port| *port > 0);
        let Some(number) = number else {
            return Err(format!("{prefix}: invalid port {port:?}"));
        };
        let connected = match &self.connector {
            Some(connector) => connector.connect(&self.cluster, &self.pod, number).ok(),
            None => None,
        };
        connected.ok_or_else(|| {
            let namespace = format!("cni-{}-{}-{}-{}-{}", &sandbox[..8], &sandbox[8..12], &sandbox[12..16], &sandbox[16..20], &sandbox[20..32]);
            format!(
                "{prefix}: failed to execute portforward in network namespace \"/var/run/netns/{namespace}\": failed to \
                 connect to localhost:{number} inside namespace \"{sandbox}\", IPv4: dial tcp4 127.0.0.1:{number}: \
                 connect: connection refused IPv6 dial tcp6 [::1]:{number}: connect: connection refused "
            )
        })
    }
}

/// 64 hex digits derived from `text`, as a sandbox id looks.
fn hex_digest(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What a stream of the session is.
#[derive(Debug, Clone)]
struct StreamInfo {
    error: bool,
    port: String,
}

/// The two streams of one forwarded connection, as they arrive.
#[derive(Debug, Default)]
struct Pair {
    error: Option<u32>,
    data: Option<u32>,
    port: String,
}

/// Writes frames to the client, from any task of the session.
#[derive(Debug, Clone)]
struct Outgoing(mpsc::Sender<Vec<u8>>);

impl Outgoing {
    async fn send(&self, frame: &Frame) -> bool {
        self.0.send(spdy::encode(frame)).await.is_ok()
    }

    async fn data(&self, stream_id: u32, data: &[u8], fin: bool) -> bool {
        self.send(&Frame::Data { stream_id, fin, data: data.to_vec() }).await
    }
}

/// Runs one port-forward session on `io` until the client closes it, says goodbye, or breaks the protocol.
pub(crate) async fn serve<Io>(io: Io, target: Target)
where
    Io: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut reader, mut writer) = tokio::io::split(io);
    let (sender, mut frames) = mpsc::channel::<Vec<u8>>(OUTGOING_FRAMES);
    let outgoing = Outgoing(sender);
    let write = async move {
        while let Some(frame) = frames.recv().await {
            if writer.write_all(&frame).await.is_err() {
                break;
            }
        }
        let _ = writer.shutdown().await;
    };
    let read = async move {
        let mut session = Session { target: Some(target), outgoing: Some(outgoing), ..Session::default() };
        let mut buffer = Vec::with_capacity(64 * 1024);
        'session: loop {
            loop {
                match spdy::parse(&buffer) {
                    Ok(Some((frame, used))) => {
                        buffer.drain(..used);
                        if !session.handle(frame).await {
                            break 'session;
                        }
                    }
                    Ok(None) => break,
                    Err(error) => {
                        tracing::debug!(%error, "port-forward session: not SPDY");
                        let goaway = Frame::GoAway {
                            last_good_stream_id: session.last_stream,
                            status: spdy::GOAWAY_PROTOCOL_ERROR,
                        };
                        session.outgoing().send(&goaway).await;
                        break 'session;
                    }
                }
            }
            match reader.read_buf(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        // The pod connections end with the session; the writer ends when the last sender goes.
        session.connections.abort_all();
        while session.connections.join_next().await.is_some() {}
    };
    tokio::join!(read, write);
}

/// The state of one session, kept by its reader.
#[derive(Debug, Default)]
struct Session {
    target: Option<Target>,
    outgoing: Option<Outgoing>,
    codec: HeaderCodec,
    streams: HashMap<u32, StreamInfo>,
    pairs: HashMap<String, Pair>,
    /// Where the client's bytes of each joined data stream go (`None`: the client sends no more).
    to_pods: HashMap<u32, mpsc::Sender<Option<Vec<u8>>>>,
    connections: tokio::task::JoinSet<()>,
    last_stream: u32,
}

impl Session {
    fn outgoing(&self) -> &Outgoing {
        self.outgoing.as_ref().expect("a session has its writer")
    }

    /// Handles one frame; `false` ends the session.
    async fn handle(&mut self, frame: Frame) -> bool {
        match frame {
            Frame::SynStream { stream_id, header_block, .. } => {
                let headers = match self.codec.decode(&header_block) {
                    Ok(headers) => headers,
                    Err(error) => {
                        tracing::debug!(%error, "port-forward session: bad headers");
                        let goaway = Frame::GoAway {
                            last_good_stream_id: self.last_stream,
                            status: spdy::GOAWAY_PROTOCOL_ERROR,
                        };
                        self.outgoing().send(&goaway).await;
                        return false;
                    }
                };
                self.last_stream = self.last_stream.max(stream_id);
                self.open(stream_id, &headers).await
            }
            Frame::Data { stream_id, fin, data } => {
                if let Some(to_pod) = self.to_pods.get(&stream_id) {
                    let mut delivered = data.is_empty() || to_pod.send(Some(data)).await.is_ok();
                    if fin {
                        delivered &= to_pod.send(None).await.is_ok();
                        self.to_pods.remove(&stream_id);
                    }
                    if !delivered {
                        self.to_pods.remove(&stream_id);
                    }
                }
                true
            }
            Frame::RstStream { stream_id, .. } => {
                self.to_pods.remove(&stream_id);
                self.streams.remove(&stream_id);
                true
            }
            Frame::Ping { id } => self.outgoing().send(&Frame::Ping { id }).await,
            Frame::GoAway { .. } => false,
            _ => true,
        }
    }

    /// A stream the client opened: answered, then joined to its pair's pod connection once both are open.
    async fn open(&mut self, stream_id: u32, headers: &[(String, String)]) -> bool {
        let header = |name: &str| headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
        let stream_type = header("streamtype").unwrap_or_default();
        if !matches!(stream_type.as_str(), "error" | "data") || self.streams.contains_key(&stream_id) {
            return self.outgoing().send(&Frame::RstStream { stream_id, status: spdy::RST_REFUSED_STREAM }).await;
        }
        let reply = Frame::SynReply { stream_id, fin: false, header_block: self.codec.encode(&[]) };
        if !self.outgoing().send(&reply).await {
            return false;
        }
        // Clients too old to send a request id pair each error stream with the data stream after it.
        let request_id = header("requestid").unwrap_or_else(|| {
            if stream_type == "error" { stream_id.to_string() } else { stream_id.saturating_sub(2).to_string() }
        });
        let info = StreamInfo { error: stream_type == "error", port: header("port").unwrap_or_default() };
        self.streams.insert(stream_id, info.clone());
        let pair = self.pairs.entry(request_id.clone()).or_default();
        if info.error {
            pair.error = Some(stream_id);
        } else {
            pair.data = Some(stream_id);
            pair.port = info.port;
        }
        if let (Some(error), Some(data)) = (pair.error, pair.data) {
            let port = pair.port.clone();
            self.pairs.remove(&request_id);
            self.join(error, data, &port).await;
        }
        true
    }

    /// Joins a data stream to the pod's port, or says on the error stream why not.
    async fn join(&mut self, error_stream: u32, data_stream: u32, port: &str) {
        let target = self.target.as_ref().expect("a session has its target");
        let outgoing = self.outgoing().clone();
        let pod = match target.connect(port) {
            Ok(pod) => pod,
            Err(message) => {
                outgoing.data(error_stream, message.as_bytes(), true).await;
                outgoing.data(data_stream, &[], true).await;
                return;
            }
        };
        let (to_pod, mut from_client) = mpsc::channel::<Option<Vec<u8>>>(INCOMING_CHUNKS);
        self.to_pods.insert(data_stream, to_pod);
        self.connections.spawn(async move {
            let (mut pod_read, mut pod_write) = tokio::io::split(pod);
            let upstream = async move {
                while let Some(Some(chunk)) = from_client.recv().await {
                    if pod_write.write_all(&chunk).await.is_err() {
                        break;
                    }
                }
                let _ = pod_write.shutdown().await;
            };
            let downstream = async move {
                let mut chunk = vec![0u8; spdy::MAX_DATA_CHUNK];
                loop {
                    match pod_read.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(read) => {
                            if !outgoing.data(data_stream, &chunk[..read], false).await {
                                return;
                            }
                        }
                    }
                }
                // The pod closed the connection: both streams end, the error stream empty.
                outgoing.data(data_stream, &[], true).await;
                outgoing.data(error_stream, &[], true).await;
            };
            tokio::join!(upstream, downstream);
        });
    }
}

#[cfg(test)]
mod tests;
