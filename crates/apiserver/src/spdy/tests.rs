use super::*;

fn frames() -> Vec<Frame> {
    vec![
        Frame::SynStream {
            stream_id: 1,
            associated_to: 0,
            fin: false,
            unidirectional: false,
            header_block: vec![1, 2, 3],
        },
        Frame::SynStream { stream_id: 3, associated_to: 1, fin: true, unidirectional: true, header_block: vec![] },
        Frame::SynReply { stream_id: 1, fin: false, header_block: vec![9; 40] },
        Frame::RstStream { stream_id: 5, status: RST_REFUSED_STREAM },
        Frame::Settings,
        Frame::Ping { id: 7 },
        Frame::GoAway { last_good_stream_id: 9, status: GOAWAY_PROTOCOL_ERROR },
        Frame::Headers { stream_id: 1, fin: true, header_block: vec![4] },
        Frame::WindowUpdate { stream_id: 0, delta: 65_536 },
        Frame::Unknown { frame_type: 0x42 },
        Frame::Data { stream_id: 1, fin: false, data: b"GET / HTTP/1.1\r\n\r\n".to_vec() },
        Frame::Data { stream_id: 0x7fff_ffff, fin: true, data: vec![] },
        Frame::Data { stream_id: 3, fin: false, data: vec![0xab; MAX_DATA_CHUNK] },
    ]
}

#[test]
fn frames_read_back_as_written_and_wait_for_their_last_byte() {
    for frame in frames() {
        let bytes = encode(&frame);
        assert_eq!(parse(&bytes), Ok(Some((frame.clone(), bytes.len()))), "{frame:?}");
        for cut in 0..bytes.len() {
            assert_eq!(parse(&bytes[..cut]), Ok(None), "{frame:?} cut at {cut}");
        }
        // What follows a frame is the next one's.
        let mut two = bytes.clone();
        two.extend_from_slice(&encode(&Frame::Ping { id: 1 }));
        assert_eq!(parse(&two).unwrap().map(|(_, used)| used), Some(bytes.len()));
    }
}

#[test]
fn malformed_frames_are_errors() {
    // A length past the limit is refused before its bytes arrive.
    assert_eq!(parse(&[0, 0, 0, 1, 0, 0xff, 0xff, 0xff]), Err(SpdyError::TooLarge(0xff_ffff)));
    assert_eq!(parse(&[0x80, 3, 0, 1, 0, 0x10, 0, 1]), Err(SpdyError::TooLarge(MAX_FRAME_BYTES + 1)));
    // Another version.
    assert_eq!(parse(&[0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1]), Err(SpdyError::Version(2)));
    // Control frames shorter than their fields.
    for (frame_type, length) in [(1u8, 9u8), (2, 3), (3, 7), (4, 3), (6, 3), (7, 7), (8, 3), (9, 7)] {
        let mut bytes = vec![0x80, 3, 0, frame_type, 0, 0, 0, length];
        bytes.resize(8 + usize::from(length), 0);
        assert!(matches!(parse(&bytes), Err(SpdyError::InvalidControlFrame(_))), "type {frame_type}");
    }
    // SETTINGS whose count does not match its length, even a huge count.
    assert!(matches!(
        parse(&[0x80, 3, 0, 4, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]),
        Err(SpdyError::InvalidControlFrame(_))
    ));
    // A stream opened as stream 0.
    let zero = encode(&Frame::SynStream {
        stream_id: 0,
        associated_to: 0,
        fin: false,
        unidirectional: false,
        header_block: vec![],
    });
    assert_eq!(parse(&zero), Err(SpdyError::ZeroStreamId));
}

#[test]
fn the_dictionary_is_spdy_3s() {
    assert_eq!(dictionary().len(), 1423);
    // zlib names a dictionary by its Adler-32, which peers check.
    let (mut a, mut b) = (1u32, 0u32);
    for byte in dictionary() {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    assert_eq!((b << 16) | a, 0xe3c6_a7c2);
    let first_block = HeaderCodec::default().encode(&[]);
    assert_eq!(first_block[1] & 0x20, 0x20, "the zlib header says a dictionary is needed");
    assert_eq!(first_block[2..6], 0xe3c6_a7c2u32.to_be_bytes());
}

#[test]
fn header_blocks_share_one_compression_stream_per_direction() {
    let (mut client, mut server) = (HeaderCodec::default(), HeaderCodec::default());
    let long = "v".repeat(20_000);
    let blocks: Vec<Vec<(&str, &str)>> = vec![
        vec![("streamType", "error"), ("port", "8080"), ("requestID", "0")],
        vec![("streamtype", "data"), ("port", "8080"), ("requestid", "0")],
        vec![],
        vec![("x-long", long.as_str())],
    ];
    for headers in blocks {
        let compressed = client.encode(&headers);
        let expect: Vec<(String, String)> =
            headers.iter().map(|(name, value)| (name.to_ascii_lowercase(), (*value).to_owned())).collect();
        assert_eq!(server.decode(&compressed), Ok(expect));
    }
}

#[test]
fn broken_header_blocks_are_errors() {
    let mut codec = HeaderCodec::default();
    assert!(matches!(codec.decode(b"not zlib at all"), Err(SpdyError::Compression(_))));
    // A stream compressed without the dictionary but claiming another one.
    let mut other = Compress::new(Compression::best(), true);
    other.set_dictionary(b"another dictionary").unwrap();
    let mut bytes = Vec::with_capacity(64);
    other.compress_vec(&[0, 0, 0, 0], &mut bytes, FlushCompress::Sync).unwrap();
    assert!(matches!(HeaderCodec::default().decode(&bytes), Err(SpdyError::Compression(_))));
    // A block cut short.
    let block = HeaderCodec::default().encode(&[("streamtype", "data")]);
    assert!(HeaderCodec::default().decode(&block[..block.len() / 2]).is_err());
    // A bomb: a header block that inflates past the limit.
    let raw = [&1u32.to_be_bytes()[..], &1u32.to_be_bytes(), b"a", &(1u32 << 20).to_be_bytes(), &vec![b'x'; 1 << 20]]
        .concat();
    let mut deflate = Compress::new(Compression::best(), true);
    deflate.set_dictionary(dictionary()).unwrap();
    let mut bomb = Vec::with_capacity(1 << 16);
    deflate.compress_vec(&raw, &mut bomb, FlushCompress::Sync).unwrap();
    assert!(bomb.len() < 1 << 16);
    assert!(matches!(HeaderCodec::default().decode(&bomb), Err(SpdyError::TooLarge(_))));
}

#[test]
fn header_blocks_that_lie_about_their_sizes_are_errors() {
    let check = |raw: &[u8], expect: SpdyError| assert_eq!(read_header_block(raw), Err(expect), "{raw:?}");
    check(&[0, 0], SpdyError::HeaderBlock("truncated"));
    check(&[0xff, 0xff, 0xff, 0xff], SpdyError::HeaderBlock("more pairs than bytes"));
    check(&[0, 0, 0, 1, 0, 0, 0, 9, b'a', 0, 0, 0, 0], SpdyError::HeaderBlock("truncated"));
    check(&[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0], SpdyError::HeaderBlock("truncated"));
    check(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], SpdyError::HeaderBlock("an empty header name"));
    check(&[0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0, 0, 0, 0], SpdyError::HeaderBlock("not UTF-8"));
    assert_eq!(
        read_header_block(&[0, 0, 0, 1, 0, 0, 0, 1, b'P', 0, 0, 0, 3, b'a', 0, b'b']),
        Ok(vec![("p".into(), "a\0b".into())])
    );
}
