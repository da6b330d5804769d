//! SPDY/3.1 framing, as much as port-forwarding uses (written here: no maintained crate implements SPDY): frames
//! read from and written to bytes, and the header blocks of `SYN_STREAM` and `SYN_REPLY`, compressed as one zlib
//! stream per direction and connection with the protocol's dictionary. Pure: no IO, and every malformed input is
//! an [`SpdyError`], never a panic.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The only version spoken.
pub const VERSION: u16 = 3;
/// The largest frame payload accepted. SPDY allows 16 MiB; port-forwarding clients send at most 32 KiB.
pub const MAX_FRAME_BYTES: usize = 1 << 20;
/// The largest header block accepted once decompressed.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The largest payload of one data frame written.
pub const MAX_DATA_CHUNK: usize = 32 * 1024;

/// `FLAG_FIN`: the sender sends nothing more on the stream.
const FLAG_FIN: u8 = 0x01;
/// `FLAG_UNIDIRECTIONAL` of `SYN_STREAM`.
const FLAG_UNIDIRECTIONAL: u8 = 0x02;
const STREAM_ID_MASK: u32 = 0x7fff_ffff;

/// `RST_STREAM` status: the stream was refused.
pub const RST_REFUSED_STREAM: u32 = 3;
/// `GOAWAY` status: the peer broke the protocol.
pub const GOAWAY_PROTOCOL_ERROR: u32 = 1;

