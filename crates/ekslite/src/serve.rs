//! `ekslite serve`: opens the store, records this server in it, wires the server (`server.rs`) on it, serves HTTP,
//! and stops cleanly on a signal.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use store::{CachedStore, DynStore, EtcdStore, MemoryStore, SqliteStore, Store, StoreConfig, StoreError};
use tokio::net::TcpListener;

use crate::health::ServerInfo;

#[derive(Debug)]
pub struct ServeOptions {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub store: StoreConfig,
    pub etcd_timeout: Duration,
    /// The server's own settings.
    pub server: crate::server::ServerOptions,
}

/// The record each server keeps under `/ekslite/servers/<id>`.
#[derive(Debug, Serialize, Deserialize)]
struct ServerRecord {
    id: String,
    version: String,
    listen: String,
    /// How many times this server has started on this store.
    boot: u64,
    started_unix: u64,
}

pub async fn serve(options: ServeOptions) -> anyhow::Result<()> {
    let listener =
        TcpListener::bind(options.listen).await.with_context(|| format!("cannot listen on {}", options.listen))?;
    let store = open_store(&options).await?;
    let info = match register(&*store, &options).await {
        Ok(info) => info,
        Err(error) => {
            let _ = store.close().await;
            return Err(error);
        }
    };
    let server = match crate::server::Server::start(Arc::clone(&store), info, &options.server).await {
        Ok(server) => server,
        Err(error) => {
            let _ = store.close().await;
            return Err(error);
        }
    };
    let router = server.router();
    tracing::info!(listen = %options.listen, "ekslite ready: AWS endpoint http://{}", options.listen);

    let served = axum::serve(listener, router).with_graceful_shutdown(shutdown_signal()).await;
    server.stop().await;
    store.close().await.context("closing the store")?;
    served.context("serving HTTP")?;
    tracing::info!("ekslite stopped");
    Ok(())
}

async fn open_store(options: &ServeOptions) -> anyhow::Result<DynStore> {
    let store: DynStore = match &options.store {
        StoreConfig::Sqlite => Arc::new(SqliteStore::open(&options.data_dir).await?),
        StoreConfig::Memory => Arc::new(MemoryStore::new()),
        StoreConfig::Etcd { endpoints } => {
            let etcd =
                EtcdStore::connect(endpoints, options.etcd_timeout).await.context("cannot open the etcd store")?;
            // Lists and watches are served from memory, as kube-apiserver's watch cache serves them.
            Arc::new(CachedStore::new(Arc::new(etcd)).await.context("cannot load the watch cache from etcd")?)
        }
    };
    let status = store.status().await?;
    tracing::info!(backend = status.backend, revision = status.revision, "store open");
    Ok(store)
}

/// Writes this server's record, counting boots; returns who we are.
async fn register(store: &dyn Store, options: &ServeOptions) -> anyhow::Result<ServerInfo> {
    let id = match options.store {
        StoreConfig::Memory => random_id()?,
        _ => persistent_id(&options.data_dir)?,
    };
    let key = format!("/ekslite/servers/{id}");
    let started_unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    loop {
        let current = store.get(&key, None).await?;
        let boot = match &current {
            Some(kv) => serde_json::from_slice::<ServerRecord>(&kv.value).map_or(0, |record| record.boot) + 1,
            None => 1,
        };
        let record = ServerRecord {
            id: id.clone(),
            version: env!("CARGO_PKG_VERSION").into(),
            listen: options.listen.to_string(),
            boot,
            started_unix,
        };
        let value = Bytes::from(serde_json::to_vec(&record)?);
        let written = match &current {
            Some(kv) => store.update(&key, value, kv.mod_revision).await,
            None => store.create(&key, value).await,
        };
        match written {
            Ok(_) => return Ok(ServerInfo { id, boot }),
            Err(StoreError::Conflict { .. } | StoreError::AlreadyExists { .. } | StoreError::NotFound { .. }) => {
                continue;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// This server's id, kept in the data directory so that it survives restarts.
fn persistent_id(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("server-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if is_valid_id(id.trim()) => return Ok(id.trim().to_owned()),
        Ok(_) => anyhow::bail!("{} does not hold a server id; remove it to get a new one", path.display()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let id = random_id()?;
    std::fs::write(&path, format!("{id}\n")).with_context(|| format!("writing {}", path.display()))?;
    Ok(id)
}

fn is_valid_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn random_id() -> anyhow::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut bytes))
        .context("reading /dev/urandom")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

async fn shutdown_signal() {
    let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(signal) => signal,
        Err(error) => {
            tracing::error!(%error, "cannot listen for SIGTERM");
            std::future::pending::<()>().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: stopping"),
        _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
    }
}

/// Where the SQLite store keeps its files when no directory is given: `$XDG_DATA_HOME/ekslite`, else
/// `~/.local/share/ekslite`.
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir).join("ekslite"));
    }
    match std::env::var_os("HOME").filter(|dir| !dir.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".local/share/ekslite")),
        None => anyhow::bail!("no --data-dir given and neither XDG_DATA_HOME nor HOME is set"),
    }
}
