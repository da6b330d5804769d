//! The `ekslite` binary: the command line and logging; what each command runs is in the library (`lib.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ekslite::{client, dataplane, serve, up};
use store::StoreConfig;

/// mimalloc rather than the system allocator: the server allocates and frees small blocks at a high rate from
/// many threads (decoded objects, watch events), where glibc's malloc spent about 40% of the CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Amazon EKS on your machine: the AWS APIs that EKS users script against, and a Kubernetes control plane per
/// cluster, in one binary.
///
/// Point the aws CLI or an SDK at the server with AWS_ENDPOINT_URL=http://127.0.0.1:4566.
#[derive(Debug, Parser)]
#[command(name = "ekslite", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: the AWS APIs on --listen, state in --data-dir (SQLite) or --store.
    Serve(ServeArgs),
    /// Create, list and delete clusters on a running server.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Bring up an EKS cluster with nodes, as an EKS user's script would (starting the server if none runs), and
    /// add a context for it to the kubeconfig. Running it again changes nothing.
    Up(UpArgs),
    /// Remove what `ekslite up` made: the node group, the cluster, the roles, the VPC and the context.
    Down(UpArgs),
    /// Print the AWS operations this build serves, one `<signing name> <operation>` a line.
    Operations,
    /// Join or remove an EKS hybrid node, as nodeadm does on the machine (the cluster needs remoteNetworkConfig
    /// and a HYBRID_LINUX access entry for the node's role).
    #[command(subcommand)]
    Nodeadm(NodeadmCommand),
    /// Change the CPU and memory a workload's pods share (the simulated load), as metrics and autoscalers see it.
    #[command(subcommand)]
    Load(LoadCommand),
    /// Print a kubeconfig (admin client certificate) for a cluster.
    Kubeconfig {
        /// The cluster's name.
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Debug, Subcommand)]
enum LoadCommand {
    /// Set a workload's load: the cores and memory its Ready pods share from now on (no rollout).
    Set {
        /// The workload, as `<kind>/<name>` (deployment/web, statefulset/db, daemonset/agent, job/batch, pod/one).
        workload: String,
        /// Cores the workload's pods share, a quantity (`3`, `1500m`).
        #[arg(long)]
        cpu: Option<String>,
        /// Memory the workload's pods share, a quantity (`6Gi`).
        #[arg(long)]
        memory: Option<String>,
        #[command(flatten)]
        target: LoadTarget,
    },
    /// Take back a load set with `load set`: the pods' annotations apply again.
    Clear {
        /// The workload, as `<kind>/<name>`.
        workload: String,
        #[command(flatten)]
        target: LoadTarget,
    },
    /// List the loads set on a cluster.
    List {
        /// The cluster, as `ekslite kubeconfig` names it (`<name>.<region>.<account>` for EKS clusters).
        #[arg(long)]
        cluster: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Debug, clap::Args)]
struct LoadTarget {
    /// The cluster, as `ekslite kubeconfig` names it (`<name>.<region>.<account>` for EKS clusters).
    #[arg(long)]
    cluster: String,
    /// The workload's namespace.
    #[arg(long, short = 'n', default_value = "default")]
    namespace: String,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Debug, Subcommand)]
