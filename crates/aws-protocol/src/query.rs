//! Parameters of the `query` and `ec2` protocols: a form body or URL query decoded into one flat map, and typed
//! access by the protocols' serialization rules. Structures nest with dots (`A.B.C`); the query protocol writes
//! lists as `Name.member.N` and maps as `Name.entry.N.key` / `Name.entry.N.value`; the EC2 protocol writes lists
//! as `Name.N` (under its `locationName`s, such as `Filter.1.Value.1`). Indexes start at 1, may arrive in any
//! order and with gaps; items come back sorted by index.

use std::collections::BTreeMap;

use http::{HeaderMap, StatusCode, Uri};
use time::OffsetDateTime;

use crate::encoding::{BadEscape, percent_decode};
use crate::error::{AwsError, Protocol};

/// Malformed or missing parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A `%` not followed by two hex digits.
    #[error("malformed percent-encoding at byte {0}")]
    BadEscape(usize),
    /// A decoded name or value is not UTF-8.
    #[error("parameter '{0}' is not valid UTF-8")]
    NotUtf8(String),
    /// The same parameter appears twice.
    #[error("parameter '{0}' appears more than once")]
    Duplicate(String),
    /// A list or map index that is not a number (or has leading zeros).
    #[error("'{index}' in '{key}' is not a list index")]
    BadIndex {
        /// The parameter name.
        key: String,
        /// The offending index text.
        index: String,
    },
    /// A list or map index of 0; indexes start at 1.
    #[error("list index 0 in '{0}': indexes start at 1")]
    IndexZero(String),
    /// A required parameter is absent.
    #[error("missing parameter '{0}'")]
    Missing(String),
    /// A parameter whose value does not have the expected type.
    #[error("parameter '{key}' has value '{value}', which is not {expected}")]
    Invalid {
        /// The parameter name.
        key: String,
        /// The value given.
        value: String,
        /// What was expected, such as "an integer".
        expected: &'static str,
    },
}

impl QueryError {
    /// A generic AWS error for this problem; services with their own validation wording build their own.
    pub fn to_aws_error(&self, protocol: Protocol) -> AwsError {
        let message = match self {
            QueryError::Missing(key) if protocol == Protocol::Ec2 => {
                format!("The request must contain the parameter {key}")
            }
            QueryError::Missing(key) => format!("The request must contain the parameter {key}."),
            QueryError::Invalid { key, value, .. } => format!("Invalid value '{value}' for {key}."),
            other => {
                return AwsError::new("MalformedQueryString", capitalize(&other.to_string()), StatusCode::BAD_REQUEST);
            }
        };
        let code = match self {
            QueryError::Missing(_) => "MissingParameter",
            _ => "InvalidParameterValue",
        };
        AwsError::new(code, message, StatusCode::BAD_REQUEST)
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The flat parameter map of a query or EC2 request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams {
    params: BTreeMap<String, String>,
}

impl QueryParams {
    /// Parses `application/x-www-form-urlencoded` text (`+` is a space). Empty pairs are skipped; a pair
    /// without `=` has an empty value.
    pub fn parse(form: &[u8]) -> Result<Self, QueryError> {
        let mut params = Self::default();
        params.add_form(form)?;
        Ok(params)
    }

    /// The parameters of a request: those of the URL query, plus those of the body when it is a form
    /// (`Content-Type: application/x-www-form-urlencoded`).
    pub fn from_request(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Self, QueryError> {
        let mut params = Self::parse(uri.query().unwrap_or("").as_bytes())?;
        if is_form(headers) {
            params.add_form(body)?;
        }
        Ok(params)
    }

    fn add_form(&mut self, form: &[u8]) -> Result<(), QueryError> {
        let mut offset = 0;
        for pair in form.split(|b| *b == b'&') {
            let start = offset;
            offset += pair.len() + 1;
            if pair.is_empty() {
                continue;
            }
            let split = pair.iter().position(|b| *b == b'=').unwrap_or(pair.len());
            let (raw_key, raw_value) = (&pair[..split], pair.get(split + 1..).unwrap_or_default());
            let decode = |raw: &[u8], at: usize| {
                percent_decode(raw, true).map_err(|BadEscape(idx)| QueryError::BadEscape(at + idx))
            };
            let key = decode(raw_key, start)?;
            let value = decode(raw_value, start + split + 1)?;
            let key = String::from_utf8(key)
                .map_err(|e| QueryError::NotUtf8(String::from_utf8_lossy(e.as_bytes()).into_owned()))?;
            let value = String::from_utf8(value).map_err(|_| QueryError::NotUtf8(key.clone()))?;
            if self.params.contains_key(&key) {
                return Err(QueryError::Duplicate(key));
            }
            self.params.insert(key, value);
        }
        Ok(())
    }

    /// The value of one parameter, by its full name.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// The `Action` parameter: the operation name.
    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// The `Version` parameter: the API version.
    pub fn version(&self) -> Option<&str> {
        self.get("Version")
    }

    /// Every parameter, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(key, value)| (key.as_str(), value.as_str()))
    }

    /// The number of parameters.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The top-level structure, from which typed access starts.
    pub fn root(&self) -> Scope<'_> {
        Scope { params: self, prefix: String::new() }
    }
}

/// Whether the request body is a form.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers.get(http::header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(|value| {
        value
            .split(';')
            .next()
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    })
}

