//! DescribeImages over the `ec2` protocol: the EKS-optimized AMIs of the catalogue (`aws_model::ec2::images`)
//! for the Kubernetes versions EKS serves, selected by `ImageId.N`, `Owner.N` and `Filter.N`, in pages of
//! `MaxResults`. The catalogue is computed, not stored, so every region answers without a write.

use aws_model::ec2::images::{Image, ImageError, ImageQuery, describe_images as describe};
use aws_protocol::xml::XmlWriter;
use http::StatusCode;

use super::paging::page;
use super::{bad_params, start};
use crate::registry::{Outcome, WireError, wire};
use crate::{AwsApi, Call};

impl WireError for ImageError {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            ImageError::Malformed(_) => ("InvalidAMIID.Malformed", StatusCode::BAD_REQUEST),
            ImageError::NotFound(_) => ("InvalidAMIID.NotFound", StatusCode::BAD_REQUEST),
            ImageError::OwnerMalformed(_) => ("InvalidUserID.Malformed", StatusCode::BAD_REQUEST),
            ImageError::Filter(error) => error.code_and_status(),
        }
    }
}

pub(super) async fn describe_images(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (_, input, caller) = start(api, call)?;
    let query =
        ImageQuery { image_ids: input.strings("ImageId")?, owners: input.strings("Owner")?, filters: input.filters()? };
    input.strings("ExecutableBy")?;
    for flag in ["IncludeDeprecated", "IncludeDisabled", "DryRun"] {
        input.params.bool(flag).map_err(bad_params)?;
    }
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    let images = describe(&caller.region, &api.eks().config().versions, &caller.account, &query).map_err(wire)?;
    let (images, token) = page(images, |image| image.id.clone(), max, input.get("NextToken").as_deref(), (5, 1000))?;
    call.xml(move |xml| {
        xml.list("imagesSet", "item", &images, image_xml);
        xml.optional("nextToken", token.as_deref());
    })
}

fn image_xml(xml: &mut XmlWriter, image: &Image) {
    xml.text("imageId", &image.id)
        .text("imageLocation", &image.location)
        .text("imageState", "available")
        .text("imageOwnerId", &image.owner_id)
        .text("creationDate", &image.creation_date)
        .text("isPublic", "true")
        .text("architecture", image.architecture)
        .text("imageType", "machine")
        .optional("platform", image.platform)
        .text("platformDetails", image.platform_details)
        .text("usageOperation", image.usage_operation)
        .text("imageOwnerAlias", image.owner_alias)
        .text("name", &image.name)
        .text("description", &image.description)
        .text("rootDeviceType", "ebs")
        .text("rootDeviceName", image.root_device_name)
        .list("blockDeviceMapping", "item", &image.block_devices, |xml, device| {
            xml.text("deviceName", &device.device_name).element("ebs", |xml| {
                xml.text("snapshotId", &device.snapshot_id)
                    .value("volumeSize", device.volume_size)
                    .text("deleteOnTermination", "true")
                    .text("volumeType", device.volume_type)
                    .text("encrypted", "false");
            });
        })
        .text("virtualizationType", "hvm")
        .text("hypervisor", "xen")
        .text("enaSupport", "true")
        .text("sriovNetSupport", "simple");
}

#[cfg(test)]
mod tests;
