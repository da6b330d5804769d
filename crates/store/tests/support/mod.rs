//! What the store's integration tests and benchmark share: opening each backend fresh, and a real etcd server
//! started by the test itself.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use store::{CachedStore, DynStore, EtcdStore, MemoryStore, SqliteStore};
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// A store under test and whatever keeps it alive.
pub struct Backend {
    pub store: DynStore,
    _dir: Option<TempDir>,
    _etcd: Option<EtcdServer>,
}

pub async fn memory() -> Backend {
    Backend { store: std::sync::Arc::new(MemoryStore::new()), _dir: None, _etcd: None }
}

pub async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open sqlite store");
    Backend { store: std::sync::Arc::new(store), _dir: Some(dir), _etcd: None }
}

pub async fn etcd() -> Backend {
    let server = EtcdServer::start().await;
    let store = EtcdStore::connect(&[server.endpoint()], Duration::from_secs(10)).await.expect("connect to etcd");
    Backend { store: std::sync::Arc::new(store), _dir: None, _etcd: Some(server) }
}

/// The same backend behind a watch cache.
pub async fn cached(backend: Backend) -> Backend {
    let store = CachedStore::new(backend.store.clone()).await.expect("load the watch cache");
    Backend { store: std::sync::Arc::new(store), ..backend }
}

/// The etcd binary: `$EKSLITE_ETCD`, else `etcd` on PATH, else the one the install script linked.
pub fn etcd_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("EKSLITE_ETCD") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("etcd"))
        .find(|candidate| candidate.is_file());
    let installed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.clients/bin/etcd");
    on_path.or_else(|| installed.is_file().then_some(installed)).unwrap_or_else(|| {
        panic!("no etcd binary: run scripts/install-test-clients.sh (Debian package etcd-server) or set EKSLITE_ETCD")
    })
}

/// A single-member etcd on loopback ports, in a temporary directory, killed on drop.
pub struct EtcdServer {
    child: Child,
    client_port: u16,
    _dir: TempDir,
}

impl EtcdServer {
    pub async fn start() -> EtcdServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let client_port = free_port();
        let peer_port = free_port();
        let client_url = format!("http://127.0.0.1:{client_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let log = std::fs::File::create(dir.path().join("etcd.log")).expect("etcd log file");
        let child = Command::new(etcd_binary())
            .arg("--name=test")
            .arg(format!("--data-dir={}", dir.path().join("data").display()))
            .arg(format!("--listen-client-urls={client_url}"))
            .arg(format!("--advertise-client-urls={client_url}"))
            .arg(format!("--listen-peer-urls={peer_url}"))
            .arg(format!("--initial-advertise-peer-urls={peer_url}"))
            .arg(format!("--initial-cluster=test={peer_url}"))
            .arg("--log-level=error")
            // Room for a write at the store's limit plus the transaction around it (see docs/storage.md).
            .arg("--max-request-bytes=2097152")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start etcd");
        let mut server = EtcdServer { child, client_port, _dir: dir };
        server.wait_ready().await;
        server
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.client_port)
    }

    async fn wait_ready(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("poll etcd") {
                let log = std::fs::read_to_string(self._dir.path().join("etcd.log")).unwrap_or_default();
                panic!("etcd exited with {status} before it was ready:\n{log}");
            }
            let connected =
                EtcdStore::connect(&[self.endpoint()], Duration::from_millis(500)).await.map(|_| ()).is_ok();
            if connected {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "etcd did not become ready within 30s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("local addr").port()
}
