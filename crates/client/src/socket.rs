//! The one WebSocket of this tab: connects, feeds frames to the [`Chat`],
//! sends what the reducer asks, and reconnects with backoff when the socket
//! is lost. The reducer resumes every room with `join` + `since` once the
//! new `welcome` arrives.

use confab_shared::{frame_lines, ServerMsg};
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message as WsMessage, WebSocketError};
use gloo_timers::future::TimeoutFuture;
use leptos::task::spawn_local;

use crate::api;
use crate::backoff;
use crate::chat::{Chat, Control};
use crate::dom;
use crate::state::Action;

/// What the connection loop waits for.
enum Event {
    Outgoing(String),
    Incoming(Result<WsMessage, WebSocketError>),
    Closed,
    Control(Control),
}

/// How one connection ended.
enum Ended {
    /// The socket closed or failed; `welcomed` tells whether it ever worked.
    Lost { welcomed: bool },
    /// Sign-out or the chat was disposed.
    Stop,
}

/// Starts the socket task of `chat`. Call it once, in the browser.
pub fn start(chat: Chat) {
    let (control_tx, control_rx) = mpsc::unbounded();
    chat.set_control(Some(control_tx));
    spawn_local(run(chat, control_rx));
}

async fn run(chat: Chat, mut control: mpsc::UnboundedReceiver<Control>) {
    // Failed attempts since the last connection that got its `welcome`.
    let mut failures: u32 = 0;
    loop {
        if !chat.dispatch(Action::Connecting) {
            return;
        }
        match connect(chat, &mut control).await {
            Ended::Stop => {
                chat.dispatch(Action::Closed);
                return;
            }
            Ended::Lost { welcomed } => {
                failures = if welcomed {
                    0
                } else {
                    failures.saturating_add(1)
                };
            }
        }
        // An upgrade refused for a lost session looks like any other failure
        // to a browser; ask the REST API whether the session still exists.
        if failures >= 2 {
            if let Ok(None) = api::current_user().await {
                chat.dispatch(Action::Closed);
                return;
            }
        }
        let attempt = failures;
        let delay = backoff::delay_ms(attempt, js_sys::Math::random());
        let until = dom::now_ms() + i64::try_from(delay).unwrap_or(i64::MAX);
        loop {
            let left = until - dom::now_ms();
            if left <= 0 {
                break;
            }
            let secs = backoff::secs_left(left);
            if !chat.dispatch(Action::Lost {
                attempt: attempt.saturating_add(1),
                secs,
            }) {
                return;
            }
            // Wake at the next whole second so the countdown stays honest.
            let step = u32::try_from(left % 1000)
                .ok()
                .filter(|s| *s > 0)
                .unwrap_or(1000);
            let sleep = TimeoutFuture::new(step);
            match futures::future::select(sleep, control.next()).await {
                futures::future::Either::Left(_) => {}
                futures::future::Either::Right((Some(Control::Reconnect), _)) => break,
                futures::future::Either::Right((Some(Control::Stop) | None, _)) => {
                    chat.dispatch(Action::Closed);
                    return;
                }
            }
        }
    }
}

/// Hands every server frame of one text frame to the chat, in order;
/// `false` once the chat wants the socket stopped.
fn receive_frame(chat: &Chat, text: &str, welcomed: &mut bool) -> bool {
    for line in frame_lines(text) {
        match serde_json::from_str::<ServerMsg>(line) {
            Ok(msg) => {
                *welcomed |= matches!(msg, ServerMsg::Welcome { .. });
                if !chat.receive(msg) {
                    return false;
                }
            }
            // Frames of a newer server this client cannot read.
            Err(e) => leptos::logging::warn!("ignored a frame: {e}"),
        }
    }
    true
}

async fn connect(chat: Chat, control: &mut mpsc::UnboundedReceiver<Control>) -> Ended {
    let Some(url) = dom::ws_url() else {
        return Ended::Lost { welcomed: false };
    };
    let socket = match WebSocket::open(&url) {
        Ok(socket) => socket,
        Err(e) => {
            leptos::logging::warn!("cannot open {url}: {e}");
            return Ended::Lost { welcomed: false };
        }
    };
    let (mut sink, stream) = socket.split();
    let (out_tx, out_rx) = mpsc::unbounded::<String>();
    if !chat.set_outbox(Some(out_tx)) {
        return Ended::Stop;
    }
    let incoming = stream
        .map(Event::Incoming)
        .chain(futures::stream::once(futures::future::ready(Event::Closed)));
    let mut events = futures::stream::select(
        futures::stream::select(incoming, out_rx.map(Event::Outgoing)),
        control.by_ref().map(Event::Control),
    );
    let mut welcomed = false;
    let ended = loop {
        let Some(event) = events.next().await else {
            break Ended::Lost { welcomed };
        };
        match event {
            Event::Outgoing(text) => {
                if sink.send(WsMessage::Text(text)).await.is_err() {
                    break Ended::Lost { welcomed };
                }
            }
            Event::Incoming(Ok(WsMessage::Text(text))) => {
                if !receive_frame(&chat, &text, &mut welcomed) {
                    break Ended::Stop;
                }
            }
            Event::Incoming(Ok(WsMessage::Bytes(_))) => {}
            Event::Incoming(Err(e)) => {
                leptos::logging::log!("socket closed: {e}");
                break Ended::Lost { welcomed };
            }
            Event::Closed => break Ended::Lost { welcomed },
            Event::Control(Control::Reconnect) => {}
            Event::Control(Control::Stop) => break Ended::Stop,
        }
    };
    chat.set_outbox(None);
    // Dropping both halves closes the socket.
    drop(events);
    drop(sink);
    if let Ended::Lost { .. } = ended {
        if !chat.dispatch(Action::Lost {
            attempt: 0,
            secs: 0,
        }) {
            return Ended::Stop;
        }
    }
    ended
}
