//! OpenID Connect identity providers.

use super::*;

impl Iam {
    fn check_thumbprints(thumbprints: &[String]) -> Result<(), IamError> {
        if thumbprints.len() > MAX_THUMBPRINTS {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for ThumbprintsPerIdentityProvider: {MAX_THUMBPRINTS}"
            )));
        }
        for (index, thumbprint) in thumbprints.iter().enumerate() {
            if thumbprint.chars().count() != 40 {
                let member = format!("thumbprintList.{}.member", index + 1);
                return Err(check::constraint(
                    thumbprint,
                    &member,
                    "Member must have length greater than or equal to 40",
                ));
            }
        }
        Ok(())
    }

    fn check_client_ids(client_ids: &[String]) -> Result<(), IamError> {
        if client_ids.len() > MAX_CLIENT_IDS {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
            )));
        }
        for (index, client_id) in client_ids.iter().enumerate() {
            let count = client_id.chars().count();
            if count == 0 || count > 255 {
                let member = format!("clientIDList.{}.member", index + 1);
                return Err(check::constraint(client_id, &member, "Member must have length less than or equal to 255"));
            }
        }
        Ok(())
    }

    /// The account's provider for an ARN, and its record key.
    pub(super) fn provider_key(account: &str, arn: &str) -> Result<String, IamError> {
        Self::check_arn(arn, "openIDConnectProviderArn")?;
        let url = arn.strip_prefix(&format!("arn:aws:iam::{account}:oidc-provider/")).unwrap_or_default();
        if url.is_empty() {
            return Err(IamError::InvalidInput(format!("ARN {arn} is not valid.")));
        }
        Ok(key(account, PROVIDERS, url))
    }

    pub async fn create_open_id_connect_provider(
        &self,
        account: &str,
        url: &str,
        client_ids: Vec<String>,
        thumbprints: Vec<String>,
        tags: Vec<Tag>,
    ) -> Result<OpenIdConnectProvider, IamError> {
        if url.is_empty() || url.chars().count() > 255 {
            return Err(check::constraint(url, "url", "Member must have length less than or equal to 255"));
        }
        let host_and_path = url.strip_prefix("https://").unwrap_or_default().trim_end_matches('/');
        let host = host_and_path.split('/').next().unwrap_or_default();
        let valid_host = !host.is_empty()
            && host.chars().all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c))
            && host_and_path.chars().all(|c| c.is_ascii_graphic() && c != '?' && c != '#');
        if !valid_host {
            return Err(IamError::InvalidInput(format!("Invalid Openid Connect Provider URL: {url}")));
        }
        Self::check_client_ids(&client_ids)?;
        Self::check_thumbprints(&thumbprints)?;
        check::tags(&tags)?;
        let mut unique_ids: Vec<String> = Vec::new();
        for client_id in client_ids {
            if !unique_ids.contains(&client_id) {
                unique_ids.push(client_id);
            }
        }
        let provider = OpenIdConnectProvider {
            url: host_and_path.to_owned(),
            arn: format!("arn:aws:iam::{account}:oidc-provider/{host_and_path}"),
            client_ids: unique_ids,
            thumbprints,
            created_at: self.now(),
            tags,
        };
        let exists =
            IamError::EntityAlreadyExists(format!("Provider with url https://{host_and_path} already exists."));
        self.create(&key(account, PROVIDERS, host_and_path), &provider, exists).await?;
        Ok(provider)
    }

    pub async fn get_open_id_connect_provider(
        &self,
        account: &str,
        arn: &str,
    ) -> Result<OpenIdConnectProvider, IamError> {
        let key = Self::provider_key(account, arn)?;
        self.get(&key).await?.ok_or_else(|| provider_not_found(arn))
    }

    pub async fn list_open_id_connect_providers(&self, account: &str) -> Result<Vec<String>, IamError> {
        let mut arns: Vec<String> =
            self.list::<OpenIdConnectProvider>(account, PROVIDERS).await?.into_iter().map(|p| p.arn).collect();
        arns.sort();
        Ok(arns)
    }

    pub async fn delete_open_id_connect_provider(&self, account: &str, arn: &str) -> Result<(), IamError> {
        let key = Self::provider_key(account, arn)?;
        self.delete_record(&key, provider_not_found(arn)).await
    }

    pub async fn add_client_id_to_open_id_connect_provider(
        &self,
        account: &str,
        arn: &str,
        client_id: &str,
    ) -> Result<(), IamError> {
        let key = Self::provider_key(account, arn)?;
        Self::check_client_ids(&[client_id.to_owned()])?;
        self.modify(
            &key,
            || provider_not_found(arn),
            |provider: &mut OpenIdConnectProvider| {
                if !provider.client_ids.iter().any(|c| c == client_id) {
                    provider.client_ids.push(client_id.to_owned());
                    Self::check_client_ids(&provider.client_ids)?;
                }
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    pub async fn remove_client_id_from_open_id_connect_provider(
        &self,
        account: &str,
        arn: &str,
        client_id: &str,
    ) -> Result<(), IamError> {
        let key = Self::provider_key(account, arn)?;
        Self::check_client_ids(&[client_id.to_owned()])?;
        self.modify(
            &key,
            || provider_not_found(arn),
            |provider: &mut OpenIdConnectProvider| {
                provider.client_ids.retain(|c| c != client_id);
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    /// UpdateOpenIDConnectProviderThumbprint.
    pub async fn update_open_id_connect_provider_thumbprint(
        &self,
        account: &str,
        arn: &str,
        thumbprints: Vec<String>,
    ) -> Result<(), IamError> {
        let key = Self::provider_key(account, arn)?;
        Self::check_thumbprints(&thumbprints)?;
        self.modify(
            &key,
            || provider_not_found(arn),
            |provider: &mut OpenIdConnectProvider| {
                provider.thumbprints = thumbprints.clone();
                Ok(())
            },
        )
        .await?;
        Ok(())
    }
}