/// Why bytes are not SPDY.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpdyError {
    /// A control frame of another SPDY version.
    #[error("unsupported SPDY version {0}")]
    Version(u16),
    /// A frame longer than [`MAX_FRAME_BYTES`], or a header block longer than [`MAX_HEADER_BYTES`].
    #[error("frame of {0} bytes is too large")]
    TooLarge(usize),
    /// A control frame shorter than its fields.
    #[error("invalid control frame: {0}")]
    InvalidControlFrame(&'static str),
    /// Stream id 0 where a stream is named.
    #[error("stream id zero is disallowed")]
    ZeroStreamId,
    /// A header block whose compression is broken.
    #[error("invalid header compression: {0}")]
    Compression(String),
    /// A header block that decompressed to something malformed.
    #[error("invalid header block: {0}")]
    HeaderBlock(&'static str),
}

/// One frame. Header blocks stay compressed: [`HeaderCodec`] reads and writes them, in the order of the
/// connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A stream opened by the peer.
    SynStream {
        /// The new stream's id.
        stream_id: u32,
        /// The stream it is associated to (0 for none).
        associated_to: u32,
        /// The opener sends nothing more.
        fin: bool,
        /// The opener expects no data back.
        unidirectional: bool,
        /// The compressed header block.
        header_block: Vec<u8>,
    },
    /// The answer to a `SYN_STREAM`.
    SynReply {
        /// The stream answered.
        stream_id: u32,
        /// The answerer sends nothing more.
        fin: bool,
        /// The compressed header block.
        header_block: Vec<u8>,
    },
    /// A stream ends abnormally.
    RstStream {
        /// The stream.
        stream_id: u32,
        /// Why (`RST_*`).
        status: u32,
    },
    /// Settings; their values are not used.
    Settings,
    /// A ping, to be echoed when the peer sent it.
    Ping {
        /// Its id: odd from the client, even from the server.
        id: u32,
    },
    /// The session ends.
    GoAway {
        /// The last stream the sender accepted.
        last_good_stream_id: u32,
        /// Why (`GOAWAY_*`).
        status: u32,
    },
    /// More headers for a stream.
    Headers {
        /// The stream.
        stream_id: u32,
        /// The sender sends nothing more.
        fin: bool,
        /// The compressed header block.
        header_block: Vec<u8>,
    },
    /// A flow control window grows.
    WindowUpdate {
        /// The stream (0: the session).
        stream_id: u32,
        /// By how much.
        delta: u32,
    },
    /// A control frame of a type this version does not define; the protocol says to ignore it.
    Unknown {
        /// Its type.
        frame_type: u16,
    },
    /// Bytes of a stream.
    Data {
        /// The stream.
        stream_id: u32,
        /// The sender sends nothing more on the stream.
        fin: bool,
        /// The payload.
        data: Vec<u8>,
    },
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Reads the frame at the start of `buffer`: `Ok(None)` while it is incomplete, else the frame and how many bytes
/// it took.
pub fn parse(buffer: &[u8]) -> Result<Option<(Frame, usize)>, SpdyError> {
    if buffer.len() < 8 {
        return Ok(None);
    }
    let length = (usize::from(buffer[5]) << 16) | (usize::from(buffer[6]) << 8) | usize::from(buffer[7]);
    if length > MAX_FRAME_BYTES {
        return Err(SpdyError::TooLarge(length));
    }
    if buffer.len() < 8 + length {
        return Ok(None);
    }
    let flags = buffer[4];
    let fin = flags & FLAG_FIN != 0;
    let payload = &buffer[8..8 + length];
    let frame = if buffer[0] & 0x80 == 0 {
        Frame::Data { stream_id: u32_at(buffer, 0) & STREAM_ID_MASK, fin, data: payload.to_vec() }
    } else {
        let version = u16::from_be_bytes([buffer[0], buffer[1]]) & 0x7fff;
        if version != VERSION {
            return Err(SpdyError::Version(version));
        }
        let frame_type = u16::from_be_bytes([buffer[2], buffer[3]]);
        let need = |bytes: usize, what: &'static str| {
            if payload.len() < bytes { Err(SpdyError::InvalidControlFrame(what)) } else { Ok(()) }
        };
        let stream = |at: usize| u32_at(payload, at) & STREAM_ID_MASK;
        match frame_type {
            1 => {
                need(10, "SYN_STREAM shorter than 10 bytes")?;
                let stream_id = stream(0);
                if stream_id == 0 {
                    return Err(SpdyError::ZeroStreamId);
                }
                Frame::SynStream {
                    stream_id,
                    associated_to: stream(4),
                    fin,
                    unidirectional: flags & FLAG_UNIDIRECTIONAL != 0,
                    header_block: payload[10..].to_vec(),
                }
            }
            2 => {
                need(4, "SYN_REPLY shorter than 4 bytes")?;
                Frame::SynReply { stream_id: stream(0), fin, header_block: payload[4..].to_vec() }
            }
            3 => {
                need(8, "RST_STREAM shorter than 8 bytes")?;
                Frame::RstStream { stream_id: stream(0), status: u32_at(payload, 4) }
            }
            4 => {
                need(4, "SETTINGS shorter than 4 bytes")?;
                let entries = u32_at(payload, 0) as usize;
                if entries.checked_mul(8).is_none_or(|bytes| payload.len() != 4 + bytes) {
                    return Err(SpdyError::InvalidControlFrame("SETTINGS of the wrong length"));
                }
                Frame::Settings
            }
            6 => {
                need(4, "PING shorter than 4 bytes")?;
                Frame::Ping { id: u32_at(payload, 0) }
            }
            7 => {
                need(8, "GOAWAY shorter than 8 bytes")?;
                Frame::GoAway { last_good_stream_id: stream(0), status: u32_at(payload, 4) }
            }
            8 => {
                need(4, "HEADERS shorter than 4 bytes")?;
                Frame::Headers { stream_id: stream(0), fin, header_block: payload[4..].to_vec() }
            }
            9 => {
                need(8, "WINDOW_UPDATE shorter than 8 bytes")?;
                Frame::WindowUpdate { stream_id: stream(0), delta: u32_at(payload, 4) & STREAM_ID_MASK }
            }
            frame_type => Frame::Unknown { frame_type },
        }
    };
    Ok(Some((frame, 8 + length)))
}

fn control(frame_type: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let length = payload.len();
    let mut bytes = Vec::with_capacity(8 + length);
    bytes.extend_from_slice(&(0x8000 | VERSION).to_be_bytes());
    bytes.extend_from_slice(&frame_type.to_be_bytes());
    bytes.push(flags);
    bytes.extend_from_slice(&(length as u32).to_be_bytes()[1..]);
    bytes.extend_from_slice(payload);
    bytes
}

