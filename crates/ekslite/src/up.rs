//! `ekslite up` and `ekslite down`: what an EKS user's first script does, through the same AWS APIs, against a
//! running server (started here when none answers): a VPC with a public and a private subnet in each of three
//! zones, the cluster and node roles with the seed's trust policies and managed policies, the cluster, and a
//! managed node group; then a context in the kubeconfig. Every step looks first and creates only what is
//! missing, so running it twice changes nothing. `down` removes the same things in reverse order.

use std::io::{IsTerminal, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hyper::Method;
use serde_json::{Value, json};

use crate::aws_client::{Aws, xml_values};
use crate::client;

/// What `ekslite up` makes.
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub endpoint: String,
    pub name: String,
    pub region: String,
    pub nodes: u32,
    pub instance_type: String,
    pub kubernetes_version: Option<String>,
    pub kubeconfig: Option<PathBuf>,
    /// Where a server started by `up` keeps its state.
    pub data_dir: Option<PathBuf>,
}

const CLUSTER_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const NODE_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const CLUSTER_POLICIES: &[&str] = &["AmazonEKSClusterPolicy"];
const NODE_POLICIES: &[&str] =
    &["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"];
/// eksctl's layout: public /19s first, then private ones, in 192.168.0.0/16.
const VPC_CIDR: &str = "192.168.0.0/16";
const ZONE_SUFFIXES: [&str; 3] = ["a", "b", "c"];
const WAIT_LIMIT: Duration = Duration::from_secs(300);

/// Progress lines: redrawn in place on a terminal, plain lines otherwise.
struct Progress {
    terminal: bool,
    started: Instant,
}

impl Progress {
    fn new() -> Progress {
        Progress { terminal: std::io::stdout().is_terminal(), started: Instant::now() }
    }

    fn working(&self, what: &str) {
        if self.terminal {
            print!("\r\x1b[2K  … {what}");
            let _ = std::io::stdout().flush();
        }
    }

    fn done(&self, what: &str, outcome: &str) {
        let elapsed = self.started.elapsed().as_secs_f64();
        if self.terminal {
            println!("\r\x1b[2K  \x1b[32m✓\x1b[0m {what}: {outcome} ({elapsed:.1}s)");
        } else {
            println!("{what}: {outcome} ({elapsed:.1}s)");
        }
    }
}

