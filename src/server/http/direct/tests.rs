use super::*;

const ID: &str = "0190a5b27c3d7e4f8a9b0c1d2e3f4a5b";

fn file(head: &str) -> FileRequest {
    match parse(head.as_bytes()) {
        Parsed::File(request) => request,
        other => panic!("{head:?} should be served directly, got {other:?}"),
    }
}

fn other(head: &str) {
    assert!(
        matches!(parse(head.as_bytes()), Parsed::Other),
        "{head:?} should go to the router"
    );
}

#[test]
fn plain_gets_and_heads_of_stored_bytes_are_direct() {
    let head = format!("GET /files/{ID}/original HTTP/1.1\r\nHost: x\r\n\r\n");
    let request = file(&head);
    assert_eq!(request.id.as_str(), ID);
    assert_eq!(request.variant, Variant::Original);
    assert_eq!(request.head_len, head.len());
    assert!(!request.asked.head && !request.asked.download && !request.close);

    let request = file(&format!(
        "HEAD /files/{ID}/poster?download HTTP/1.1\r\nconnection: keep-alive, Close\r\n\
         range: bytes=0-1\r\nIf-None-Match: \"a\"\r\nif-none-match: \"b\"\r\n\
         Content-Length: 0\r\nCookie: c=1\r\n\r\nGET /next"
    ));
    assert_eq!(request.variant, Variant::Poster);
    let query = format!("GET /files/{ID}/playable?t=1&download=%31 HTTP/1.1\r\n\r\n");
    assert!(file(&query).asked.download);
    assert!(request.asked.head && request.asked.download && request.close);
    let conditions = &request.asked.conditions;
    assert_eq!(conditions.range.as_deref(), Some("bytes=0-1"));
    // Several field lines of a list join as the router joins them.
    assert_eq!(conditions.if_none_match.as_deref(), Some("\"a\", \"b\""));
}

#[test]
fn a_ladders_files_are_direct_with_the_signature_in_their_path() {
    use crate::server::service::HlsFile;
    let request = file(&format!("GET /files/{ID}/hls/master.m3u8 HTTP/1.1\r\n\r\n"));
    assert_eq!(request.variant, Variant::Hls(HlsFile::Master));
    assert_eq!(request.signature, None);
    let request = file(&format!(
        "GET /files/{ID}/hls/1796382000000.0.XCX-n3N_VLVyXA/v1.mp4 HTTP/1.1\r\nRange: bytes=0-9\r\n\r\n"
    ));
    assert_eq!(request.variant, Variant::Hls(HlsFile::Stream(1)));
    assert_eq!(
        request.signature.as_deref(),
        Some("1796382000000.0.XCX-n3N_VLVyXA")
    );
    for head in [
        format!("GET /files/{ID}/hls/v9.mp4 HTTP/1.1\r\n\r\n"),
        format!("GET /files/{ID}/hls/ HTTP/1.1\r\n\r\n"),
        format!("GET /files/{ID}/hls HTTP/1.1\r\n\r\n"),
        format!("GET /files/{ID}/hls/a/b/master.m3u8 HTTP/1.1\r\n\r\n"),
        format!("GET /files/{ID}/hls/../original HTTP/1.1\r\n\r\n"),
        format!("GET /files/{ID}/hls/%2e%2e/master.m3u8 HTTP/1.1\r\n\r\n"),
        format!("GET /files/{ID}/hls%2Fmaster.m3u8 HTTP/1.1\r\n\r\n"),
    ] {
        other(&head);
    }
}

#[test]
fn everything_else_goes_to_the_router() {
    for head in [
        format!("POST /files/{ID}/original HTTP/1.1\r\n\r\n"),
        format!("OPTIONS /files/{ID}/original HTTP/1.1\r\n\r\n"),
        format!("GET /files/{ID}/original HTTP/1.0\r\n\r\n"),
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_string(),
        "GET / HTTP/1.1\r\n\r\n".to_string(),
        "GET /api/events HTTP/1.1\r\n\r\n".to_string(),
        format!("GET /files/{ID} HTTP/1.1\r\n\r\n"),
        format!("GET /files/{ID}/original/ HTTP/1.1\r\n\r\n"),
        format!("GET /files/{ID}/original/x HTTP/1.1\r\n\r\n"),
        format!("GET /files/{ID}/nope HTTP/1.1\r\n\r\n"),
        "GET /files/not-an-id/original HTTP/1.1\r\n\r\n".to_string(),
        format!("GET /files/{ID}/%6Friginal HTTP/1.1\r\n\r\n"),
        "GET /files/%2e%2e/%2e%2e HTTP/1.1\r\n\r\n".to_string(),
        "GET /files/../../etc/passwd HTTP/1.1\r\n\r\n".to_string(),
        format!("GET /files/{ID}/original HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"),
        format!("GET /files/{ID}/original HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
        format!("GET /files/{ID}/original HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"),
        format!("GET /files/{ID}/original HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"),
        format!("GET /files/{ID}/original HTTP/1.1\r\nBad Header: x\r\n\r\n"),
        // Query bytes the router's URI parser refuses, and a fragment.
        format!("GET /files/{ID}/original?a\"b HTTP/1.1\r\n\r\n"),
        format!("GET /files/{ID}/original?x#&download HTTP/1.1\r\n\r\n"),
    ] {
        other(&head);
    }
    let many: String = (0..MAX_HEADERS + 1)
        .map(|i| format!("x-{i}: y\r\n"))
        .collect();
    other(&format!("GET /files/{ID}/original HTTP/1.1\r\n{many}\r\n"));
}

#[test]
fn a_head_cut_short_waits_for_more() {
    for head in [
        String::new(),
        "GE".to_string(),
        // Empty lines before a request line are skipped (RFC 9112 §2.2).
        "\r\n\r\n".to_string(),
        "GET /files/a".to_string(),
        format!("GET /files/{ID}/original HTTP/1.1\r\nRange: bytes=0-"),
    ] {
        assert!(
            matches!(parse(head.as_bytes()), Parsed::Partial),
            "{head:?}"
        );
    }
}

#[test]
fn a_connection_field_that_is_not_text_keeps_the_connection_open() {
    // Found by fuzzing (direct_request): hyper reads no option from a value
    // with obs-text and keeps the connection; the direct path closed it.
    let head = [
        format!("GET /files/{ID}/original HTTP/1.1\r\nConnection: keep-aliv").as_bytes(),
        b"\xf1, close\r\n\r\n",
    ]
    .concat();
    match parse(&head) {
        Parsed::File(request) => assert!(!request.close),
        other => panic!("should be served directly, got {other:?}"),
    }
    assert!(
        file(&format!(
            "GET /files/{ID}/original HTTP/1.1\r\nConnection: x, close\r\n\r\n"
        ))
        .close
    );
}
