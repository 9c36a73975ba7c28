//! Moderation across nodes: a ban committed on one node takes the user's
//! sockets on another out of the room at once and keeps them out there; a
//! moderator appointed on one node acts on another.

use confab_shared::{EntryKind, ErrorCode, ServerMsg};
use serde_json::json;

use confab_testkit::*;

use crate::support::*;

#[tokio::test]
async fn a_ban_on_one_node_takes_effect_on_the_others_at_once() {
    let c = Cluster::start().await;
    let owner = c.login(0, "owner").await;
    let bob = c.login(1, "bob").await;
    let carol = c.login(2, "carol").await;
    let mut o = c.connect(0, &owner).await;
    let mut b = c.connect(1, &bob).await;
    let mut cc = c.connect(2, &carol).await;
    o.join("hall", None).await;
    b.join("hall", None).await;
    cc.join("hall", None).await;

    // Appointed on node 0, carol moderates from node 2.
    o.send(json!({"type":"moderate","room":"hall","action":"moderator","user":"carol","appoint":true,"client_id":"m1"})).await;
    assert!(matches!(o.answer("m1", WAIT).await, ServerMsg::Ack { .. }));
    cc.send(json!({"type":"moderate","room":"hall","action":"ban","user":"bob","client_id":"m2"}))
        .await;
    let ban = match cc.answer("m2", WAIT).await {
        ServerMsg::Ack { message, .. } => message,
        other => panic!("ban refused: {other:?}"),
    };
    assert_eq!(ban.kind, EntryKind::Moderation);

    // bob, on node 1, gets the entry, then leaves the room at once.
    let seen = b.messages("hall", 2, WAIT).await;
    assert!(seen.iter().any(|m| m.id == ban.id), "{seen:?}");
    b.presence("bob", "left", WAIT).await;
    // Kept out there: no post, no join.
    b.send(json!({"type":"send","room":"hall","text":"still?","client_id":"b1"}))
        .await;
    match b.answer("b1", WAIT).await {
        ServerMsg::Error { code, .. } => assert_eq!(code, ErrorCode::Forbidden),
        other => panic!("a banned user posted: {other:?}"),
    }
    b.send(json!({"type":"join","room":"hall"})).await;
    let refused = b
        .wait_for("join answer", WAIT, |m| {
            matches!(m, ServerMsg::Error { .. } | ServerMsg::Joined { .. })
        })
        .await;
    assert!(
        matches!(
            refused,
            ServerMsg::Error {
                code: ErrorCode::Forbidden,
                ..
            }
        ),
        "{refused:?}"
    );
    // Every node's log agrees, without gaps.
    let page = c.history(0, &owner, "hall").await;
    for pair in page.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1);
    }
    assert_eq!(
        page.iter()
            .filter(|m| m.kind == EntryKind::Moderation)
            .count(),
        2
    );
}
