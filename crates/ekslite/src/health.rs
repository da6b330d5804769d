//! The HTTP routes ekslite serves before any AWS service: `GET /_ekslite/health`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use store::DynStore;
use tokio::time::Instant;

/// Who this server is, as recorded in the store.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    pub id: String,
    pub boot: u64,
}

#[derive(Debug, Clone)]
pub struct HealthState {
    pub store: DynStore,
    pub server: ServerInfo,
    pub started: Instant,
}

pub fn router(state: HealthState) -> axum::Router {
    axum::Router::new().route("/_ekslite/health", get(health)).with_state(state)
}

/// 200 with the version, the store's backend and revision, this server (id, boot count, process id) and uptime; 503 when the store does not answer.
async fn health(State(state): State<HealthState>) -> Response {
    let uptime = state.started.elapsed().as_secs_f64();
    let server = json!({ "id": state.server.id, "boot": state.server.boot, "pid": std::process::id() });
    match state.store.status().await {
        Ok(status) => Json(json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "store": { "backend": status.backend, "revision": status.revision, "compacted": status.compacted },
            "server": server,
            "uptime_seconds": uptime,
        }))
        .into_response(),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unavailable",
                "version": env!("CARGO_PKG_VERSION"),
                "error": error.to_string(),
                "server": server,
                "uptime_seconds": uptime,
            })),
        )
            .into_response(),
    }
}
