//! The server side of a WebSocket (RFC 6455) used as a byte tunnel, as client-go tunnels SPDY through one for
//! port-forwarding (`SPDY/3.1+portforward.k8s.io`): the opening handshake's accept key, frames read and written
//! (written here; small, and no crate of the workspace speaks WebSocket), and [`bridge`], which turns the binary
//! messages of a connection into a byte stream and back. Frames are pure functions; only `bridge` does IO.

use base64::Engine;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest frame payload accepted; more closes the connection (1009).
pub const MAX_FRAME_BYTES: usize = 1 << 20;

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
/// A binary message frame.
pub const OP_BINARY: u8 = 0x2;
/// A close frame.
pub const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// Close codes.
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_PROTOCOL_ERROR: u16 = 1002;
const CLOSE_UNSUPPORTED_DATA: u16 = 1003;
const CLOSE_TOO_BIG: u16 = 1009;

/// Why bytes are not a frame a server accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebSocketError {
    /// A payload longer than [`MAX_FRAME_BYTES`].
    #[error("frame of {0} bytes is too large")]
    TooLarge(u64),
    /// A client frame that is not masked, reserved bits, an unknown opcode, or a fragmented control frame.
    #[error("protocol error: {0}")]
    Protocol(&'static str),
}

impl WebSocketError {
    fn close_code(&self) -> u16 {
        match self {
            WebSocketError::TooLarge(_) => CLOSE_TOO_BIG,
            WebSocketError::Protocol(_) => CLOSE_PROTOCOL_ERROR,
        }
    }
}

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
    const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    let digest =
        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, format!("{}{GUID}", key.trim()).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// One frame from the client, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The last frame of its message.
    pub fin: bool,
    /// Its opcode.
    pub opcode: u8,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// Reads the client frame at the start of `buffer`: `Ok(None)` while it is incomplete.
pub fn parse(buffer: &[u8]) -> Result<Option<(Frame, usize)>, WebSocketError> {
    if buffer.len() < 2 {
        return Ok(None);
    }
    let (first, second) = (buffer[0], buffer[1]);
    if first & 0x70 != 0 {
        return Err(WebSocketError::Protocol("reserved bits set"));
    }
    let (fin, opcode) = (first & 0x80 != 0, first & 0x0f);
    if !matches!(opcode, OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG) {
        return Err(WebSocketError::Protocol("unknown opcode"));
    }
    if opcode >= OP_CLOSE && (!fin || second & 0x7f > 125) {
        return Err(WebSocketError::Protocol("fragmented or long control frame"));
    }
    if second & 0x80 == 0 {
        return Err(WebSocketError::Protocol("unmasked client frame"));
    }
    let (length, mut at) = match second & 0x7f {
        126 if buffer.len() >= 4 => (u64::from(u16::from_be_bytes([buffer[2], buffer[3]])), 4),
        127 if buffer.len() >= 10 => {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&buffer[2..10]);
            (u64::from_be_bytes(bytes), 10)
        }
        126 | 127 => return Ok(None),
        short => (u64::from(short), 2),
    };
    if length > MAX_FRAME_BYTES as u64 {
        return Err(WebSocketError::TooLarge(length));
    }
    let length = length as usize;
    if buffer.len() < at + 4 + length {
        return Ok(None);
    }
    let mask = [buffer[at], buffer[at + 1], buffer[at + 2], buffer[at + 3]];
    at += 4;
    let payload = buffer[at..at + length].iter().enumerate().map(|(i, byte)| byte ^ mask[i % 4]).collect();
    Ok(Some((Frame { fin, opcode, payload }, at + length)))
}

/// A whole, unmasked server frame.
pub fn encode(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(payload.len() + 10);
    bytes.push(0x80 | opcode);
    match payload.len() {
        short @ 0..=125 => bytes.push(short as u8),
        medium @ 126..=0xffff => {
            bytes.push(126);
            bytes.extend_from_slice(&(medium as u16).to_be_bytes());
        }
        long => {
            bytes.push(127);
            bytes.extend_from_slice(&(long as u64).to_be_bytes());
        }
    }
    bytes.extend_from_slice(payload);
    bytes
}

fn close_frame(code: u16) -> Vec<u8> {
    encode(OP_CLOSE, &code.to_be_bytes())
}

/// Carries the binary messages of the WebSocket connection `io` as bytes of `tunnel`, and the bytes written to
/// `tunnel` as binary messages, until either side closes. Pings are answered; a text message, a protocol error or
/// an oversized frame closes the connection with its close code.
pub async fn bridge<Io, Tunnel>(io: Io, tunnel: Tunnel)
where
    Io: AsyncRead + AsyncWrite + Unpin,
    Tunnel: AsyncRead + AsyncWrite + Unpin,
{
    let (mut io_read, mut io_write) = tokio::io::split(io);
    let (mut tunnel_read, mut tunnel_write) = tokio::io::split(tunnel);
    let mut incoming = Vec::with_capacity(16 * 1024);
    let mut outgoing = vec![0u8; 32 * 1024];
    loop {
        tokio::select! {
            read = io_read.read_buf(&mut incoming) => {
                let Ok(read) = read else { break };
                if read == 0 {
                    break;
                }
                loop {
                    let (frame, used) = match parse(&incoming) {
                        Ok(Some(parsed)) => parsed,
                        Ok(None) => break,
                        Err(error) => {
                            let _ = io_write.write_all(&close_frame(error.close_code())).await;
                            let _ = tunnel_write.shutdown().await;
                            return;
                        }
                    };
                    incoming.drain(..used);
                    match frame.opcode {
                        OP_BINARY | OP_CONTINUATION => {
                            let delivered = tunnel_write.write_all(&frame.payload).await.is_ok();
                            if !delivered {
                                let _ = io_write.write_all(&close_frame(CLOSE_NORMAL)).await;
                                return;
                            }
                        }
                        OP_TEXT => {
                            let _ = io_write.write_all(&close_frame(CLOSE_UNSUPPORTED_DATA)).await;
                            let _ = tunnel_write.shutdown().await;
                            return;
                        }
                        OP_PING => {
                            let answered = io_write.write_all(&encode(OP_PONG, &frame.payload)).await.is_ok();
                            if !answered {
                                break;
                            }
                        }
                        OP_CLOSE => {
                            let _ = io_write.write_all(&close_frame(CLOSE_NORMAL)).await;
                            let _ = tunnel_write.shutdown().await;
                            return;
                        }
                        _ => {}
                    }
                }
            }
            read = tunnel_read.read(&mut outgoing) => {
                match read {
                    Ok(0) | Err(_) => {
                        let _ = io_write.write_all(&close_frame(CLOSE_NORMAL)).await;
                        let _ = io_write.shutdown().await;
                        return;
                    }
                    Ok(read) => {
                        if io_write.write_all(&encode(OP_BINARY, &outgoing[..read])).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }
    }
    let _ = tunnel_write.shutdown().await;
}

#[cfg(test)]
mod tests;
