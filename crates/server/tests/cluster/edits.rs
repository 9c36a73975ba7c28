//! Edits and deletions cross nodes: the author on one node, readers on the
//! two others; refusals hold whichever node asks; a reader that resumes on
//! another node finds only the tombstone.

use confab_shared::{EntryKind, ErrorCode, Message, ServerMsg};
use serde_json::json;

use confab_testkit::*;

use crate::client::{joined_messages, Client};
use crate::support::*;

/// Sends an `edit` or `delete` frame with `client_id`; its answer.
async fn change(client: &mut Client, frame: serde_json::Value, client_id: &str) -> ServerMsg {
    let mut frame = frame;
    frame["client_id"] = json!(client_id);
    client.send(frame).await;
    client.answer(client_id, WAIT).await
}

fn acked(answer: ServerMsg) -> Message {
    match answer {
        ServerMsg::Ack { message, .. } => message,
        other => panic!("expected an ack, got {other:?}"),
    }
}

#[tokio::test]
async fn an_edit_and_a_deletion_on_one_node_reach_the_others_and_resume_anywhere() {
    let c = Cluster::start().await;
    let alice = c.login(0, "alice").await;
    let bob = c.login(1, "bob").await;
    let carol = c.login(2, "carol").await;
    let mut a = c.connect(0, &alice).await;
    let mut b = c.connect(1, &bob).await;
    let mut cc = c.connect(2, &carol).await;

    let posted = a.say("lobby", "first draft", "m1").await;
    for reader in [&mut b, &mut cc] {
        assert_eq!(
            reader.messages("lobby", 1, WAIT).await,
            vec![posted.clone()]
        );
    }
    let seq = posted.seq;
    let edit = acked(
        change(
            &mut a,
            json!({"type": "edit", "room": "lobby", "seq": seq, "text": "final words"}),
            "e1",
        )
        .await,
    );
    assert_eq!((edit.kind, edit.target), (EntryKind::Edit, Some(seq)));
    for reader in [&mut b, &mut cc] {
        assert_eq!(reader.messages("lobby", 1, WAIT).await, vec![edit.clone()]);
    }

    // Not bob's, from his node: refused there too, and nothing is logged.
    match change(
        &mut b,
        json!({"type": "delete", "room": "lobby", "seq": seq}),
        "x1",
    )
    .await
    {
        ServerMsg::Error { code, .. } => assert_eq!(code, ErrorCode::Forbidden),
        other => panic!("expected forbidden, got {other:?}"),
    }

    let delete = acked(
        change(
            &mut a,
            json!({"type": "delete", "room": "lobby", "seq": seq}),
            "d1",
        )
        .await,
    );
    assert_eq!((delete.kind, delete.seq), (EntryKind::Delete, edit.seq + 1));
    for reader in [&mut b, &mut cc] {
        assert_eq!(
            reader.messages("lobby", 1, WAIT).await,
            vec![delete.clone()]
        );
    }

    // Carol comes back on another node and resumes from before the
    // message: every entry, in order, and none of the deleted words.
    drop(cc);
    let mut cc = c.connect(1, &carol).await;
    let joined = cc.join("lobby", Some(seq - 1)).await;
    let entries = joined_messages(&joined);
    let kinds: Vec<(u64, EntryKind)> = entries.iter().map(|m| (m.seq, m.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (seq, EntryKind::Message),
            (seq + 1, EntryKind::Edit),
            (seq + 2, EntryKind::Delete)
        ]
    );
    assert!(entries[0].deleted);
    let json = serde_json::to_string(&joined).expect("json");
    assert!(
        !json.contains("draft") && !json.contains("final words"),
        "{json}"
    );
    let page = c.history(2, &carol, "lobby").await;
    let message = page.iter().find(|m| m.seq == seq).expect("the message");
    assert!(message.deleted && message.text.is_empty());
}
