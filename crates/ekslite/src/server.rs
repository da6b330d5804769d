//! One ekslite server wired together on an open store: the clusters' control planes and data planes, the AWS
//! services and how they reach the clusters, the background reconciler, and the HTTP routes in front of them.
//! `ekslite serve` runs exactly this behind its listener; the benchmarks and tests that measure or drive the server
//! in-process build it the same way.

use std::sync::Arc;

use anyhow::Context;
use apiserver::ControlPlanes;
use aws_api::AwsApi;
use store::{CompactionPolicy, Compactor, DynStore};

use crate::dataplane::{DataPlaneConfig, DataPlanes};
use crate::eks::clusters::Clusters;
use crate::eks::nodes::EksNodes;
use crate::eks::oidc_keys::ClusterIssuers;
use crate::eks::tokens::EksTokens;
use crate::fargate::FargateWebhook;
use crate::health::{self, ServerInfo};
use crate::reconciler::Reconciler;

/// What a server is set up with, beyond its store.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub compaction: CompactionPolicy,
    pub eks: aws_model::eks::EksConfig,
    pub data_plane: DataPlaneConfig,
    /// How long new pods tolerate a not-ready or unreachable node, in seconds.
    pub default_toleration_seconds: i64,
}

impl Default for ServerOptions {
    /// `ekslite serve`'s defaults.
    fn default() -> ServerOptions {
        ServerOptions {
            compaction: CompactionPolicy::default(),
            eks: aws_model::eks::EksConfig {
                versions: apiserver::KUBERNETES_VERSIONS.iter().map(|(minor, _)| (*minor).to_owned()).collect(),
                patch_versions: apiserver::KUBERNETES_VERSIONS
                    .iter()
                    .map(|(minor, patch)| ((*minor).to_owned(), (*patch).to_owned()))
                    .collect(),
                ..aws_model::eks::EksConfig::default()
            },
            data_plane: DataPlaneConfig::default(),
            default_toleration_seconds: 300,
        }
    }
}

/// A running server: its clusters started, its reconciler running. Stop it with [`Server::stop`].
#[derive(Debug)]
pub struct Server {
    pub store: DynStore,
    pub control_planes: Arc<ControlPlanes>,
    pub data_planes: Arc<DataPlanes>,
    pub aws: Arc<AwsApi>,
    pub eks: aws_model::eks::Eks,
    pub ec2: aws_model::ec2::Ec2,
    pub autoscaling: aws_model::autoscaling::AutoScaling,
    router: axum::Router,
    reconciler: Reconciler,
    compactor: Compactor,
}

