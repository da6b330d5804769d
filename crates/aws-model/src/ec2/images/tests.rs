use super::*;

fn versions() -> Vec<String> {
    ["1.32", "1.33", "1.34"].map(str::to_owned).to_vec()
}

fn query(ids: &[&str], owners: &[&str], filters: &[(&str, &[&str])]) -> ImageQuery {
    ImageQuery {
        image_ids: ids.iter().map(|id| (*id).to_owned()).collect(),
        owners: owners.iter().map(|owner| (*owner).to_owned()).collect(),
        filters: filters
            .iter()
            .map(|(name, values)| Filter {
                name: (*name).to_owned(),
                values: values.iter().map(|v| (*v).to_owned()).collect(),
            })
            .collect(),
    }
}

/// The names of the images a query finds in us-east-1, or its error.
fn check(query: ImageQuery, expect: Result<Vec<&str>, ImageError>) {
    let found = describe_images("us-east-1", &versions(), "123456789012", &query)
        .map(|images| images.into_iter().map(|image| image.name).collect::<Vec<_>>());
    let expect = expect.map(|names| names.into_iter().map(str::to_owned).collect::<Vec<_>>());
    let sorted = found.map(|mut names| {
        names.sort();
        names
    });
    assert_eq!(sorted, expect);
}

#[test]
fn images_carry_the_names_owners_and_devices_aws_gives_them() {
    let al2023 = image("us-east-1", "AL2023_x86_64_STANDARD", "1.34.0-20251016").unwrap();
    assert_eq!(al2023.name, "amazon-eks-node-al2023-x86_64-standard-1.34-v20251016");
    assert_eq!((al2023.owner_id.as_str(), al2023.owner_alias), (EKS_AMI_OWNER, "amazon"));
    assert_eq!((al2023.architecture, al2023.platform, al2023.platform_details), ("x86_64", None, "Linux/UNIX"));
    assert_eq!(al2023.creation_date, "2025-10-16T00:00:00.000Z");
    assert_eq!(al2023.block_devices[0].device_name, "/dev/xvda");
    assert!(is_image_id(&al2023.id) && al2023.id.len() == 21, "{}", al2023.id);

    let arm = image("us-east-1", "AL2_ARM_64", "1.32.0-20251016").unwrap();
    assert_eq!((arm.name.as_str(), arm.architecture), ("amazon-eks-arm64-node-1.32-v20251016", "arm64"));
    assert_eq!(image("us-east-1", "AL2_x86_64", "1.32.0-20251016").unwrap().name, "amazon-eks-node-1.32-v20251016");

    let rocket = image("us-west-2", "BOTTLEROCKET_ARM_64", "1.34.0-20251016").unwrap();
    assert!(rocket.name.starts_with("bottlerocket-aws-k8s-1.34-aarch64-v1.49.0-"), "{}", rocket.name);
    assert_eq!(rocket.owner_id, "651937483462");
    assert_eq!(rocket.block_devices.len(), 2);

    let windows = image("us-east-1", "WINDOWS_CORE_2022_x86_64", "1.34.0-20251016").unwrap();
    assert_eq!(windows.name, "Windows_Server-2022-English-Core-EKS_Optimized-1.34-2025.10.16");
    assert_eq!((windows.platform, windows.root_device_name), (Some("windows"), "/dev/sda1"));
}

#[test]
fn ids_depend_on_region_type_and_release_only() {
    let id = image_id("us-east-1", "AL2023_x86_64_STANDARD", "1.34.0-20251016");
    assert_eq!(id, image_id("us-east-1", "AL2023_x86_64_STANDARD", "1.34.0-20251016"));
    assert_ne!(id, image_id("us-west-2", "AL2023_x86_64_STANDARD", "1.34.0-20251016"));
    assert_ne!(id, image_id("us-east-1", "AL2023_ARM_64_STANDARD", "1.34.0-20251016"));
    assert_ne!(id, image_id("us-east-1", "AL2023_x86_64_STANDARD", "1.33.0-20251016"));
    assert_eq!(image("us-east-1", "AL2023_x86_64_STANDARD", "1.34.0-20251016").unwrap().id, id);
}

#[test]
fn amazon_linux_2_stops_at_1_32_and_custom_has_no_image() {
    assert!(image("us-east-1", "AL2_x86_64", "1.33.0-20251016").is_none());
    assert!(image("us-east-1", "AL2_x86_64_GPU", "1.32.0-20251016").is_some());
    assert!(image("us-east-1", "CUSTOM", "1.34.0-20251016").is_none());
    assert!(image("us-east-1", "AL2023_x86_64_STANDARD", "garbage").is_none());
    let names: Vec<String> = catalogue("us-east-1", &versions()).into_iter().map(|image| image.name).collect();
    assert!(names.contains(&"amazon-eks-node-1.32-v20251016".to_owned()));
    assert!(!names.iter().any(|name| name.starts_with("amazon-eks-node-1.33")));
    assert!(names.contains(&"amazon-eks-node-al2023-arm64-standard-1.33-v20251016".to_owned()));
}

#[test]
fn describe_images_selects_by_id_owner_and_filter() {
    let id = image_id("us-east-1", "AL2023_x86_64_STANDARD", "1.34.0-20251016");
    check(query(&[&id], &[], &[]), Ok(vec!["amazon-eks-node-al2023-x86_64-standard-1.34-v20251016"]));
    check(
        query(&[], &["amazon"], &[("name", &["amazon-eks-node-al2023-*-standard-1.34-*"])]),
        Ok(vec![
            "amazon-eks-node-al2023-arm64-standard-1.34-v20251016",
            "amazon-eks-node-al2023-x86_64-standard-1.34-v20251016",
        ]),
    );
    check(
        query(&[], &[EKS_AMI_OWNER], &[("name", &["amazon-eks-*node-1.3?-v*"]), ("architecture", &["arm64"])]),
        Ok(vec!["amazon-eks-arm64-node-1.32-v20251016"]),
    );
    check(
        query(&[], &[], &[("platform", &["windows"]), ("name", &["*2022-English-Full*1.34*"])]),
        Ok(vec!["Windows_Server-2022-English-Full-EKS_Optimized-1.34-2025.10.16"]),
    );
    check(query(&[], &["self"], &[]), Ok(vec![]));
    check(query(&[], &["092701018921"], &[("name", &["*-1.34-x86_64-*"]), ("state", &["available"])]), {
        let name = image("us-east-1", "BOTTLEROCKET_x86_64", "1.34.0-20251016").unwrap().name;
        Ok(vec![Box::leak(name.into_boxed_str())])
    });
    check(query(&[], &[], &[("tag:Name", &["x"])]), Ok(vec![]));
}

#[test]
fn describe_images_refuses_what_ec2_refuses() {
    check(query(&["ami-12345678"], &[], &[]), Err(ImageError::NotFound(vec!["ami-12345678".into()])));
    check(query(&["ami-xyz"], &[], &[]), Err(ImageError::Malformed("ami-xyz".into())));
    check(query(&["i-0123456789abcdef0"], &[], &[]), Err(ImageError::Malformed("i-0123456789abcdef0".into())));
    check(query(&["ami-\0"], &[], &[]), Err(ImageError::Malformed("ami-\0".into())));
    check(query(&[], &["someone"], &[]), Err(ImageError::OwnerMalformed("someone".into())));
    check(query(&[], &[], &[("colour", &["red"])]), Err(ImageError::Filter(Ec2Error::InvalidFilter("colour".into()))));
    assert_eq!(
        ImageError::NotFound(vec!["ami-12345678".into()]).to_string(),
        "The image id '[ami-12345678]' does not exist"
    );
}
