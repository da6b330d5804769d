//! A small XML writer for the replies of the `query` and `ec2` protocols: nested elements built with closures,
//! text and attributes escaped (characters XML 1.0 cannot carry become U+FFFD), and the two reply envelopes.

/// The namespace of every EC2 reply (the API version botocore's model names).
pub const EC2_NAMESPACE: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

/// Builds an XML document element by element. Element names come from code and are written as given;
/// text and attribute values are escaped.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// An empty document without an XML declaration (as IAM, STS and Auto Scaling reply).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty document that starts with `<?xml version="1.0" encoding="UTF-8"?>` (as EC2 replies).
    pub fn with_declaration() -> Self {
        Self { out: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".to_owned() }
    }

    /// Writes `<name>` … `</name>` with the children that `children` writes.
    pub fn element(&mut self, name: &str, children: impl FnOnce(&mut Self)) -> &mut Self {
        self.element_with_attributes(name, &[], children)
    }

    /// Writes an element with attributes, whose values are escaped.
    pub fn element_with_attributes(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
        children: impl FnOnce(&mut Self),
    ) -> &mut Self {
        debug_assert!(is_name(name), "invalid element name {name:?}");
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            debug_assert!(is_name(key), "invalid attribute name {key:?}");
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
        self.out.push('>');
        children(self);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Writes `<name>text</name>`.
    pub fn text(&mut self, name: &str, text: &str) -> &mut Self {
        self.element(name, |xml| escape_into(&mut xml.out, text, false))
    }

    /// Writes `<name>value</name>` for anything displayable (numbers, booleans as `true`/`false`).
    pub fn value(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        let text = value.to_string();
        self.text(name, &text)
    }

    /// Writes `<name>text</name>` when there is a text, nothing otherwise.
    pub fn optional(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.text(name, text);
        }
        self
    }

    /// Writes a timestamp element as AWS writes them in XML (`2026-11-28T00:51:19.000Z`).
    pub fn timestamp(&mut self, name: &str, at: time::OffsetDateTime) -> &mut Self {
        let text = crate::timestamp::format_iso8601(at);
        self.text(name, &text)
    }

    /// Writes a list: `<name><member>…</member>…</name>`, one member element per item, its content written
    /// by `each`. The query protocol names members `member`, EC2 names them `item`.
    pub fn list<I>(&mut self, name: &str, member: &str, items: I, mut each: impl FnMut(&mut Self, I::Item)) -> &mut Self
    where
        I: IntoIterator,
    {
        self.element(name, |xml| {
            for item in items {
                xml.element(member, |xml| each(xml, item));
            }
        })
    }

    /// Writes a list of strings: `<name><member>text</member>…</name>`.
    pub fn text_list<'a>(&mut self, name: &str, member: &str, items: impl IntoIterator<Item = &'a str>) -> &mut Self {
        self.list(name, member, items, |xml, item| escape_into(&mut xml.out, item, false))
    }

    /// Writes already escaped text as it is. For content produced by another [`XmlWriter`].
    pub fn raw(&mut self, xml: &str) -> &mut Self {
        self.out.push_str(xml);
        self
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

/// A query protocol reply: `<{operation}Response xmlns="{namespace}"><{operation}Result>…</{operation}Result>
/// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></{operation}Response>`.
pub fn query_response(
    operation: &str,
    namespace: &str,
    request_id: &crate::RequestId,
    result: impl FnOnce(&mut XmlWriter),
) -> String {
    query_envelope(operation, namespace, request_id, Some(result))
}

/// A query protocol reply for an operation without output: only `ResponseMetadata` inside the response.
pub fn query_response_without_result(operation: &str, namespace: &str, request_id: &crate::RequestId) -> String {
    query_envelope(operation, namespace, request_id, None::<fn(&mut XmlWriter)>)
}

fn query_envelope(
    operation: &str,
    namespace: &str,
    request_id: &crate::RequestId,
    result: Option<impl FnOnce(&mut XmlWriter)>,
) -> String {
    let mut xml = XmlWriter::new();
    xml.element_with_attributes(&format!("{operation}Response"), &[("xmlns", namespace)], |xml| {
        if let Some(result) = result {
            xml.element(&format!("{operation}Result"), result);
        }
        xml.element("ResponseMetadata", |xml| {
            xml.text("RequestId", request_id.as_str());
        });
    });
    xml.finish()
}

/// An EC2 reply: `<{operation}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>…</requestId>
/// …</{operation}Response>`, after an XML declaration.
pub fn ec2_response(operation: &str, request_id: &crate::RequestId, body: impl FnOnce(&mut XmlWriter)) -> String {
    let mut xml = XmlWriter::with_declaration();
    xml.element_with_attributes(&format!("{operation}Response"), &[("xmlns", EC2_NAMESPACE)], |xml| {
        xml.text("requestId", request_id.as_str());
        body(xml);
    });
    xml.finish()
}

/// Escapes `text` into `out`. Markup characters become entities; in attributes, quotes and the white space
/// that attribute normalization would change become character references; `\r` becomes `&#13;` everywhere so
/// that it survives line-end normalization. Characters XML 1.0 cannot represent at all (most C0 controls,
/// U+FFFE, U+FFFF) become U+FFFD.
pub fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(ch),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            _ => out.push(ch),
        }
    }
}

/// Escapes `text` for element content.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text, false);
    out
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

#[cfg(test)]
mod tests;
