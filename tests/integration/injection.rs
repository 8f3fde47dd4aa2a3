//! Text from NP6 cannot drive a terminal or forge lines of output: an
//! error body full of escape sequences is shown with every control
//! character escaped, while `Error::body` keeps the bytes as received.

use np6_tests::OneAnswer;

/// Retitles the terminal, clears the screen, and forges a success line.
const HOSTILE: &str =
    "\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[H\r\nnp6: all records sent OK\u{8}\u{8}\u{9b}31m\u{202e}";

#[tokio::test]
async fn an_error_body_with_escape_sequences_is_shown_escaped() {
    let server = OneAnswer::start(|when, then| {
        when.path("/targets/redlist/mail");
        then.status(400)
            .header("content-type", "text/plain")
            .body(HOSTILE);
    })
    .await;
    let error = server
        .client()
        .get_mail_redlist()
        .send()
        .await
        .expect_err("NP6 refused");
    let shown = error.to_string();
    assert!(
        !shown.contains(|c: char| c.is_control() || c == '\u{202e}'),
        "{shown:?}"
    );
    assert!(shown.contains("\\u{1b}]0;owned\\u{7}\\u{1b}[2J"), "{shown}");
    // The forged line stays inside the one line of the error.
    assert!(!shown.contains('\n') && !shown.contains('\r'));
    assert_eq!(error.body(), Some(HOSTILE.as_bytes()));
}

#[test]
fn printable_escapes_every_control_character() {
    for code in (0u32..0x20).chain(0x7f..0xa0) {
        let c = char::from_u32(code).expect("a char");
        let shown = np6_client::printable(&format!("a{c}b")).into_owned();
        assert!(!shown.contains(c), "{code:#x}: {shown:?}");
        assert!(shown.starts_with('a') && shown.ends_with('b'));
    }
}