/// Writes a frame. Payloads must fit in 24 bits, as [`MAX_DATA_CHUNK`] and header blocks do.
pub fn encode(frame: &Frame) -> Vec<u8> {
    let fin = |fin: bool| if fin { FLAG_FIN } else { 0 };
    let with_stream = |stream_id: u32, rest: &[u8]| -> Vec<u8> {
        let mut payload = (stream_id & STREAM_ID_MASK).to_be_bytes().to_vec();
        payload.extend_from_slice(rest);
        payload
    };
    match frame {
        Frame::SynStream { stream_id, associated_to, fin: last, unidirectional, header_block } => {
            let mut payload = with_stream(*stream_id, &(associated_to & STREAM_ID_MASK).to_be_bytes());
            payload.extend_from_slice(&[0, 0]);
            payload.extend_from_slice(header_block);
            let flags = fin(*last) | if *unidirectional { FLAG_UNIDIRECTIONAL } else { 0 };
            control(1, flags, &payload)
        }
        Frame::SynReply { stream_id, fin: last, header_block } => {
            control(2, fin(*last), &with_stream(*stream_id, header_block))
        }
        Frame::RstStream { stream_id, status } => control(3, 0, &with_stream(*stream_id, &status.to_be_bytes())),
        Frame::Settings => control(4, 0, &0u32.to_be_bytes()),
        Frame::Ping { id } => control(6, 0, &id.to_be_bytes()),
        Frame::GoAway { last_good_stream_id, status } => {
            control(7, 0, &with_stream(*last_good_stream_id, &status.to_be_bytes()))
        }
        Frame::Headers { stream_id, fin: last, header_block } => {
            control(8, fin(*last), &with_stream(*stream_id, header_block))
        }
        Frame::WindowUpdate { stream_id, delta } => control(9, 0, &with_stream(*stream_id, &delta.to_be_bytes())),
        Frame::Unknown { frame_type } => control(*frame_type, 0, &[]),
        Frame::Data { stream_id, fin: last, data } => {
            let mut bytes = Vec::with_capacity(8 + data.len());
            bytes.extend_from_slice(&(stream_id & STREAM_ID_MASK).to_be_bytes());
            bytes.push(fin(*last));
            bytes.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
            bytes.extend_from_slice(data);
            bytes
        }
    }
}

/// The zlib dictionary of SPDY/3 header blocks (draft 3, section 2.6.10.1): the length-prefixed words, then the
/// status lines, dates and media types run together.
fn dictionary() -> &'static [u8] {
    static DICTIONARY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    DICTIONARY.get_or_init(|| {
        const WORDS: &[&str] = &[
            "options",
            "head",
            "post",
            "put",
            "delete",
            "trace",
            "accept",
            "accept-charset",
            "accept-encoding",
            "accept-language",
            "accept-ranges",
            "age",
            "allow",
            "authorization",
            "cache-control",
            "connection",
            "content-base",
            "content-encoding",
            "content-language",
            "content-length",
            "content-location",
            "content-md5",
            "content-range",
            "content-type",
            "date",
            "etag",
            "expect",
            "expires",
            "from",
            "host",
            "if-match",
            "if-modified-since",
            "if-none-match",
            "if-range",
            "if-unmodified-since",
            "last-modified",
            "location",
            "max-forwards",
            "pragma",
            "proxy-authenticate",
            "proxy-authorization",
            "range",
            "referer",
            "retry-after",
            "server",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "user-agent",
            "vary",
            "via",
            "warning",
            "www-authenticate",
            "method",
            "get",
            "status",
            "200 OK",
            "version",
            "HTTP/1.1",
            "url",
            "public",
            "set-cookie",
            "keep-alive",
            "origin",
        ];
        const TAIL: &str = "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505\
            203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized\
            403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable\
            Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT\
            chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,\
            text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";
        let mut bytes = Vec::new();
        for word in WORDS {
            bytes.extend_from_slice(&(word.len() as u32).to_be_bytes());
            bytes.extend_from_slice(word.as_bytes());
        }
        bytes.extend_from_slice(TAIL.as_bytes());
        bytes
    })
}

/// The header compression of one connection: one zlib stream each way, each header block ending with a sync flush.
pub struct HeaderCodec {
    inflate: Decompress,
    deflate: Compress,
}

impl std::fmt::Debug for HeaderCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeaderCodec").finish_non_exhaustive()
    }
}

