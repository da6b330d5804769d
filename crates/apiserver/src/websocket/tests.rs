use std::time::Duration;

use super::*;

/// A client frame: masked, as clients must send them.
fn masked(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x12, 0x34, 0x56, 0x78];
    let mut bytes = vec![if fin { 0x80 } else { 0 } | opcode];
    match payload.len() {
        short @ 0..=125 => bytes.push(0x80 | short as u8),
        medium @ 126..=0xffff => {
            bytes.push(0x80 | 126);
            bytes.extend_from_slice(&(medium as u16).to_be_bytes());
        }
        long => {
            bytes.push(0x80 | 127);
            bytes.extend_from_slice(&(long as u64).to_be_bytes());
        }
    }
    bytes.extend_from_slice(&mask);
    bytes.extend(payload.iter().enumerate().map(|(i, byte)| byte ^ mask[i % 4]));
    bytes
}

#[test]
fn the_accept_key_is_rfc_6455s() {
    assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

#[test]
fn client_frames_are_unmasked_and_wait_for_their_last_byte() {
    for payload in [vec![], b"spdy".to_vec(), vec![7; 126], vec![9; 70_000]] {
        let bytes = masked(true, OP_BINARY, &payload);
        let frame = Frame { fin: true, opcode: OP_BINARY, payload: payload.clone() };
        assert_eq!(parse(&bytes), Ok(Some((frame, bytes.len()))));
        for cut in [0, 1, 2, 3, bytes.len() - 1] {
            assert_eq!(parse(&bytes[..cut]), Ok(None), "cut at {cut}");
        }
    }
}

#[test]
fn frames_a_server_refuses() {
    let protocol = |bytes: &[u8]| matches!(parse(bytes), Err(WebSocketError::Protocol(_)));
    assert!(protocol(&[0x82, 0x00]), "unmasked");
    assert!(protocol(&[0xc2, 0x80, 0, 0, 0, 0]), "reserved bit");
    assert!(protocol(&[0x83, 0x80, 0, 0, 0, 0]), "unknown opcode");
    assert!(protocol(&masked(false, OP_PING, b"")), "fragmented ping");
    assert!(protocol(&[0x89, 0xfe, 0, 200]), "long ping");
    assert_eq!(
        parse(&[0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        Err(WebSocketError::TooLarge(u64::MAX))
    );
    assert_eq!(
        parse(&[0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 1]),
        Err(WebSocketError::TooLarge(MAX_FRAME_BYTES as u64 + 1))
    );
}

#[test]
fn server_frames_use_the_shortest_length() {
    assert_eq!(encode(OP_BINARY, b"ab"), [0x82, 2, b'a', b'b']);
    assert_eq!(encode(OP_BINARY, &[0; 126])[..4], [0x82, 126, 0, 126]);
    assert_eq!(encode(OP_BINARY, &[0; 70_000])[..10], [0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
}

async fn read_some(stream: &mut tokio::io::DuplexStream, bytes: usize) -> Vec<u8> {
    let mut buffer = vec![0u8; bytes];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut buffer))
        .await
        .expect("in time")
        .expect("read");
    buffer
}

#[tokio::test]
async fn the_bridge_carries_binary_messages_both_ways() {
    let (client, server_io) = tokio::io::duplex(1 << 16);
    let (tunnel, mut inner) = tokio::io::duplex(1 << 16);
    let bridge = tokio::spawn(bridge(server_io, tunnel));
    let mut client = client;
    // A message in two fragments and a ping between them.
    client.write_all(&masked(false, OP_BINARY, b"hel")).await.unwrap();
    client.write_all(&masked(true, OP_PING, b"p")).await.unwrap();
    client.write_all(&masked(true, OP_CONTINUATION, b"lo")).await.unwrap();
    assert_eq!(read_some(&mut inner, 5).await, b"hello");
    assert_eq!(read_some(&mut client, 3).await, [0x8a, 1, b'p']);
    inner.write_all(b"back").await.unwrap();
    assert_eq!(read_some(&mut client, 6).await, [0x82, 4, b'b', b'a', b'c', b'k']);
    // A close is answered and ends the tunnel.
    client.write_all(&masked(true, OP_CLOSE, &1000u16.to_be_bytes())).await.unwrap();
    assert_eq!(read_some(&mut client, 4).await, [0x88, 2, 0x03, 0xe8]);
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), inner.read_to_end(&mut rest)).await.unwrap().unwrap();
    tokio::time::timeout(Duration::from_secs(10), bridge).await.unwrap().unwrap();
}

#[tokio::test]
async fn garbage_and_text_close_the_bridge_with_their_codes() {
    for (input, code) in [
        (masked(true, OP_TEXT, b"hi"), CLOSE_UNSUPPORTED_DATA),
        (vec![0x82, 0x05, 1, 2, 3, 4, 5], CLOSE_PROTOCOL_ERROR),
        (vec![0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], CLOSE_TOO_BIG),
    ] {
        let (mut client, server_io) = tokio::io::duplex(1 << 16);
        let (tunnel, mut inner) = tokio::io::duplex(1 << 16);
        let bridge = tokio::spawn(bridge(server_io, tunnel));
        client.write_all(&input).await.unwrap();
        let close = read_some(&mut client, 4).await;
        assert_eq!(close[..2], [0x88, 2]);
        assert_eq!(u16::from_be_bytes([close[2], close[3]]), code);
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), inner.read_to_end(&mut rest)).await.unwrap().unwrap();
        tokio::time::timeout(Duration::from_secs(10), bridge).await.unwrap().unwrap();
    }
    // A client that goes away ends the bridge too.
    let (client, server_io) = tokio::io::duplex(1 << 16);
    let (tunnel, _inner) = tokio::io::duplex(1 << 16);
    let bridge = tokio::spawn(bridge(server_io, tunnel));
    drop(client);
    tokio::time::timeout(Duration::from_secs(10), bridge).await.unwrap().unwrap();
}
