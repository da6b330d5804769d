//! `ekslite serve`: opens the store, records this server in it, serves HTTP, and stops cleanly on a signal.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use apiserver::ControlPlanes;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use store::{
    CachedStore, CompactionPolicy, Compactor, DynStore, EtcdStore, MemoryStore, SqliteStore, Store, StoreConfig,
    StoreError,
};
use tokio::net::TcpListener;

use crate::health::{self, ServerInfo};

#[derive(Debug)]
pub struct ServeOptions {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub store: StoreConfig,
    pub etcd_timeout: Duration,
    pub compaction: CompactionPolicy,
    pub eks: aws_model::eks::EksConfig,
    pub data_plane: crate::dataplane::DataPlaneConfig,
    /// How long new pods tolerate a not-ready or unreachable node, in seconds.
    pub default_toleration_seconds: i64,
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
    let started = tokio::time::Instant::now();
    let listener =
        TcpListener::bind(options.listen).await.with_context(|| format!("cannot listen on {}", options.listen))?;
    let store = open_store(&options).await?;
    let server = match register(&*store, &options).await {
        Ok(server) => server,
        Err(error) => {
            let _ = store.close().await;
            return Err(error);
        }
    };
    let compactor = Compactor::spawn(Arc::clone(&store), options.compaction.clone());
    let tokens = Arc::new(crate::aws::EksTokens::default());
    let data_planes = Arc::new(crate::dataplane::DataPlanes::new(options.data_plane.clone()));
    let fargate_webhook = Arc::new(crate::fargate::FargateWebhook::default());
    let control_planes = Arc::new(
        ControlPlanes::new(Arc::clone(&store))
            .with_token_authenticator(Arc::clone(&tokens) as _)
            .with_pod_admission(Arc::clone(&fargate_webhook) as _)
            .with_observer(Arc::clone(&data_planes) as _)
            .with_default_toleration_seconds(options.default_toleration_seconds),
    );
    let clock: Arc<dyn aws_model::clock::Clock> = Arc::new(aws_model::clock::SystemClock);
    let iam = aws_model::iam::Iam::new(aws_model::records::Records::new(Arc::clone(&store)), Arc::clone(&clock));
    let ec2 = aws_model::ec2::Ec2::new(aws_model::records::Records::new(Arc::clone(&store)), Arc::clone(&clock));
    let eks = aws_model::eks::Eks::new(
        aws_model::records::Records::new(Arc::clone(&store)),
        Arc::new(crate::aws::Clusters(Arc::clone(&control_planes))),
        Arc::clone(&clock),
        options.eks.clone(),
    )
    .with_iam_and_ec2(iam.clone(), ec2.clone())
    .with_server(&server.id, server.boot);
    let issuers = Arc::new(crate::aws::ClusterIssuers(Arc::clone(&control_planes)));
    let autoscaling = aws_model::autoscaling::AutoScaling::new(eks.clone(), ec2.clone());
    let reconciled_eks = eks.clone();
    let nodes = Arc::new(crate::aws::EksNodes::new(eks.clone(), autoscaling.clone(), ec2.clone()));
    data_planes.set_source(Arc::clone(&nodes) as _);
    data_planes.set_fargate(Arc::clone(&nodes) as _, nodes.fargate.clone());
    let _ = fargate_webhook.eks.set(eks.clone());
    let aws = Arc::new(
        aws_api::AwsApi::new(eks, iam, Arc::clone(&clock))
            .with_ec2(ec2)
            .with_autoscaling(autoscaling)
            .with_oidc_keys(issuers),
    );
    tokens.0.set(Arc::clone(&aws)).expect("the AWS endpoint is built once");
    // Clusters start once everything their data planes and webhooks ask is in place.
    if let Err(error) = control_planes.start_all().await {
        control_planes.stop_all().await;
        let _ = store.close().await;
        return Err(error).context("starting the clusters' API servers");
    }
    // Once the clusters run: what it finds left to do (a delete or create a crash cut short) involves them.
    let reconciler =
        crate::reconciler::Reconciler::spawn(Arc::clone(&store), reconciled_eks, Arc::clone(&nodes) as _, clock);
    let router = health::router(health::HealthState { store: Arc::clone(&store), server, started })
        .merge(crate::clusters::routes(Arc::clone(&control_planes)))
        .merge(crate::dataplane::routes(Arc::clone(&data_planes)))
        .fallback(move |request| crate::aws::endpoint(Arc::clone(&aws), request));
    tracing::info!(listen = %options.listen, "ekslite ready: AWS endpoint http://{}", options.listen);

    let served = axum::serve(listener, router).with_graceful_shutdown(shutdown_signal()).await;
    reconciler.stop().await;
    control_planes.stop_all().await;
    drop(compactor);
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
