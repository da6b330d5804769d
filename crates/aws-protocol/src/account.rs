//! Which account a request acts in, derived from its access key id.

/// The account of every access key id that is not itself an account number.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Account(String);

impl Account {
    /// The account an access key id acts in: the key itself when it is a 12-digit number (so tests can pick
    /// accounts by choosing keys), otherwise `000000000000`.
    pub fn from_access_key_id(access_key_id: &str) -> Self {
        if access_key_id.len() == 12 && access_key_id.bytes().all(|b| b.is_ascii_digit()) {
            Self(access_key_id.to_owned())
        } else {
            Self(DEFAULT_ACCOUNT_ID.to_owned())
        }
    }

    /// The account id as text.
    pub fn id(&self) -> &str {
        &self.0
    }
}

impl Default for Account {
    fn default() -> Self {
        Self(DEFAULT_ACCOUNT_ID.to_owned())
    }
}

impl std::fmt::Display for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests;