impl Default for HeaderCodec {
    fn default() -> HeaderCodec {
        let mut deflate = Compress::new(Compression::best(), true);
        deflate.set_dictionary(dictionary()).expect("a fresh zlib stream takes a dictionary");
        HeaderCodec { inflate: Decompress::new(true), deflate }
    }
}

impl HeaderCodec {
    /// Decompresses and reads one header block of the peer: its name and value pairs (names lower case; a value
    /// of several NUL-separated values is kept whole).
    pub fn decode(&mut self, block: &[u8]) -> Result<Vec<(String, String)>, SpdyError> {
        let mut raw: Vec<u8> = Vec::with_capacity(512);
        let mut input = block;
        loop {
            if raw.len() > MAX_HEADER_BYTES {
                return Err(SpdyError::TooLarge(raw.len()));
            }
            raw.reserve(1024);
            let (before_in, before_out) = (self.inflate.total_in(), self.inflate.total_out());
            let result = self.inflate.decompress_vec(input, &mut raw, FlushDecompress::Sync);
            let consumed = (self.inflate.total_in() - before_in) as usize;
            input = &input[consumed..];
            let produced = self.inflate.total_out() - before_out;
            match result {
                Ok(Status::StreamEnd) => break,
                Ok(_) if input.is_empty() && raw.len() < raw.capacity() => break,
                Ok(_) if consumed == 0 && produced == 0 && raw.len() < raw.capacity() => {
                    return Err(SpdyError::Compression("the header block ends inside compressed data".into()));
                }
                Ok(_) => {}
                Err(error) if error.needs_dictionary().is_some() => {
                    self.inflate
                        .set_dictionary(dictionary())
                        .map_err(|error| SpdyError::Compression(error.to_string()))?;
                }
                Err(error) => return Err(SpdyError::Compression(error.to_string())),
            }
        }
        read_header_block(&raw)
    }

    /// Writes and compresses one header block of ours.
    pub fn encode(&mut self, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut raw = (headers.len() as u32).to_be_bytes().to_vec();
        for (name, value) in headers {
            for text in [name.to_ascii_lowercase().as_str(), value] {
                raw.extend_from_slice(&(text.len() as u32).to_be_bytes());
                raw.extend_from_slice(text.as_bytes());
            }
        }
        let mut compressed = Vec::with_capacity(raw.len() + 64);
        let mut input = &raw[..];
        loop {
            compressed.reserve(256);
            let before = self.deflate.total_in();
            self.deflate
                .compress_vec(input, &mut compressed, FlushCompress::Sync)
                .expect("compressing into a growing buffer does not fail");
            input = &input[(self.deflate.total_in() - before) as usize..];
            if input.is_empty() && compressed.len() < compressed.capacity() {
                return compressed;
            }
        }
    }
}

fn read_header_block(raw: &[u8]) -> Result<Vec<(String, String)>, SpdyError> {
    let mut at = 0usize;
    let next_u32 = |at: &mut usize| -> Result<usize, SpdyError> {
        let bytes = raw.get(*at..*at + 4).ok_or(SpdyError::HeaderBlock("truncated"))?;
        *at += 4;
        Ok(u32_at(bytes, 0) as usize)
    };
    let count = next_u32(&mut at)?;
    // Every pair takes at least eight bytes, so a count past that is a lie.
    if count > raw.len() / 8 {
        return Err(SpdyError::HeaderBlock("more pairs than bytes"));
    }
    let mut headers = Vec::with_capacity(count);
    for _ in 0..count {
        let text = |at: &mut usize| -> Result<String, SpdyError> {
            let length = next_u32(at)?;
            let bytes = raw.get(*at..at.saturating_add(length)).ok_or(SpdyError::HeaderBlock("truncated"))?;
            *at += length;
            String::from_utf8(bytes.to_vec()).map_err(|_| SpdyError::HeaderBlock("not UTF-8"))
        };
        let name = text(&mut at)?;
        let value = text(&mut at)?;
        if name.is_empty() {
            return Err(SpdyError::HeaderBlock("an empty header name"));
        }
        headers.push((name.to_ascii_lowercase(), value));
    }
    Ok(headers)
}

#[cfg(test)]
mod tests;
