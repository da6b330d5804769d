//! One cluster's HTTPS endpoint: TLS with the cluster's own CA (client certificates optional and verified
//! against it), HTTP/1.1 and HTTP/2, and the top-level routing of every request.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::aggregator;
use crate::api::ClusterApi;
use crate::authn::authenticate_bearer;
use crate::authz::{Attributes, UserInfo};
use crate::discovery;
use crate::http::{MAX_BODY_BYTES, json_response};
use crate::identity::Identity;
use crate::kinds::{self, Call};
use crate::media::{self, Presentation};
use crate::pki::ClusterPki;
use crate::registry::{Registry, ResourceType, Verbs};
use crate::request::{self, ApiPath, ResourceRequest, Verb};
use crate::status::ApiError;
use crate::table;
use serde_json::{Value, json};

/// A cluster's API server, running until stopped.
#[derive(Debug)]
pub struct RunningServer {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl RunningServer {
    pub fn start(listener: TcpListener, pki: &ClusterPki, api: Arc<ClusterApi>) -> Result<RunningServer, String> {
        let acceptor = tls_acceptor(pki)?;
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // Connections belong to the accept loop: when it ends, they end.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let (socket, _) = tokio::select! {
                    _ = &mut stopped => return,
                    accepted = listener.accept() => match accepted {
                        Ok(accepted) => accepted,
                        Err(error) => {
                            tracing::warn!(%error, "accepting a connection failed");
                            continue;
                        }
                    },
                    Some(_) = connections.join_next(), if !connections.is_empty() => continue,
                };
                // Small responses and watch events go out at once instead of waiting on the peer's delayed ack.
                if let Err(error) = socket.set_nodelay(true) {
                    tracing::debug!(%error, "could not set TCP_NODELAY");
                }
                let acceptor = acceptor.clone();
                let api = Arc::clone(&api);
                connections.spawn(async move {
                    let Ok(tls) = acceptor.accept(socket).await else { return };
                    let identity = identity_of(tls.get_ref().1.peer_certificates());
                    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                        let api = Arc::clone(&api);
                        let identity = identity.clone();
                        async move { Ok::<_, Infallible>(handle(&api, &identity, request.map(Body::new)).await) }
                    });
                    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    // Upgrades (port-forwarding) take the connection over after a `101`.
                    let _ = builder.serve_connection_with_upgrades(TokioIo::new(tls), service).await;
                });
            }
        });
        Ok(RunningServer { stop, task })
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

