//! EC2 key pairs over the `ec2` protocol: ImportKeyPair, CreateKeyPair, DescribeKeyPairs and DeleteKeyPair.

use aws_model::ec2::key_pairs::{CreateKeyPair, KeyPair};
use aws_model::ec2::{Ec2Error, Network, scopes};
use aws_protocol::xml::XmlWriter;

use super::{bad_params, start, tag_set, timestamp};
use crate::registry::{Outcome, wire};
use crate::{AwsApi, Call};

pub(super) async fn import_key_pair(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let name = input.required("KeyName")?;
    let encoded = input.required("PublicKeyMaterial")?;
    let tags = input.tag_specifications("key-pair")?;
    // The material is a blob, so base64 on the wire.
    let material = aws_model::ids::unbase64(encoded.trim())
        .ok_or_else(|| wire(Ec2Error::KeyFormat("Key is not in valid OpenSSH public key format".into())))?;
    let now = ec2.now();
    let pair = ec2
        .change(caller, &scopes::key_pairs(), |network, ids| network.import_key_pair(ids, &name, &material, &tags, now))
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.text("keyFingerprint", &pair.fingerprint).text("keyName", &pair.name).text("keyPairId", &pair.id);
        tag_set(xml, Some(&tags));
    })
}

pub(super) async fn create_key_pair(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let request = CreateKeyPair {
        name: input.required("KeyName")?,
        key_type: input.get("KeyType"),
        key_format: input.get("KeyFormat"),
        tags: input.tag_specifications("key-pair")?,
    };
    let now = ec2.now();
    let (pair, private_key) = ec2
        .change(caller, &scopes::key_pairs(), |network, ids| network.create_key_pair(ids, &request, now))
        .await
        .map_err(wire)?;
    let tags = request.tags.clone();
    call.xml(move |xml| {
        xml.text("keyName", &pair.name)
            .text("keyFingerprint", &pair.fingerprint)
            .text("keyMaterial", &private_key)
            .text("keyPairId", &pair.id);
        tag_set(xml, Some(&tags));
    })
}

pub(super) async fn describe_key_pairs(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let names = input.strings("KeyName")?;
    let ids = input.strings("KeyPairId")?;
    let filters = input.filters()?;
    let include_public_key = input.params.bool("IncludePublicKey").map_err(bad_params)? == Some(true);
    let network = ec2.view(caller, &scopes::key_pairs(), Clone::clone).await.map_err(wire)?;
    let pairs: Vec<KeyPair> =
        network.describe_key_pairs(&names, &ids, &filters).map_err(wire)?.into_iter().cloned().collect();
    call.xml(move |xml| {
        xml.list("keySet", "item", &pairs, |xml, pair| key_pair_xml(xml, &network, pair, include_public_key));
    })
}

pub(super) async fn delete_key_pair(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let (name, id) = (input.get("KeyName"), input.get("KeyPairId"));
    let deleted = ec2
        .change(caller, &scopes::key_pairs(), |network, _| network.delete_key_pair(name.as_deref(), id.as_deref()))
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.text("return", "true");
        if let Some(pair) = &deleted {
            xml.text("keyPairId", &pair.id);
        }
    })
}

fn key_pair_xml(xml: &mut XmlWriter, network: &Network, pair: &KeyPair, include_public_key: bool) {
    xml.text("keyPairId", &pair.id)
        .text("keyType", &pair.key_type)
        .text("keyName", &pair.name)
        .text("keyFingerprint", &pair.fingerprint);
    tag_set(xml, network.tags.get(&pair.id));
    if include_public_key {
        xml.text("publicKey", &pair.public_key);
    }
    xml.timestamp("createTime", timestamp(pair.created_at));
}
