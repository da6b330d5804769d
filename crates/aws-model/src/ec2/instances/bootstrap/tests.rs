use super::*;

fn taint(key: &str, value: Option<&str>, effect: &str) -> Taint {
    Taint { key: key.into(), value: value.map(str::to_owned), effect: effect.into() }
}

/// A cluster, labels and taints, or nothing.
type Expect<'a> = Option<(&'a str, &'a [(&'a str, &'a str)], Vec<Taint>)>;

fn check(document: &str, expect: Expect<'_>) {
    let expect = expect.map(|(cluster, labels, taints)| Bootstrap {
        cluster: cluster.into(),
        labels: labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        taints,
    });
    assert_eq!(read_document(document), expect, "{document}");
    // The same through base64, as EC2 keeps it.
    assert_eq!(read_user_data(&crate::ids::base64(document.as_bytes())), expect);
}

const NODE_CONFIG: &str = "---
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: demo
    apiServerEndpoint: https://example.com
    certificateAuthority: Y2E=
    cidr: 10.100.0.0/16
  kubelet:
    flags:
      - --node-labels=team=blue,tier=web
      - --register-with-taints=dedicated=gpu:NoSchedule,spot:PreferNoSchedule
";

#[test]
fn a_node_config_names_its_cluster_labels_and_taints() {
    check(
        NODE_CONFIG,
        Some((
            "demo",
            &[("team", "blue"), ("tier", "web")],
            vec![taint("dedicated", Some("gpu"), "NO_SCHEDULE"), taint("spot", None, "PREFER_NO_SCHEDULE")],
        )),
    );
    check(
        "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: x\n",
        Some(("x", &[], vec![])),
    );
    check("apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster: {}\n", None);
    check("kind: Pod\nspec:\n  cluster:\n    name: x\n", None);
}

#[test]
fn a_mime_multipart_is_read_part_by_part() {
    let document = format!(
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n--BOUNDARY\r\n\
         Content-Type: text/x-shellscript; charset=\"us-ascii\"\r\n\r\n#!/bin/bash\necho hello\n\r\n--BOUNDARY\r\n\
         Content-Type: application/node.eks.aws\r\n\r\n{NODE_CONFIG}\r\n--BOUNDARY--\r\n"
    );
    let found = read_document(&document).unwrap();
    assert_eq!(found.cluster, "demo");
    assert_eq!(found.labels["team"], "blue");
    // A multipart with no part naming a cluster joins none.
    check(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/x-shellscript\n\n#!/bin/sh\ntrue\n--b--\n",
        None,
    );
}

#[test]
fn the_al2_bootstrap_line_names_its_cluster_and_kubelet_extra_args() {
    check(
        "#!/bin/bash\nset -ex\n/etc/eks/bootstrap.sh demo --b64-cluster-ca Y2E= --apiserver-endpoint https://x \
         --kubelet-extra-args '--node-labels=team=red --register-with-taints=k=v:NoExecute'\n",
        Some(("demo", &[("team", "red")], vec![taint("k", Some("v"), "NO_EXECUTE")])),
    );
    check(
        "#!/bin/bash\nCLUSTER_NAME=prod\nexport EXTRA=\"--node-labels=a=b\"\n/etc/eks/bootstrap.sh ${CLUSTER_NAME} --kubelet-extra-args \"$EXTRA\"\n",
        Some(("prod", &[("a", "b")], vec![])),
    );
    check(
        "#!/bin/bash\n/etc/eks/bootstrap.sh --apiserver-endpoint https://x demo && echo done\n",
        Some(("demo", &[], vec![])),
    );
    check("#!/bin/bash\n# /etc/eks/bootstrap.sh commented\necho hi\n", None);
    check("#!/bin/bash\n/etc/eks/bootstrap.sh $UNKNOWN\n", None);
}

#[test]
fn bottlerocket_settings_name_their_cluster() {
    check(
        "[settings.kubernetes]\ncluster-name = \"demo\"\napi-server = \"https://x\"\n\n\
         [settings.kubernetes.node-labels]\n\"team\" = \"green\"\n\n[settings.kubernetes.node-taints]\n\
         \"dedicated\" = \"ml:NoSchedule\"\n",
        Some(("demo", &[("team", "green")], vec![taint("dedicated", Some("ml"), "NO_SCHEDULE")])),
    );
    check("[settings.kubernetes]\napi-server = \"https://x\"\n", None);
    // Quoted keys are whole names, dots and slashes included.
    check(
        "[settings.kubernetes]\ncluster-name = \"demo\"\n[settings.kubernetes.node-labels]\n\
         \"karpenter.sh/nodepool\" = \"default\"\n",
        Some(("demo", &[("karpenter.sh/nodepool", "default")], Vec::new())),
    );
}

#[test]
fn garbage_names_no_cluster() {
    check("", None);
    check("\u{0}\u{0}\u{1}", None);
    check("{{{{ not yaml", None);
    assert_eq!(read_user_data("not base64 at all!"), None);
    assert_eq!(read_user_data(&crate::ids::base64(&[0xff, 0xfe, 0x00])), None);
}