/// A structure inside the parameters: the members whose names start with `prefix.`.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    params: &'a QueryParams,
    prefix: String,
}

impl<'a> Scope<'a> {
    /// The full name of this structure (empty at the top level).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The full parameter name of member `name`.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() { name.to_owned() } else { format!("{}.{name}", self.prefix) }
    }

    /// A string member.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.params.get(&self.key(name))
    }

    /// A string member that must be present.
    pub fn required(&self, name: &str) -> Result<&'a str, QueryError> {
        self.get(name).ok_or_else(|| QueryError::Missing(self.key(name)))
    }

    /// The value at this scope's own name (a scalar list item, for instance).
    pub fn value(&self) -> Option<&'a str> {
        self.params.get(&self.prefix)
    }

    /// Whether member `name` is present, as a value or as a structure or list with any member.
    pub fn has(&self, name: &str) -> bool {
        let key = self.key(name);
        self.params.params.contains_key(&key) || self.under(&key).next().is_some()
    }

    /// An integer member.
    pub fn int(&self, name: &str) -> Result<Option<i64>, QueryError> {
        self.typed(name, "an integer", |text| text.parse().ok())
    }

    /// A floating-point member.
    pub fn float(&self, name: &str) -> Result<Option<f64>, QueryError> {
        self.typed(name, "a number", |text| text.parse::<f64>().ok().filter(|value| value.is_finite()))
    }

    /// A boolean member (`true` or `false`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, QueryError> {
        self.typed(name, "a boolean", |text| match text {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        })
    }

    /// A timestamp member in ISO 8601.
    pub fn timestamp(&self, name: &str) -> Result<Option<OffsetDateTime>, QueryError> {
        self.typed(name, "an ISO 8601 timestamp", |text| crate::timestamp::parse_iso8601(text).ok())
    }

    fn typed<T>(
        &self,
        name: &str,
        expected: &'static str,
        read: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, QueryError> {
        match self.get(name) {
            None => Ok(None),
            Some(text) => read(text).map(Some).ok_or_else(|| QueryError::Invalid {
                key: self.key(name),
                value: text.to_owned(),
                expected,
            }),
        }
    }

    /// The nested structure `name`.
    pub fn child(&self, name: &str) -> Scope<'a> {
        Scope { params: self.params, prefix: self.key(name) }
    }

    /// A query protocol list, `name.member.N`: one scope per item, sorted by index.
    pub fn list(&self, name: &str) -> Result<Vec<Scope<'a>>, QueryError> {
        self.indexed(&format!("{}.member", self.key(name)))
    }

    /// A query protocol list of strings.
    pub fn string_list(&self, name: &str) -> Result<Vec<&'a str>, QueryError> {
        Self::values(self.list(name)?)
    }

    /// An EC2 protocol list, `name.N`: one scope per item, sorted by index.
    pub fn ec2_list(&self, name: &str) -> Result<Vec<Scope<'a>>, QueryError> {
        self.indexed(&self.key(name))
    }

    /// An EC2 protocol list of strings.
    pub fn ec2_string_list(&self, name: &str) -> Result<Vec<&'a str>, QueryError> {
        Self::values(self.ec2_list(name)?)
    }

    /// A query protocol map, `name.entry.N.key` / `name.entry.N.value`, sorted by index.
    pub fn map(&self, name: &str) -> Result<Vec<(&'a str, &'a str)>, QueryError> {
        self.map_with(name, "key", "value")
    }

    /// A query protocol map whose entries name their key and value members otherwise.
    pub fn map_with(&self, name: &str, key: &str, value: &str) -> Result<Vec<(&'a str, &'a str)>, QueryError> {
        self.indexed(&format!("{}.entry", self.key(name)))?
            .into_iter()
            .map(|entry| Ok((entry.required(key)?, entry.required(value)?)))
            .collect()
    }

    fn values(items: Vec<Scope<'a>>) -> Result<Vec<&'a str>, QueryError> {
        items.into_iter().map(|item| item.value().ok_or(QueryError::Missing(item.prefix))).collect()
    }

    fn under(&self, base: &str) -> impl Iterator<Item = &'a str> {
        let start = format!("{base}.");
        self.params
            .params
            .range(start.clone()..)
            .map(|(key, _)| key.as_str())
            .take_while(move |key| key.starts_with(&start))
    }

    /// The items directly under `base`: `base.N` for every index N found, sorted by N.
    fn indexed(&self, base: &str) -> Result<Vec<Scope<'a>>, QueryError> {
        let mut indexes: BTreeMap<u32, &'a str> = BTreeMap::new();
        for key in self.under(base) {
            let rest = &key[base.len() + 1..];
            let index = rest.split('.').next().unwrap_or_default();
            let bad = || QueryError::BadIndex { key: key.to_owned(), index: index.to_owned() };
            if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            if index == "0" {
                return Err(QueryError::IndexZero(key.to_owned()));
            }
            if index.starts_with('0') {
                return Err(bad());
            }
            let number: u32 = index.parse().map_err(|_| bad())?;
            indexes.insert(number, &key[..base.len() + 1 + index.len()]);
        }
        Ok(indexes.into_values().map(|prefix| Scope { params: self.params, prefix: prefix.to_owned() }).collect())
    }
}

#[cfg(test)]
mod tests;