enum ClusterCommand {
    /// Create a cluster and start its Kubernetes API server.
    Create {
        /// The cluster's name: 1 to 100 letters, digits, hyphens and underscores.
        name: String,
        /// Kubernetes version (major.minor).
        #[arg(long, default_value = apiserver::DEFAULT_VERSION)]
        version: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List the clusters.
    List {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Delete a cluster and everything in it.
    Delete {
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Debug, Subcommand)]
enum NodeadmCommand {
    /// Join this machine to the cluster its NodeConfig names, as `nodeadm init` does, and print its node name.
    Init {
        /// The NodeConfig: file://<path> (spec.cluster, and spec.hybrid.ssm or spec.hybrid.iamRolesAnywhere).
        #[arg(short = 'c', long = "config-source", value_name = "SOURCE")]
        config_source: String,
        /// The machine's address in the remote node network when the kubelet flags name none (`--node-ip`)
        /// [default: a free address of the network].
        #[arg(long, value_name = "IP")]
        node_ip: Option<String>,
        /// The machine's host name, for its SSM managed instance.
        #[arg(long)]
        hostname: Option<String>,
        /// The machine's CPUs.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1024))]
        cpus: u32,
        /// The machine's memory in MiB.
        #[arg(long, default_value_t = 16384, value_parser = clap::value_parser!(u64).range(256..=67_108_864))]
        memory_mib: u64,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Take a hybrid node out of its cluster, as `nodeadm uninstall` does (it must be cordoned and drained).
    Uninstall {
        /// The NodeConfig the node joined with: file://<path>.
        #[arg(short = 'c', long = "config-source", value_name = "SOURCE")]
        config_source: String,
        /// The node's name, as `init` printed it.
        #[arg(long)]
        node_name: String,
        /// Checks to skip: pod-validation, node-validation.
        #[arg(short = 's', long, value_delimiter = ',')]
        skip: Vec<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    /// The EKS cluster's name.
    #[arg(long, default_value = "demo")]
    name: String,
    /// The AWS region.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Nodes in the managed node group.
    #[arg(long, allow_negative_numbers = true, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=450))]
    nodes: u32,
    /// The nodes' EC2 instance type.
    #[arg(long, default_value = "t3.medium")]
    instance_type: String,
    /// Kubernetes version (major.minor) [default: EKS's default].
    #[arg(long, value_name = "V")]
    kubernetes_version: Option<String>,
    /// The kubeconfig to add the context to [default: the first file of $KUBECONFIG, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// Where a server started by `up` keeps its state [default: as `ekslite serve`].
    #[arg(long, env = "EKSLITE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(flatten)]
    server: ServerArgs,
}

impl UpArgs {
    fn options(self) -> up::UpOptions {
        up::UpOptions {
            endpoint: self.server.endpoint,
            name: self.name,
            region: self.region,
            nodes: self.nodes,
            instance_type: self.instance_type,
            kubernetes_version: self.kubernetes_version,
            kubeconfig: self.kubeconfig,
            data_dir: self.data_dir,
        }
    }
}

#[derive(Debug, clap::Args)]
struct ServerArgs {
    /// The running ekslite server.
    #[arg(long, env = "EKSLITE_ENDPOINT", value_name = "URL", default_value = "http://127.0.0.1:4566")]
    endpoint: String,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Where the SQLite store keeps its files [default: $XDG_DATA_HOME/ekslite or ~/.local/share/ekslite].
    #[arg(long, env = "EKSLITE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Address for the AWS APIs and the health endpoint (GET /_ekslite/health).
    #[arg(long, env = "EKSLITE_LISTEN", value_name = "ADDR", default_value = "127.0.0.1:4566")]
    listen: SocketAddr,

    /// State backend: sqlite (in --data-dir), memory (lost on exit), or etcd://host:port[,host:port...].
    #[arg(long, env = "EKSLITE_STORE", value_name = "STORE", default_value = "sqlite")]
    store: StoreConfig,

    /// How long to wait for an etcd member to answer at start, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, value_parser = parse_seconds)]
    etcd_timeout: f64,

    /// Keep at least this many seconds of history for watches and reads at past revisions.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    history_seconds: u64,

    /// Keep at least this many of the newest revisions of history.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(i64).range(0..=100_000_000))]
    history_revisions: i64,

    /// How often to compact history, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    compact_interval: u64,

    /// How long a new EKS cluster stays CREATING, in seconds (botocore's waiters poll every 30 s).
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0, value_parser = parse_delay)]
    eks_create_delay: f64,

    /// How long a deleted EKS cluster stays DELETING, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0, value_parser = parse_delay)]
    eks_delete_delay: f64,

    /// How long an EKS update stays InProgress (its cluster, node group or add-on UPDATING), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0, value_parser = parse_delay)]
    eks_update_delay: f64,

    /// How long an EKS add-on's workloads have, once it is ACTIVE or updated, to get their replicas ready before
    /// the add-on is DEGRADED, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = aws_model::eks::ADDON_HEALTH_GRACE_SECONDS, value_parser = parse_delay)]
    eks_addon_health_grace: f64,

    /// EKS clusters per account and region (EKS's quota is 100).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_clusters: u32,

    /// How long a node's Lease may go unrenewed before the node is NotReady, in seconds
    /// (kube-controller-manager's --node-monitor-grace-period).
    #[arg(long, value_name = "SECONDS", default_value_t = 40.0, value_parser = parse_seconds)]
    node_monitor_grace_period: f64,

    /// How often every HorizontalPodAutoscaler is reconciled, in seconds (kube-controller-manager's
    /// --horizontal-pod-autoscaler-sync-period).
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0, value_parser = parse_seconds)]
    horizontal_pod_autoscaler_sync_period: f64,