fn tls_acceptor(pki: &ClusterPki) -> Result<tokio_rustls::TlsAcceptor, String> {
    let serving = pki.serving_certificate().map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    let ca = CertificateDer::from_pem_slice(pki.ca_cert.as_bytes()).map_err(|e| format!("cluster CA: {e}"))?;
    roots.add(ca).map_err(|e| format!("cluster CA: {e}"))?;
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
        .allow_unauthenticated()
        .build()
        .map_err(|e| format!("client verifier: {e}"))?;
    let certs = vec![CertificateDer::from_pem_slice(serving.cert.as_bytes()).map_err(|e| e.to_string())?];
    let key = PrivateKeyDer::from_pem_slice(serving.key.as_bytes()).map_err(|e| e.to_string())?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// The user and groups of a verified client certificate: its CN and O, as kube-apiserver reads them.
fn identity_of(certificates: Option<&[CertificateDer<'_>]>) -> Identity {
    let Some(first) = certificates.and_then(|certs| certs.first()) else { return Identity::Anonymous };
    let Ok((_, certificate)) = x509_parser::parse_x509_certificate(first.as_ref()) else { return Identity::Anonymous };
    let subject = certificate.subject();
    let user = subject.iter_common_name().next().and_then(|cn| cn.as_str().ok()).unwrap_or_default().to_owned();
    let groups = subject.iter_organization().filter_map(|o| o.as_str().ok().map(str::to_owned)).collect();
    Identity::Certificate { user, groups }
}

fn query_of(request: &Request<Body>) -> HashMap<String, String> {
    request.uri().query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default()
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// Routes one request.
pub(crate) async fn handle(api: &ClusterApi, identity: &Identity, request: Request<Body>) -> Response {
    let path = request.uri().path().to_owned();
    match path.as_str() {
        "/version" | "/version/" => return json_response(StatusCode::OK, &api.version_info()),
        "/healthz" | "/livez" | "/readyz" => return text(StatusCode::OK, "ok"),
        _ => {}
    }
    // A public issuer's documents are for anyone, as EKS's issuer serves them.
    if let Some(rest) = api.tokens.public_path().and_then(|public| path.strip_prefix(public)) {
        match rest.trim_end_matches('/') {
            "/.well-known/openid-configuration" => return json_response(StatusCode::OK, &api.tokens.discovery()),
            "/keys" => return json_response(StatusCode::OK, &api.tokens.jwks()),
            _ => {}
        }
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim);
    let token_identity;
    let identity = match (identity, bearer) {
        (Identity::Anonymous, Some(token)) => match authenticate_bearer(api, token).await {
            Some(user) => {
                token_identity = Identity::Token(user);
                &token_identity
            }
            None => return ApiError::unauthorized().into_response(),
        },
        (identity, _) => identity,
    };
    if *identity == Identity::Anonymous {
        return ApiError::unauthorized().into_response();
    }
    let user = UserInfo::of(identity);
    let non_resource = path.starts_with("/openapi/")
        || path == "/openapi"
        || path.starts_with("/.well-known/")
        || path.starts_with("/openid/");
    if non_resource {
        let attributes = Attributes::NonResource { verb: "get".into(), path: path.clone() };
        if let Err(error) = api.authorize(&user, &attributes).await {
            return error.into_response();
        }
    }
    if let Some(rest) = path.strip_prefix("/openapi/v3") {
        return serve_openapi(api, rest, &request);
    }
    if path.trim_end_matches('/') == "/openapi/v2" {
        return serve_openapi_v2(api, &request);
    }
    match path.trim_end_matches('/') {
        "/.well-known/openid-configuration" => return json_response(StatusCode::OK, &api.tokens.discovery()),
        "/openid/v1/jwks" => return json_response(StatusCode::OK, &api.tokens.jwks()),
        _ => {}
    }
    match route(api, &user, request, &path).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn route(api: &ClusterApi, user: &UserInfo, request: Request<Body>, path: &str) -> Result<Response, ApiError> {
    // The connect subresources take the request whole: its body streams on, its connection may be upgraded.
    if let Some(connect) = request::parse_connect(path) {
        return match connect.subresource {
            "proxy" => api.proxy(user, &connect, request).await,
            _ => api.port_forward(user, &connect, request).await,
        };
    }
    let query = query_of(&request);
    let method = request.method().clone();
    let watch = query.get("watch").is_some_and(|w| w == "true" || w == "1");
    let Some(api_path) = request::parse(&method, path, watch) else {
        return Err(ApiError::no_such_resource());
    };
    if !matches!(api_path, ApiPath::Resource(_)) && method != Method::GET {
        return Err(ApiError::method_not_allowed("the server does not allow this method on the requested resource"));
    }
    if !matches!(api_path, ApiPath::Resource(_)) {
        api.authorize(user, &Attributes::NonResource { verb: "get".into(), path: path.to_owned() }).await?;
    }
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let served = api.served();
    let registry = &*served;
    let request = match api_path {
        ApiPath::Root { legacy } if discovery::wants_aggregated(&accept) => {
            let aggregated = if legacy { Vec::new() } else { api.aggregated_discovery().await };
            let extra: Vec<(&str, &str, &[Value])> = aggregated
                .iter()
                .filter(|(served, _)| !registry.groups().iter().any(|(group, _)| *group == served.group))
                .map(|(served, resources)| (served.group.as_str(), served.version.as_str(), resources.as_slice()))
                .collect();
            let mut response = json_response(StatusCode::OK, &discovery::aggregated(registry, legacy, &extra));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(discovery::AGGREGATED_V2));
            return Ok(response);
        }
        ApiPath::Root { legacy: true } => {
            return Ok(json_response(StatusCode::OK, &discovery::api_versions(&format!("127.0.0.1:{}", api.port))));
        }
        ApiPath::Root { legacy: false } => {
            let mut list = discovery::api_group_list(registry);
            let groups = aggregated_groups(api, registry).await?;
            if let Some(listed) = list["groups"].as_array_mut() {
                listed.extend(groups);
            }
            return Ok(json_response(StatusCode::OK, &list));
        }
        ApiPath::Group { group } => {
            let document = match discovery::api_group(registry, &group) {
                Some(document) => document,
                None => {
                    let groups = aggregated_groups(api, registry).await?;
                    let mut document =
                        groups.into_iter().find(|g| g["name"] == group).ok_or_else(ApiError::no_such_resource)?;
                    document["kind"] = json!("APIGroup");
                    document["apiVersion"] = json!("v1");
                    document
                }
            };
            return Ok(json_response(StatusCode::OK, &document));
        }
        ApiPath::GroupVersion { group, version } => {
            if let Some(document) = discovery::api_resource_list(registry, &group, &version) {
                return Ok(json_response(StatusCode::OK, &document));
            }
            return match api.aggregated_api(&group, &version).await? {
                Some(aggregated) => api.proxy_aggregated(user, &aggregated, request).await,
                None => Err(ApiError::no_such_resource()),
            };
        }
        ApiPath::Resource(resource_request) => (resource_request, request),
    };
    let (info, request) = request;
    let resource = match registry.find(&info.group, &info.version, &info.resource) {
        Some(resource) => resource.clone(),
        None => {
            // Another server sharing the store may have created the CRD that serves it.
            api.reload_custom_resources().await?;
            match api.served().find(&info.group, &info.version, &info.resource) {
                Some(resource) => resource.clone(),
                None => return route_aggregated(api, user, &info, request).await,
            }
        }
    };
    api.authorize(user, &resource_attributes(&info)).await?;
    if resource.verbs == Verbs::CreateOnly && info.verb != Verb::Create {
        return Err(ApiError::method_not_allowed(format!("{} only accepts create", resource.qualified_plural())));
    }
    let reads = matches!(info.verb, Verb::Get | Verb::List | Verb::Watch);
    let presentation = if reads {
        media::negotiate(&accept, info.verb, query.get("includeObject").map(String::as_str))?
    } else {
        Presentation::Object
    };
    let strategy = kinds::strategy(&resource);
    let own = strategy.serves(info.subresource.as_deref());
    if let Some(subresource) = &info.subresource
        && !own
        && !resource.has_subresource(subresource)
    {
        return Err(ApiError::no_such_resource());
    }
    let (parts, body) = request.into_parts();
    let body = read_body(body).await?;
    let headers: &HeaderMap = &parts.headers;
    if own {
        let call = Call { user, resource: &resource, info: &info, headers, body: &body, query: &query, presentation };
        return strategy.serve(api, &call).await;
    }
    if info.subresource.as_deref() == Some("scale") {
        return match info.verb {
            Verb::Get => Ok(json_response(StatusCode::OK, &api.get_scale(&resource, &info).await?)),
            Verb::Update => api.write_scale(&resource, &info, headers, &body, &query, false).await,
            Verb::Patch => api.write_scale(&resource, &info, headers, &body, &query, true).await,
            _ => Err(ApiError::method_not_allowed("the scale subresource supports get, update and patch")),
        };
    }
    let answer = serve_resource(api, &resource, &info, headers, &body, &query, presentation).await;
    if !reads {
        strategy.after_write(api).await?;
    }
    answer
}

/// A resource request for a group version no resource of the cluster serves: passed on to the aggregated API
/// server an APIService names, after authorization, else 404.
async fn route_aggregated(
    api: &ClusterApi,
    user: &UserInfo,
    info: &ResourceRequest,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    let Some(aggregated) = api.aggregated_api(&info.group, &info.version).await? else {
        return Err(ApiError::no_such_resource());
    };
    api.authorize(user, &resource_attributes(info)).await?;
    api.proxy_aggregated(user, &aggregated, request).await
}

/// What RBAC is asked about a resource request.
fn resource_attributes(info: &ResourceRequest) -> Attributes {
    Attributes::Resource {
        verb: rbac_verb(info.verb).to_owned(),
        group: info.group.clone(),
        resource: info.resource.clone(),
        subresource: info.subresource.clone(),
        namespace: info.namespace.clone(),
        name: info.name.clone(),
    }
}

/// The `APIGroup` documents of groups only aggregated APIServices serve.
async fn aggregated_groups(api: &ClusterApi, registry: &Registry) -> Result<Vec<Value>, ApiError> {
    let apis = api.aggregated_apis().await?;
    let local = registry.groups();
    let apis: Vec<_> =
        apis.into_iter().filter(|served| !local.iter().any(|(group, _)| *group == served.group)).collect();
    Ok(aggregator::api_groups(&apis))
}

async fn serve_resource(
    api: &ClusterApi,
    resource: &ResourceType,
    info: &ResourceRequest,
    headers: &HeaderMap,
    body: &[u8],
    query: &HashMap<String, String>,
    presentation: Presentation,
) -> Result<Response, ApiError> {
    match info.verb {
        Verb::Get => {
            let object = api.get(resource, info).await?;
            Ok(match presentation {
                Presentation::Table(include) => {
                    let metadata = json!({ "resourceVersion": object["metadata"]["resourceVersion"].clone() });
                    json_response(StatusCode::OK, &table::table(resource, &[object], metadata, include, true))
                }
                Presentation::Metadata(version) => json_response(StatusCode::OK, &media::partial(&object, version)),
                Presentation::Object => json_response(StatusCode::OK, &object),
            })
        }
        Verb::List => Ok(match presentation {
            Presentation::Table(include) => {
                let list = api.list(resource, info, query).await?;
                let items = list["items"].as_array().map_or(&[][..], Vec::as_slice);
                json_response(StatusCode::OK, &table::table(resource, items, list["metadata"].clone(), include, true))
            }
            Presentation::Metadata(version) => {
                let list = api.list(resource, info, query).await?;
                json_response(StatusCode::OK, &media::partial_list(&list, version))
            }
            Presentation::Object => {
                let body = api.list_json(resource, info, query).await?;
                ([(header::CONTENT_TYPE, "application/json")], body).into_response()
            }
        }),
        Verb::Watch => api.watch(resource, info, query, presentation).await,
        Verb::Create if info.name.is_some() => {
            Err(ApiError::method_not_allowed("POST to a named object is not supported"))
        }
        Verb::Create => off_the_workers(body, api.create(resource, info, headers, body, query)).await,
        Verb::Update => off_the_workers(body, api.update(resource, info, headers, body, query)).await,
        Verb::Patch => off_the_workers(body, api.patch(resource, info, headers, body, query)).await,
        Verb::Delete => api.delete(resource, info, headers, body, query).await,
        Verb::DeleteCollection => api.delete_collection(resource, info, headers, body, query).await,
    }
}

/// Bodies from this size on are decoded, defaulted, validated and merged off the runtime's worker threads.
const LARGE_BODY_BYTES: usize = 256 * 1024;

/// Runs a write whose body is large (a pod of thousands of containers takes a good part of a second to admit)
/// on a thread of its own, so that the requests queued behind it on the same worker keep their latency; small
/// writes run as they are. Only a multi-threaded runtime (the server's) can hand a worker's queue over.
async fn off_the_workers<T>(body: &[u8], work: impl std::future::Future<Output = T>) -> T {
    let handle = tokio::runtime::Handle::current();
    if body.len() < LARGE_BODY_BYTES || handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
        return work.await;
    }
    tokio::task::block_in_place(|| handle.block_on(work))
}

/// `/openapi/v3` and `/openapi/v3/<group version>?hash=...`, as kube-apiserver serves them: a request with the
/// current hash may be cached forever, one with an old hash is redirected to the current one.
fn serve_openapi(api: &ClusterApi, rest: &str, request: &Request<Body>) -> Response {
    let served = api.served();
    let openapi = served.openapi();
    let custom = served.custom_openapi();
    let json = |bytes: &[u8]| -> Response {
        ([(header::CONTENT_TYPE, openapi::CONTENT_TYPE)], bytes.to_vec()).into_response()
    };
    let document_path = rest.trim_start_matches('/');
    if document_path.is_empty() {
        if custom.is_empty() {
            return json(openapi.root());
        }
        // The built-in documents' root with the custom group versions added.
        let mut root: serde_json::Value = serde_json::from_slice(openapi.root()).unwrap_or_default();
        for (path, document) in custom {
            root["paths"][path.as_str()] =
                json!({ "serverRelativeURL": format!("/openapi/v3/{path}?hash={}", document.hash) });
        }
        return json(&serde_json::to_vec(&root).expect("JSON serializes"));
    }
    let found = openapi
        .document(document_path)
        .or_else(|| custom.get(document_path).map(|d| (d.json.as_slice(), d.hash.as_str())));
    let Some((document, hash)) = found else {
        return ApiError::no_such_resource().into_response();
    };
    let etag = format!("\"{hash}\"");
    if request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let asked = query_of(request).remove("hash");
    match asked {
        Some(asked) if asked != hash => {
            let location = format!("/openapi/v3/{document_path}?hash={hash}");
            (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, location)]).into_response()
        }
        Some(_) => {
            let mut response = json(document);
            let headers = response.headers_mut();
            headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex hashes are valid headers"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, immutable"));
            response
        }
        None => {
            let mut response = json(document);
            let headers = response.headers_mut();
            headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex hashes are valid headers"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
            response
        }
    }
}