impl Server {
    /// Wires everything on `store` for the server `info` and starts the clusters the store holds. On an error,
    /// whatever had started is stopped again; the store stays open (it is the caller's).
    pub async fn start(store: DynStore, info: ServerInfo, options: &ServerOptions) -> anyhow::Result<Server> {
        let started = tokio::time::Instant::now();
        let compactor = Compactor::spawn(Arc::clone(&store), options.compaction.clone());
        let tokens = Arc::new(EksTokens::default());
        let data_planes = Arc::new(DataPlanes::new(options.data_plane.clone()));
        let fargate_webhook = Arc::new(FargateWebhook::default());
        let pod_identity_webhook = Arc::new(crate::eks::pod_identity::PodIdentityWebhook::default());
        let control_planes = Arc::new(
            ControlPlanes::new(Arc::clone(&store))
                .with_token_authenticator(Arc::clone(&tokens) as _)
                .with_pod_admission(Arc::clone(&fargate_webhook) as _)
                .with_pod_admission(Arc::clone(&pod_identity_webhook) as _)
                .with_pod_admission(Arc::clone(&data_planes) as _)
                .with_service_admission(Arc::clone(&data_planes) as _)
                .with_pod_connector(Arc::new(crate::pod_traffic::PodTraffic::new(Arc::clone(&data_planes) as _)))
                .with_observer(Arc::clone(&data_planes) as _)
                .with_default_toleration_seconds(options.default_toleration_seconds),
        );
        let clock: Arc<dyn aws_model::clock::Clock> = Arc::new(aws_model::clock::SystemClock);
        let records = || aws_model::records::Records::new(Arc::clone(&store));
        let iam = aws_model::iam::Iam::new(records(), Arc::clone(&clock));
        let ec2 = aws_model::ec2::Ec2::new(records(), Arc::clone(&clock));
        let eks = aws_model::eks::Eks::new(
            records(),
            Arc::new(Clusters(Arc::clone(&control_planes))),
            Arc::clone(&clock),
            options.eks.clone(),
        )
        .with_iam_and_ec2(iam.clone(), ec2.clone())
        .with_server(&info.id, info.boot);
        let autoscaling = aws_model::autoscaling::AutoScaling::new(eks.clone(), ec2.clone());
        let ssm = aws_model::ssm::Ssm::new(records(), Arc::clone(&clock), options.eks.versions.clone());
        let elbv2 = aws_model::elbv2::Elbv2::new(records(), Arc::clone(&clock), ec2.clone());
        let elb = aws_model::elb::Elb::new(records(), Arc::clone(&clock), ec2.clone());
        let nodes = Arc::new(
            EksNodes::new(eks.clone(), autoscaling.clone(), ec2.clone())
                .with_iam(iam.clone())
                .with_ssm(ssm.clone())
                .with_load_balancing(elb.clone(), elbv2.clone()),
        );
        data_planes.set_source(Arc::clone(&nodes) as _);
        data_planes.set_fargate(Arc::clone(&nodes) as _, nodes.fargate.clone());
        let _ = fargate_webhook.eks.set(eks.clone());
        let _ = pod_identity_webhook.eks.set(eks.clone());
        let efs = aws_model::efs::Efs::new(records(), Arc::clone(&clock), ec2.clone());
        data_planes.set_efs(efs.clone());
        let hybrid = crate::eks::hybrid::HybridRoutes {
            nodes: Arc::clone(&nodes),
            ssm: ssm.clone(),
            iam: iam.clone(),
            control_planes: Arc::clone(&control_planes),
        };
        let aws = Arc::new(
            AwsApi::new(eks.clone(), iam, Arc::clone(&clock))
                .with_ec2(ec2.clone())
                .with_autoscaling(autoscaling.clone())
                .with_ssm(ssm)
                .with_quotas(aws_model::quotas::Quotas::new(records(), Arc::clone(&clock), options.eks.quota_limits()))
                .with_efs(efs)
                .with_elbv2(elbv2)
                .with_elb(elb)
                .with_oidc_keys(Arc::new(ClusterIssuers(Arc::clone(&control_planes)))),
        );
        tokens.0.set(Arc::clone(&aws)).expect("the AWS endpoint is built once");
        // Clusters start once everything their data planes and webhooks ask is in place.
        if let Err(error) = control_planes.start_all().await {
            control_planes.stop_all().await;
            return Err(error).context("starting the clusters' API servers");
        }
        // Once the clusters run: what it finds left to do (a delete or create a crash cut short) involves them.
        let agent = crate::eks::pod_identity_agent::AgentRoutes {
            control_planes: Arc::clone(&control_planes),
            aws: Arc::clone(&aws),
            clock: Arc::clone(&clock),
        };
        let reconciler = Reconciler::spawn(Arc::clone(&store), eks.clone(), Arc::clone(&nodes) as _, clock);
        let endpoint = Arc::clone(&aws);
        let router = health::router(health::HealthState { store: Arc::clone(&store), server: info, started })
            .merge(crate::clusters::routes(Arc::clone(&control_planes)))
            .merge(crate::dataplane::routes(Arc::clone(&data_planes)))
            .merge(crate::loads::routes(Arc::clone(&data_planes)))
            .merge(crate::eks::hybrid::routes(hybrid))
            .merge(crate::eks::pod_identity_agent::routes(agent))
            .fallback(move |request| crate::aws_endpoint::endpoint(Arc::clone(&endpoint), request));
        Ok(Server { store, control_planes, data_planes, aws, eks, ec2, autoscaling, router, reconciler, compactor })
    }

    /// The HTTP routes: the health and cluster routes, the data plane's, the Pod Identity Agent's credentials, and
    /// the AWS endpoint behind them.
    pub fn router(&self) -> axum::Router {
        self.router.clone()
    }

    /// Stops the reconciler, then the clusters, then compaction. The store stays open.
    pub async fn stop(self) {
        self.reconciler.stop().await;
        self.control_planes.stop_all().await;
        drop(self.compactor);
    }
}