    /// How long new pods tolerate a not-ready or unreachable node before they are evicted, in seconds
    /// (kube-apiserver's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds).
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(i64).range(0..=86_400))]
    default_toleration_seconds: i64,
}

fn parse_delay(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && (0.0..=3600.0).contains(&seconds) => Ok(seconds),
        _ => Err(format!("{text:?} is not a number of seconds between 0 and 3600")),
    }
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 => Ok(seconds),
        _ => Err(format!("{text:?} is not a number of seconds between 0 and 3600")),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    init_tracing();
    let result = match cli.command {
        Command::Serve(args) => run_serve(args),
        Command::Cluster(command) => run_client(cluster_command(command)),
        Command::Kubeconfig { name, server } => run_client(kubeconfig(name, server)),
        Command::Load(LoadCommand::Set { workload, cpu, memory, target }) => run_client(async move {
            if cpu.is_none() && memory.is_none() {
                anyhow::bail!("give --cpu, --memory or both");
            }
            let path = ekslite::loads::load_path(&target.cluster, &target.namespace, &workload)?;
            let body = serde_json::json!({ "cpu": cpu, "memory": memory });
            ekslite::loads::change(&target.server.endpoint, &path, Some(body)).await
        }),
        Command::Load(LoadCommand::Clear { workload, target }) => run_client(async move {
            let path = ekslite::loads::load_path(&target.cluster, &target.namespace, &workload)?;
            ekslite::loads::change(&target.server.endpoint, &path, None).await
        }),
        Command::Load(LoadCommand::List { cluster, server }) => {
            run_client(async move { ekslite::loads::list(&server.endpoint, &cluster).await })
        }
        Command::Nodeadm(NodeadmCommand::Init { config_source, node_ip, hostname, cpus, memory_mib, server }) => {
            run_client(ekslite::nodeadm::init(ekslite::nodeadm::InitOptions {
                endpoint: server.endpoint,
                config_source,
                node_ip,
                hostname,
                cpus: Some(cpus),
                memory_mib: Some(memory_mib),
            }))
        }
        Command::Nodeadm(NodeadmCommand::Uninstall { config_source, node_name, skip, server }) => {
            run_client(ekslite::nodeadm::uninstall(ekslite::nodeadm::UninstallOptions {
                endpoint: server.endpoint,
                config_source,
                node_name,
                skip,
            }))
        }
        Command::Operations => {
            for (service, operation) in aws_api::served_operations() {
                println!("{service} {operation}");
            }
            Ok(())
        }
        Command::Up(args) => run_client(up::up(args.options())),
        Command::Down(args) => run_client(up::down(args.options())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ekslite: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--help` and `--version` print as clap renders them; a usage error is one line and exit code 2.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return if error.exit_code() == 0 { ExitCode::SUCCESS } else { ExitCode::from(2) };
    }
    let rendered = error.render().to_string();
    let first = rendered.lines().next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    eprintln!("ekslite: {first} (see 'ekslite --help')");
    ExitCode::from(2)
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("EKSLITE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let server = server_options(&args);
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => serve::default_data_dir()?,
    };
    let options = serve::ServeOptions {
        data_dir,
        listen: args.listen,
        store: args.store,
        etcd_timeout: std::time::Duration::from_secs_f64(args.etcd_timeout),
        server,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve::serve(options))
}

fn server_options(args: &ServeArgs) -> ekslite::server::ServerOptions {
    let defaults = ekslite::server::ServerOptions::default();
    ekslite::server::ServerOptions {
        compaction: store::CompactionPolicy {
            interval: std::time::Duration::from_secs(args.compact_interval),
            keep_for: std::time::Duration::from_secs(args.history_seconds),
            keep_revisions: args.history_revisions,
        },
        eks: aws_model::eks::EksConfig {
            create_seconds: args.eks_create_delay,
            delete_seconds: args.eks_delete_delay,
            update_seconds: args.eks_update_delay,
            addon_health_grace_seconds: args.eks_addon_health_grace,
            max_clusters: args.max_clusters as usize,
            ..defaults.eks
        },
        data_plane: {
            let grace = std::time::Duration::from_secs_f64(args.node_monitor_grace_period);
            let defaults = dataplane::DataPlaneConfig::default();
            // Nodes renew their Leases four times per grace period at least, as kubelet's 10 s do within 40 s,
            // so a shorter grace period never makes a healthy node look lost.
            let renew_interval = defaults.agent.renew_interval.min(grace / 4);
            dataplane::DataPlaneConfig {
                controllers: controllers::ControllersConfig {
                    node_monitor_grace_period: grace,
                    hpa: controllers::hpa::HpaConfig {
                        sync_period: std::time::Duration::from_secs_f64(args.horizontal_pod_autoscaler_sync_period),
                        ..controllers::hpa::HpaConfig::default()
                    },
                    ..controllers::ControllersConfig::default()
                },
                agent: node_agent::AgentConfig { renew_interval, ..defaults.agent },
            }
        },
        default_toleration_seconds: args.default_toleration_seconds,
    }
}

fn run_client(task: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(task)
}

/// A path segment with everything but unreserved characters percent-encoded.
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

async fn cluster_command(command: ClusterCommand) -> anyhow::Result<()> {
    use hyper::Method;
    match command {
        ClusterCommand::Create { name, version, server } => {
            let body = serde_json::json!({ "name": name, "version": version });
            let (status, answer) =
                client::call(&server.endpoint, Method::POST, "/_ekslite/clusters", Some(&body)).await?;
            let cluster = client::expect_success(status, &answer)?;
            println!(
                "cluster {} created: Kubernetes {} at {}",
                cluster["name"].as_str().unwrap_or_default(),
                cluster["version"].as_str().unwrap_or_default(),
                cluster["endpoint"].as_str().unwrap_or_default()
            );
            println!(
                "kubeconfig: ekslite kubeconfig {name} > {name}.kubeconfig && export KUBECONFIG=$PWD/{name}.kubeconfig"
            );
        }
        ClusterCommand::List { server } => {
            let (status, answer) = client::call(&server.endpoint, Method::GET, "/_ekslite/clusters", None).await?;
            let listed = client::expect_success(status, &answer)?;
            println!("{:<32} {:<8} ENDPOINT", "NAME", "VERSION");
            for cluster in listed["clusters"].as_array().into_iter().flatten() {
                println!(
                    "{:<32} {:<8} {}",
                    cluster["name"].as_str().unwrap_or_default(),
                    cluster["version"].as_str().unwrap_or_default(),
                    cluster["endpoint"].as_str().unwrap_or_default()
                );
            }
        }
        ClusterCommand::Delete { name, server } => {
            let path = format!("/_ekslite/clusters/{}", path_segment(&name));
            let (status, answer) = client::call(&server.endpoint, Method::DELETE, &path, None).await?;
            client::expect_success(status, &answer)?;
            println!("cluster {name} deleted");
        }
    }
    Ok(())
}

async fn kubeconfig(name: String, server: ServerArgs) -> anyhow::Result<()> {
    let path = format!("/_ekslite/clusters/{}/kubeconfig", path_segment(&name));
    let (status, answer) = client::call(&server.endpoint, hyper::Method::GET, &path, None).await?;
    if !status.is_success() {
        client::expect_success(status, &answer)?;
    }
    print!("{}", String::from_utf8_lossy(&answer));
    Ok(())
}