/// Polls `probe` every 200 ms until it gives a value or the limit passes.
async fn poll<T, F, Fut>(what: &str, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        if let Some(value) = probe().await? {
            return Ok(value);
        }
        if Instant::now() > deadline {
            bail!("gave up waiting for {what} after {} s", WAIT_LIMIT.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Makes sure a server answers at `endpoint`, starting one in the background when none does.
async fn ensure_server(options: &UpOptions, progress: &Progress) -> anyhow::Result<()> {
    if client::call(&options.endpoint, Method::GET, "/_ekslite/health", None).await.is_ok() {
        progress.done("server", &format!("running at {}", options.endpoint));
        return Ok(());
    }
    let listen = options.endpoint.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let exe = std::env::current_exe().context("finding the ekslite binary")?;
    let data_dir = match &options.data_dir {
        Some(dir) => dir.clone(),
        None => crate::serve::default_data_dir()?,
    };
    std::fs::create_dir_all(&data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let log_path = data_dir.join("server.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    progress.working("starting the server");
    let mut command = std::process::Command::new(exe);
    command
        .args(["serve", "--listen", &listen, "--data-dir"])
        .arg(&data_dir)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // Its own process group, so that the server outlives this command and a Ctrl-C here.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command.spawn().context("starting `ekslite serve`")?;
    poll("the server", || async {
        Ok(client::call(&options.endpoint, Method::GET, "/_ekslite/health", None).await.ok().map(|_| ()))
    })
    .await
    .with_context(|| format!("the server did not come up; see {}", log_path.display()))?;
    progress.done("server", &format!("started (pid {}, log {})", child.id(), log_path.display()));
    Ok(())
}

/// The VPC named for the cluster, and its subnets: (vpc, public subnets, private subnets).
async fn ensure_network(
    aws: &Aws,
    options: &UpOptions,
    progress: &Progress,
) -> anyhow::Result<(String, Vec<String>, Vec<String>)> {
    let vpc_name = format!("ekslite-{}", options.name);
    progress.working("VPC");
    let found = aws
        .must("ec2", "DescribeVpcs", &[("Filter.1.Name", "tag:Name".into()), ("Filter.1.Value.1", vpc_name.clone())])
        .await?;
    let (vpc, vpc_outcome) = match xml_values(&found, "vpcId").into_iter().next() {
        Some(vpc) => (vpc, "already present"),
        None => {
            let created = aws
                .must(
                    "ec2",
                    "CreateVpc",
                    &[
                        ("CidrBlock", VPC_CIDR.into()),
                        ("TagSpecification.1.ResourceType", "vpc".into()),
                        ("TagSpecification.1.Tag.1.Key", "Name".into()),
                        ("TagSpecification.1.Tag.1.Value", vpc_name.clone()),
                    ],
                )
                .await?;
            let vpc = xml_values(&created, "vpcId").into_iter().next().context("CreateVpc answered no vpcId")?;
            (vpc, "created")
        }
    };
    progress.done("VPC", &format!("{vpc} {VPC_CIDR} ({vpc_outcome})"));
    let mut public = Vec::new();
    let mut private = Vec::new();
    let mut created = 0;
    for (index, suffix) in ZONE_SUFFIXES.iter().enumerate() {
        let zone = format!("{}{suffix}", options.region);
        for (kind, offset, role_tag) in
            [("public", 0, "kubernetes.io/role/elb"), ("private", 3, "kubernetes.io/role/internal-elb")]
        {
            let name = format!("{vpc_name}-{kind}-{zone}");
            progress.working(&format!("subnet {name}"));
            let found = aws
                .must(
                    "ec2",
                    "DescribeSubnets",
                    &[
                        ("Filter.1.Name", "tag:Name".into()),
                        ("Filter.1.Value.1", name.clone()),
                        ("Filter.2.Name", "vpc-id".into()),
                        ("Filter.2.Value.1", vpc.clone()),
                    ],
                )
                .await?;
            let subnet = match xml_values(&found, "subnetId").into_iter().next() {
                Some(subnet) => subnet,
                None => {
                    let cidr = format!("192.168.{}.0/19", (index + offset) * 32);
                    let answer = aws
                        .must(
                            "ec2",
                            "CreateSubnet",
                            &[
                                ("VpcId", vpc.clone()),
                                ("CidrBlock", cidr),
                                ("AvailabilityZone", zone.clone()),
                                ("TagSpecification.1.ResourceType", "subnet".into()),
                                ("TagSpecification.1.Tag.1.Key", "Name".into()),
                                ("TagSpecification.1.Tag.1.Value", name.clone()),
                                ("TagSpecification.1.Tag.2.Key", role_tag.into()),
                                ("TagSpecification.1.Tag.2.Value", "1".into()),
                            ],
                        )
                        .await?;
                    created += 1;
                    xml_values(&answer, "subnetId").into_iter().next().context("CreateSubnet answered no subnetId")?
                }
            };
            if kind == "public" { public.push(subnet) } else { private.push(subnet) }
        }
    }
    let outcome = if created == 0 { "already present".to_owned() } else { format!("{created} created") };
    progress.done("subnets", &format!("public and private in {} zones ({outcome})", ZONE_SUFFIXES.len()));
    Ok((vpc, public, private))
}

/// A role with a trust policy and managed policies; its ARN.
async fn ensure_role(
    aws: &Aws,
    name: &str,
    trust: &str,
    policies: &[&str],
    progress: &Progress,
) -> anyhow::Result<String> {
    progress.working(&format!("role {name}"));
    let (arn, outcome) = match aws.query("iam", "GetRole", &[("RoleName", name.into())]).await? {
        Ok(found) => {
            (xml_values(&found, "Arn").into_iter().next().context("GetRole answered no Arn")?, "already present")
        }
        Err(failure) if failure.code == "NoSuchEntity" => {
            let created = aws
                .must("iam", "CreateRole", &[("RoleName", name.into()), ("AssumeRolePolicyDocument", trust.into())])
                .await?;
            (xml_values(&created, "Arn").into_iter().next().context("CreateRole answered no Arn")?, "created")
        }
        Err(failure) => bail!("iam GetRole: {failure}"),
    };
    for policy in policies {
        // Attaching an attached policy changes nothing.
        aws.must(
            "iam",
            "AttachRolePolicy",
            &[("RoleName", name.into()), ("PolicyArn", format!("arn:aws:iam::aws:policy/{policy}"))],
        )
        .await?;
    }
    progress.done(&format!("role {name}"), &format!("{} + {} ({outcome})", arn, policies.join(", ")));
    Ok(arn)
}

fn role_names(name: &str) -> (String, String) {
    (format!("ekslite-{name}-cluster"), format!("ekslite-{name}-node"))
}

/// `ekslite up`.
pub async fn up(options: UpOptions) -> anyhow::Result<()> {
    // Checked before anything is made, so that a bad name leaves nothing behind.
    aws_model::eks::validate_cluster_name(&options.name).map_err(|error| anyhow::anyhow!("--name: {error}"))?;
    let progress = Progress::new();
    ensure_server(&options, &progress).await?;
    let aws = Aws::new(&options.endpoint, &options.region);
    let (_, public, private) = ensure_network(&aws, &options, &progress).await?;
    let (cluster_role_name, node_role_name) = role_names(&options.name);
    let cluster_role = ensure_role(&aws, &cluster_role_name, CLUSTER_TRUST, CLUSTER_POLICIES, &progress).await?;
    let node_role = ensure_role(&aws, &node_role_name, NODE_TRUST, NODE_POLICIES, &progress).await?;

    let name = &options.name;
    progress.working(&format!("cluster {name}"));
    let cluster_path = format!("/clusters/{name}");
    let outcome = match aws.eks(Method::GET, &cluster_path, None).await? {
        Ok(_) => "already present",
        Err(failure) if failure.code == "ResourceNotFoundException" => {
            let mut subnets = public.clone();
            subnets.extend(private.iter().cloned());
            let mut body =
                json!({ "name": name, "roleArn": cluster_role, "resourcesVpcConfig": { "subnetIds": subnets } });
            if let Some(version) = &options.kubernetes_version {
                body["version"] = json!(version);
            }
            aws.eks(Method::POST, "/clusters", Some(body)).await?.map_err(|f| anyhow::anyhow!("CreateCluster: {f}"))?;
            "created"
        }
        Err(failure) => bail!("DescribeCluster: {failure}"),
    };
    let cluster = poll("the cluster to be ACTIVE", || async {
        let described = aws.eks(Method::GET, &cluster_path, None).await?.map_err(|f| anyhow::anyhow!("{f}"))?;
        Ok((described["cluster"]["status"] == "ACTIVE").then(|| described["cluster"].clone()))
    })
    .await?;
    progress.done(
        &format!("cluster {name}"),
        &format!(
            "ACTIVE, Kubernetes {} at {} ({outcome})",
            cluster["version"].as_str().unwrap_or("?"),
            cluster["endpoint"].as_str().unwrap_or("?")
        ),
    );

    let nodegroup = format!("{name}-nodes");
    progress.working(&format!("node group {nodegroup}"));
    let nodegroup_path = format!("/clusters/{name}/node-groups/{nodegroup}");
    let outcome = match aws.eks(Method::GET, &nodegroup_path, None).await? {
        Ok(_) => "already present",
        Err(failure) if failure.code == "ResourceNotFoundException" => {
            let body = json!({
                "nodegroupName": nodegroup,
                "nodeRole": node_role,
                "subnets": private,
                "instanceTypes": [options.instance_type],
                // EKS's default minimum is one node; `--nodes 0` asks for an empty group.
                "scalingConfig": {
                    "minSize": options.nodes.min(1),
                    "maxSize": options.nodes.max(1) * 2,
                    "desiredSize": options.nodes,
                },
            });
            aws.eks(Method::POST, &format!("/clusters/{name}/node-groups"), Some(body))
                .await?
                .map_err(|f| anyhow::anyhow!("CreateNodegroup: {f}"))?;
            "created"
        }
        Err(failure) => bail!("DescribeNodegroup: {failure}"),
    };
    poll("the node group to be ACTIVE", || async {
        let described = aws.eks(Method::GET, &nodegroup_path, None).await?.map_err(|f| anyhow::anyhow!("{f}"))?;
        Ok((described["nodegroup"]["status"] == "ACTIVE").then_some(()))
    })
    .await?;
    progress.done(
        &format!("node group {nodegroup}"),
        &format!("{} x {} over {} zones ({outcome})", options.nodes, options.instance_type, ZONE_SUFFIXES.len()),
    );

    let kubernetes_name = format!("{name}.{}.{}", options.region, aws_protocol::DEFAULT_ACCOUNT_ID);
    progress.working("nodes");
    let ready = poll("the nodes to be Ready", || async {
        let (status, body) =
            client::call(&options.endpoint, Method::GET, &format!("/_ekslite/clusters/{kubernetes_name}/nodes"), None)
                .await?;
        let nodes = client::expect_success(status, &body)?;
        let ready = nodes["ready"].as_u64().unwrap_or(0);
        Ok((ready >= u64::from(options.nodes)).then_some(ready))
    })
    .await?;
    progress.done("nodes", &format!("{ready} Ready"));

    let (status, body) =
        client::call(&options.endpoint, Method::GET, &format!("/_ekslite/clusters/{kubernetes_name}/kubeconfig"), None)
            .await?;
    if !status.is_success() {
        bail!("cannot get the cluster's kubeconfig: {}", String::from_utf8_lossy(&body));
    }
    let context = format!("ekslite-{name}");
    let path = kubeconfig_path(options.kubeconfig.as_deref())?;
    merge_kubeconfig(&path, &String::from_utf8_lossy(&body), &context)?;
    progress.done("kubeconfig", &format!("context {context} in {}", path.display()));
    println!();
    println!("Try:");
    println!("  kubectl --context {context} get nodes -L topology.kubernetes.io/zone");
    println!("  kubectl --context {context} create deployment web --image=nginx --replicas=6");
    println!("  AWS_ENDPOINT_URL={} aws eks describe-cluster --name {name}", options.endpoint);
    println!("  ekslite down --name {name}");
    Ok(())
}

/// `ekslite down`: the node group, the cluster, the roles and the network `up` made.
pub async fn down(options: UpOptions) -> anyhow::Result<()> {
    let progress = Progress::new();
    let aws = Aws::new(&options.endpoint, &options.region);
    let name = &options.name;
    // The cluster goes only without node groups and Fargate profiles: those `up` made and any added since.
    for (kind, collection, field) in
        [("node group", "node-groups", "nodegroups"), ("Fargate profile", "fargate-profiles", "fargateProfileNames")]
    {
        let listed = match aws.eks(Method::GET, &format!("/clusters/{name}/{collection}"), None).await? {
            Ok(listed) => listed,
            Err(failure) if failure.code == "ResourceNotFoundException" => break,
            Err(failure) => bail!("eks list {collection} of {name}: {failure}"),
        };
        let members: Vec<String> =
            listed[field].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
        for member in members {
            let path = format!("/clusters/{name}/{collection}/{member}");
            progress.working(&format!("{kind} {member}"));
            delete_and_wait(&aws, &path, &format!("the {kind} {member}")).await?;
            progress.done(&format!("{kind} {member}"), "deleted");
        }
    }
    let cluster_path = format!("/clusters/{name}");
    progress.working("cluster");
    let outcome = if delete_and_wait(&aws, &cluster_path, "the cluster").await? { "deleted" } else { "not present" };
    progress.done(&format!("cluster {name}"), outcome);
    let (cluster_role, node_role) = role_names(name);
    for (role, policies) in [(cluster_role, CLUSTER_POLICIES), (node_role, NODE_POLICIES)] {
        for policy in policies {
            let arn = format!("arn:aws:iam::aws:policy/{policy}");
            let _ = aws.query("iam", "DetachRolePolicy", &[("RoleName", role.clone()), ("PolicyArn", arn)]).await?;
        }
        let outcome = match aws.query("iam", "DeleteRole", &[("RoleName", role.clone())]).await? {
            Ok(_) => "deleted",
            Err(failure) if failure.code == "NoSuchEntity" => "not present",
            Err(failure) => bail!("iam DeleteRole {role}: {failure}"),
        };
        progress.done(&format!("role {role}"), outcome);
    }
    let vpc_name = format!("ekslite-{name}");
    let found = aws
        .must("ec2", "DescribeVpcs", &[("Filter.1.Name", "tag:Name".into()), ("Filter.1.Value.1", vpc_name)])
        .await?;
    match xml_values(&found, "vpcId").into_iter().next() {
        Some(vpc) => {
            let subnets = aws
                .must(
                    "ec2",
                    "DescribeSubnets",
                    &[("Filter.1.Name", "vpc-id".into()), ("Filter.1.Value.1", vpc.clone())],
                )
                .await?;
            for subnet in xml_values(&subnets, "subnetId") {
                aws.must("ec2", "DeleteSubnet", &[("SubnetId", subnet)]).await?;
            }
            // What EKS made in the VPC (the cluster security group) went with the cluster; others are the user's.
            aws.must("ec2", "DeleteVpc", &[("VpcId", vpc.clone())]).await?;
            progress.done("VPC", &format!("{vpc} and its subnets deleted"));
        }
        None => progress.done("VPC", "not present"),
    }
    let path = kubeconfig_path(options.kubeconfig.as_deref())?;
    if remove_from_kubeconfig(&path, &format!("ekslite-{name}"))? {
        progress.done("kubeconfig", &format!("context ekslite-{name} removed from {}", path.display()));
    }
    Ok(())
}

/// Deletes an EKS resource and waits until it is gone; `false` when there was none. Any other refusal (a
/// resource still in use, say) is an error.
async fn delete_and_wait(aws: &Aws, path: &str, what: &str) -> anyhow::Result<bool> {
    match aws.eks(Method::DELETE, path, None).await? {
        Ok(_) => {}
        Err(failure) if failure.code == "ResourceNotFoundException" => return Ok(false),
        Err(failure) => bail!("eks delete {what}: {failure}"),
    }
    poll(&format!("{what} to go"), || async { Ok(aws.eks(Method::GET, path, None).await?.is_err().then_some(())) })
        .await?;
    Ok(true)
}

/// `--kubeconfig`, else the first file of `$KUBECONFIG`, else `~/.kube/config`.
fn kubeconfig_path(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path.to_owned());
    }
    if let Some(first) = std::env::var_os("KUBECONFIG").and_then(|v| std::env::split_paths(&v).next())
        && !first.as_os_str().is_empty()
    {
        return Ok(first);
    }
    let home = std::env::var_os("HOME").context("HOME is not set; pass --kubeconfig")?;
    Ok(PathBuf::from(home).join(".kube").join("config"))
}

/// Puts the cluster, user and context of `fresh` (a one-cluster kubeconfig) into the file at `path` under the
/// name `context`, replacing entries of that name and keeping everything else, and makes it current.
pub fn merge_kubeconfig(path: &Path, fresh: &str, context: &str) -> anyhow::Result<()> {
    let fresh: Value = serde_norway::from_str(fresh).context("the server's kubeconfig is not YAML")?;
    let mut config = read_kubeconfig(path)?;
    let pick = |list: &str, key: &str| fresh[list][0][key].clone();
    for (list, key) in [("clusters", "cluster"), ("users", "user")] {
        upsert(&mut config, list, json!({ "name": context, key: pick(list, key) }));
    }
    upsert(&mut config, "contexts", json!({ "name": context, "context": { "cluster": context, "user": context } }));
    config["current-context"] = json!(context);
    write_kubeconfig(path, &config)
}

/// Takes the entries named `context` out of the kubeconfig; whether there were any.
fn remove_from_kubeconfig(path: &Path, context: &str) -> anyhow::Result<bool> {
    if !path.exists() {
        return Ok(false);
    }
    let mut config = read_kubeconfig(path)?;
    let mut removed = false;
    for list in ["clusters", "users", "contexts"] {
        if let Some(items) = config[list].as_array_mut() {
            let before = items.len();
            items.retain(|item| item["name"] != context);
            removed |= items.len() != before;
        }
    }
    if config["current-context"] == context {
        config["current-context"] = json!("");
    }
    if removed {
        write_kubeconfig(path, &config)?;
    }
    Ok(removed)
}

fn read_kubeconfig(path: &Path) -> anyhow::Result<Value> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let mut config: Value = if text.trim().is_empty() {
        json!({})
    } else {
        serde_norway::from_str(&text).with_context(|| format!("{} is not a kubeconfig", path.display()))?
    };
    if !config.is_object() {
        bail!("{} is not a kubeconfig", path.display());
    }
    for (key, default) in [("apiVersion", json!("v1")), ("kind", json!("Config")), ("preferences", json!({}))] {
        if config.get(key).is_none_or(Value::is_null) {
            config[key] = default;
        }
    }
    for list in ["clusters", "users", "contexts"] {
        if !config[list].is_array() {
            config[list] = json!([]);
        }
    }
    Ok(config)
}

fn upsert(config: &mut Value, list: &str, entry: Value) {
    let items = config[list].as_array_mut().expect("lists are made arrays on read");
    match items.iter_mut().find(|item| item["name"] == entry["name"]) {
        Some(existing) => *existing = entry,
        None => items.push(entry),
    }
}

fn write_kubeconfig(path: &Path, config: &Value) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let text = serde_norway::to_string(config).context("writing the kubeconfig")?;
    // Written aside and renamed, so that a reader never sees half a file; readable by its owner only.
    let staging = path.with_extension("ekslite-tmp");
    std::fs::write(&staging, text).with_context(|| format!("writing {}", staging.display()))?;
    std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o600))?;
    std::fs::rename(&staging, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests;
