//! The protobuf wire format: reading the fields of one message, and writing them.
//!
//! Reading checks every length against the bytes left, so no input makes it index out of range or allocate
//! more than the input's size.

/// Varint.
pub(crate) const VARINT: u8 = 0;
/// 64-bit little-endian.
pub(crate) const FIXED64: u8 = 1;
/// Length-delimited: strings, bytes, messages, packed repeated numbers.
pub(crate) const LEN: u8 = 2;
/// 32-bit little-endian.
pub(crate) const FIXED32: u8 = 5;

/// Why bytes are not a protobuf message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WireError {
    /// The bytes end inside a field; says what was being read.
    Truncated(&'static str),
    Invalid(String),
}

/// One field occurrence on the wire.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Len(&'a [u8]),
    /// A 32-bit value; no Kubernetes field has one, so only its presence matters.
    Fixed32,
}

impl Value<'_> {
    pub(crate) fn wire_type(&self) -> u8 {
        match self {
            Value::Varint(_) => VARINT,
            Value::Fixed64(_) => FIXED64,
            Value::Len(_) => LEN,
            Value::Fixed32 => FIXED32,
        }
    }
}

/// A cursor over the bytes of one message.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Reads a varint of at most 10 bytes.
    pub(crate) fn varint(&mut self) -> Result<u64, WireError> {
        let mut value: u64 = 0;
        for (index, &byte) in self.bytes.iter().enumerate().take(10) {
            if index == 9 && byte > 1 {
                return Err(WireError::Invalid("varint overflows 64 bits".to_owned()));
            }
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
                self.bytes = &self.bytes[index + 1..];
                return Ok(value);
            }
        }
        if self.bytes.len() >= 10 {
            return Err(WireError::Invalid("varint longer than 10 bytes".to_owned()));
        }
        Err(WireError::Truncated("varint"))
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if n > self.bytes.len() {
            return Err(WireError::Truncated(what));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn fixed64(&mut self) -> Result<u64, WireError> {
        let bytes = self.take(8, "fixed64")?;
        let mut array = [0u8; 8];
        array.copy_from_slice(bytes);
        Ok(u64::from_le_bytes(array))
    }

    fn length_delimited(&mut self) -> Result<&'a [u8], WireError> {
        let length = self.varint()?;
        let remaining = self.bytes.len();
        match usize::try_from(length) {
            Ok(length) if length <= remaining => self.take(length, "length-delimited field"),
            _ => Err(WireError::Invalid(format!("length {length} exceeds the {remaining} bytes left"))),
        }
    }

    /// Reads the next field: its number and its value.
    pub(crate) fn field(&mut self) -> Result<(u32, Value<'a>), WireError> {
        let key = self.varint()?;
        let wire_type = (key & 7) as u8;
        let number = key >> 3;
        if number == 0 || number > (1 << 29) - 1 {
            return Err(WireError::Invalid(format!("field number {number} is out of range")));
        }
        let value = match wire_type {
            VARINT => Value::Varint(self.varint()?),
            FIXED64 => Value::Fixed64(self.fixed64()?),
            LEN => Value::Len(self.length_delimited()?),
            FIXED32 => {
                self.take(4, "fixed32")?;
                Value::Fixed32
            }
            other => return Err(WireError::Invalid(format!("unsupported wire type {other}"))),
        };
        Ok((number as u32, value))
    }
}

/// Reads all fields of a message, in wire order.
pub(crate) fn fields(bytes: &[u8]) -> Result<Vec<(u32, Value<'_>)>, WireError> {
    let mut reader = Reader::new(bytes);
    let mut fields = Vec::new();
    while !reader.is_empty() {
        fields.push(reader.field()?);
    }
    Ok(fields)
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub(crate) fn put_key(out: &mut Vec<u8>, number: u32, wire_type: u8) {
    put_varint(out, (u64::from(number) << 3) | u64::from(wire_type));
}

pub(crate) fn put_len(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_key(out, number, LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Writes a signed integer the way protobuf's `int32` and `int64` do: negative numbers take 10 bytes.
pub(crate) fn put_int(out: &mut Vec<u8>, number: u32, value: i64) {
    put_key(out, number, VARINT);
    put_varint(out, value as u64);
}