/// `/openapi/v2`, in gnostic's protobuf when the `Accept` header names it (kubectl) and in JSON otherwise, with
/// the entity tag kube-apiserver gives it (`If-None-Match` answers 304). Both forms are encoded once per registry.
fn serve_openapi_v2(api: &ClusterApi, request: &Request<Body>) -> Response {
    let served = api.served();
    let document = served.openapi_v2();
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("*/*");
    let media: Vec<&str> = accept.split(',').map(|m| m.split(';').next().unwrap_or_default().trim()).collect();
    let protobuf =
        media.iter().find(|m| [openapi::PROTOBUF_CONTENT_TYPE, openapi::PROTOBUF_CONTENT_TYPE_DOTTED].contains(*m));
    let (content_type, body) = match protobuf {
        // Go's media type parser refuses the `@` of the requested type, so the answer names the dotted one.
        Some(_) => (openapi::PROTOBUF_CONTENT_TYPE_DOTTED.to_owned(), document.protobuf()),
        None if media.iter().any(|m| matches!(*m, "application/json" | "application/*" | "*/*" | "")) => {
            (openapi::CONTENT_TYPE.to_owned(), document.json())
        }
        None => {
            return ApiError::new(
                406,
                "NotAcceptable",
                format!(
                    "only the following media types are accepted: application/json, {}",
                    openapi::PROTOBUF_CONTENT_TYPE
                ),
            )
            .into_response();
        }
    };
    if request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(document.etag()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = ([(header::CONTENT_TYPE, content_type)], body.to_vec()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_str(document.etag()).expect("hex hashes are valid headers"));
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

/// The RBAC verb of a request.
fn rbac_verb(verb: Verb) -> &'static str {
    match verb {
        Verb::Get => "get",
        Verb::List => "list",
        Verb::Watch => "watch",
        Verb::Create => "create",
        Verb::Update => "update",
        Verb::Patch => "patch",
        Verb::Delete => "delete",
        Verb::DeleteCollection => "deletecollection",
    }
}

/// How much of a body past [`MAX_BODY_BYTES`] is read and dropped before answering 413, so that a client still
/// sending it reads the answer instead of a connection closed under it.
const DRAINED_BODY_BYTES: usize = 16 * 1024 * 1024;

async fn read_body(body: Body) -> Result<bytes::Bytes, ApiError> {
    use futures::StreamExt;
    let too_large = || ApiError::too_large(format!("the request body is larger than {MAX_BODY_BYTES} bytes"));
    let mut chunks = body.into_data_stream();
    let mut kept = bytes::BytesMut::new();
    let mut seen = 0usize;
    while let Some(chunk) = chunks.next().await {
        let Ok(data) = chunk else { return Err(ApiError::bad_request("the request body could not be read")) };
        seen += data.len();
        if seen <= MAX_BODY_BYTES {
            kept.extend_from_slice(&data);
        } else if seen > DRAINED_BODY_BYTES {
            break;
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(kept.freeze())
}
