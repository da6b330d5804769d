use aws_model::ec2::images::image;

use crate::ec2::tests::{api, element, send};

/// The status and error code (`ok` for success) of a DescribeImages form, and the names it lists.
async fn describe(form: &str) -> (u16, String, Vec<String>) {
    let (status, xml) = send(&api(), &format!("Action=DescribeImages&{form}")).await;
    let code = if status == 200 { "ok".to_owned() } else { element(&xml, "Code").unwrap_or("no code").to_owned() };
    let names = xml.split("<name>").skip(1).map(|rest| rest[..rest.find("</name>").unwrap()].to_owned()).collect();
    (status, code, names)
}

#[tokio::test]
async fn images_are_found_by_id_owner_and_name() {
    let al2023 = image("eu-west-1", "AL2023_x86_64_STANDARD", "1.34.0-20251016").unwrap();
    let (status, xml) = send(&api(), &format!("Action=DescribeImages&ImageId.1={}", al2023.id)).await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(element(&xml, "name"), Some("amazon-eks-node-al2023-x86_64-standard-1.34-v20251016"));
    assert_eq!(element(&xml, "imageOwnerId"), Some("602401143452"));
    assert_eq!(element(&xml, "imageOwnerAlias"), Some("amazon"));
    assert_eq!(element(&xml, "imageState"), Some("available"));
    assert_eq!(element(&xml, "architecture"), Some("x86_64"));
    assert_eq!(element(&xml, "rootDeviceName"), Some("/dev/xvda"));
    assert!(
        xml.contains("<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><snapshotId>snap-"),
        "{xml}"
    );

    let (_, _, names) =
        describe("Owner.1=amazon&Filter.1.Name=name&Filter.1.Value.1=bottlerocket-aws-k8s-1.34-aarch64-*").await;
    assert_eq!(names.len(), 1);
    assert!(names[0].starts_with("bottlerocket-aws-k8s-1.34-aarch64-v"), "{names:?}");
    let (_, _, names) = describe("Owner.1=503807174151&Filter.1.Name=name&Filter.1.Value.1=*-1.34-x86_64-*").await;
    assert_eq!(names.len(), 1, "Bottlerocket's owner in eu-west-1");
    let (_, _, names) = describe(
        "Filter.1.Name=platform&Filter.1.Value.1=windows&Filter.2.Name=name&Filter.2.Value.1=*2022*Core*1.34*",
    )
    .await;
    assert_eq!(names, ["Windows_Server-2022-English-Core-EKS_Optimized-1.34-2025.10.16"]);
    let (_, code, names) = describe("Owner.1=self").await;
    assert_eq!((code.as_str(), names.len()), ("ok", 0));
}

#[tokio::test]
async fn pages_of_images() {
    let (_, _, all) = describe("Owner.1=amazon").await;
    let (status, xml) = send(&api(), "Action=DescribeImages&Owner.1=amazon&MaxResults=5").await;
    assert_eq!(status, 200);
    let token = element(&xml, "nextToken").expect("a next page").to_owned();
    let (_, _, second) = describe(&format!("Owner.1=amazon&MaxResults=1000&NextToken={token}")).await;
    assert_eq!(second.len() + 5, all.len());
}

#[tokio::test]
async fn bad_requests_get_ec2_errors() {
    let cases = [
        ("ImageId.1=ami-12345678", (400, "InvalidAMIID.NotFound")),
        ("ImageId.1=ami-0123456789abcdef0", (400, "InvalidAMIID.NotFound")),
        ("ImageId.1=ami-zzz", (400, "InvalidAMIID.Malformed")),
        ("ImageId.1=%00", (400, "InvalidAMIID.Malformed")),
        ("Owner.1=nobody", (400, "InvalidUserID.Malformed")),
        ("Filter.1.Name=flavour&Filter.1.Value.1=x", (400, "InvalidFilter")),
        ("MaxResults=2", (400, "InvalidParameterValue")),
        ("MaxResults=many", (400, "InvalidParameterValue")),
        ("NextToken=%21%21", (400, "InvalidParameterValue")),
    ];
    for (form, (status, code)) in cases {
        let (got_status, got_code, _) = describe(form).await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "{form}");
    }
}
