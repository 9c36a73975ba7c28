//! Memory and mass connect: the server's VmRSS before and with `--idle`
//! idle sockets open, all in `lobby`, and the server CPU time and frames it
//! took to connect them (every arrival is presence news for the room). The
//! last socket (the marker) posts one message: every socket has seen every
//! arrival before it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use confab_shared::{ClientMsg, MessageText, RoomId, ServerMsg};
use confab_testkit::{metric, ws_connect_lines, Incoming, LinesSocket as Ws};
use tokio::sync::watch;
use tokio::time::{sleep, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::nodes::{self, Backend, Ctx};
use crate::report::{wait_count, Context, Report, Result};
use crate::Args;

/// The marker's message.
const MARKER: &str = "all connected";

/// Reads (and drops) whatever an idle socket is sent, until told to stop.
async fn drain(
    mut ws: Ws,
    ready: Arc<AtomicUsize>,
    mut stop: watch::Receiver<bool>,
    deadline: Instant,
) -> (Ws, Option<String>) {
    let mut is_ready = false;
    loop {
        let incoming = tokio::select! {
            incoming = ws.next_frame(deadline) => incoming,
            _ = stop.wait_for(|s| *s) => return (ws, None),
        };
        match incoming {
            Incoming::Frame(ServerMsg::Message { message })
                if !is_ready && message.text == MARKER =>
            {
                is_ready = true;
                ready.fetch_add(1, Ordering::Relaxed);
            }
            Incoming::Frame(_) => {}
            Incoming::Ended(why) => return (ws, Some(why)),
            Incoming::TimedOut => return (ws, Some("timed out".into())),
        }
    }
}

pub async fn run(args: &Args, ctx: &Ctx, backend: Backend, report: &mut Report) -> Result<()> {
    let s = &backend.label("memory");
    let confab = backend != Backend::NodeRelay;
    let c = args.idle;
    let limit = Duration::from_secs(args.timeout_secs);
    let nodes = nodes::start(ctx, backend, c + 16).await?;
    let server = &nodes.servers[0];
    let rss_start = server.rss_kib()?;
    // Logins and connects take time in proportion to the sockets.
    let setup_deadline = Instant::now() + limit + Duration::from_millis(10 * c as u64);
    let marker = "mmarker".to_owned();
    let mut names: Vec<String> = (0..c).map(|i| format!("m{i}")).collect();
    names.push(marker.clone());
    let mut tokens = nodes::login_spread(ctx, &nodes, &names).await?;
    let marker_token = tokens.pop().unwrap_or_default();
    sleep(Duration::from_millis(300)).await;
    let rss_before = server.rss_kib()?;

    let cpu_before = server.cpu_secs()?;
    let frames = || async {
        match confab {
            true => metric(&server.metrics().await?, "confab_frames_out_total").context("frames"),
            false => Ok(0.0),
        }
    };
    let frames_before = frames().await?;
    let connecting = Instant::now();
    let ready = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let drain_deadline = Instant::now() + 3 * limit;
    let handles = nodes::connect_spread(ctx, &nodes, &tokens, setup_deadline, |_, ws| {
        tokio::spawn(drain(ws, ready.clone(), stop_rx.clone(), drain_deadline))
    })
    .await?;
    let mut marker_ws = ws_connect_lines(
        &server.ws_url_for(ctx.framing),
        &marker_token,
        setup_deadline,
    )
    .await
    .context("marker socket")?;
    let said = ClientMsg::Send {
        room: RoomId::lobby(),
        text: MessageText::parse(MARKER)?,
        client_id: None,
    };
    futures_util::SinkExt::send(marker_ws.get_mut(), WsMessage::Text(said.to_json()))
        .await
        .context("marker message")?;
    wait_count(
        &ready,
        c,
        setup_deadline,
        "idle sockets saw the marker's message",
    )
    .await?;
    let connected_in = connecting.elapsed();
    sleep(Duration::from_millis(500)).await;
    let connect_cpu = server.cpu_secs()? - cpu_before;
    let connect_frames = frames().await? - frames_before;
    let rss_open = server.rss_kib()?;
    let open_now = || async {
        match confab {
            true => metric(
                &server.metrics().await?,
                "confab_connections{transport=\"websocket\"}",
            )
            .context("open sockets"),
            false => Ok(0.0),
        }
    };
    let open = open_now().await?;

    let _ = stop_tx.send(true);
    let mut closed_early = 0;
    let mut first_close = None;
    let mut sockets = Vec::with_capacity(c);
    for h in futures_util::future::join_all(handles).await {
        let (ws, ended) = h.context("drain task")?;
        if let Some(why) = ended {
            closed_early += 1;
            first_close.get_or_insert(why);
        }
        sockets.push(ws);
    }
    drop(sockets);
    drop(marker_ws);
    let close_deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let still = open_now().await?;
        if still == 0.0 || Instant::now() >= close_deadline {
            break;
        }
        sleep(Duration::from_millis(50)).await;
    }
    sleep(Duration::from_millis(300)).await;
    let rss_closed = server.rss_kib()?;

    let sockets_open = c + 1;
    let per_conn = rss_open.saturating_sub(rss_before) as f64 / sockets_open as f64;
    report.row(s, "idle sockets (+1 marker)", format!("{c} + 1"));
    if confab {
        report.row(s, "server says open (websocket)", format!("{open:.0}"));
    }
    report.row(s, "RSS at start", format!("{rss_start} KiB"));
    report.row(
        s,
        "RSS after logins, no sockets",
        format!("{rss_before} KiB"),
    );
    report.row(s, "RSS with sockets open", format!("{rss_open} KiB"));
    report.row(s, "RSS per socket", format!("{per_conn:.1} KiB"));
    report.figure(
        &format!("RSS per idle socket at {c} (KiB)"),
        "≤ 4",
        backend,
        per_conn,
    );
    if confab {
        let metrics = server.metrics().await?;
        for (task, name) in [
            ("reader", "confab_socket_reader_future_bytes"),
            ("writer", "confab_socket_writer_future_bytes"),
        ] {
            let bytes = metric(&metrics, name)?;
            report.row(
                s,
                format!("socket {task} future (size_of_val)"),
                format!("{bytes:.0} B"),
            );
        }
    }
    report.row(s, "RSS after all closed", format!("{rss_closed} KiB"));
    report.row(
        s,
        "connect all into lobby: wall / server CPU",
        format!("{connected_in:.2?} / {connect_cpu:.2} s"),
    );
    report.figure(
        &format!("connect {c} into one room: server CPU (s)"),
        "≤ 2 (5,000)",
        backend,
        connect_cpu,
    );
    report.row(
        s,
        "server CPU per connection",
        format!("{:.0} µs", connect_cpu * 1e6 / sockets_open as f64),
    );
    report.row(
        s,
        "frames sent while connecting",
        format!("{connect_frames:.0}"),
    );
    report.check(s, "sockets closed by the server early", closed_early);
    if !confab {
        return Ok(());
    }
    // Both floors (see examples/bare_ws.rs): actix's own way of holding a
    // WebSocket, and Confab's since it takes them out of actix-http.
    for (hand_over, name) in [
        (false, "bare actix-ws server (in actix's dispatcher)"),
        (true, "bare hand-over server (Confab's way)"),
    ] {
        match bare_floor(ctx, c + 1, limit, hand_over).await {
            Ok(floor) => {
                report.row(
                    s,
                    format!("{name}: RSS per socket"),
                    format!("{floor:.1} KiB"),
                );
                if hand_over {
                    report.row(
                        s,
                        "Confab's own cost above that floor",
                        format!("{:.1} KiB", per_conn - floor),
                    );
                }
            }
            Err(e) => report.errors.push(format!("{s}: {name}: {e}")),
        }
    }
    if let Some(why) = first_close {
        report.row(s, "first early close", why);
    }
    Ok(())
}

/// The RSS per socket of `bare_ws` (the example next to this one) holding
/// `count` sockets (`hand_over`: out of actix-http, as Confab does): what
/// the server's frame costs before any of Confab's own state.
async fn bare_floor(ctx: &Ctx, count: usize, limit: Duration, hand_over: bool) -> Result<f64> {
    use std::io::BufRead as _;
    let bin = ctx.bin.with_file_name("examples").join("bare_ws");
    let port = confab_testkit::free_port().context("free port")?;
    let start = async {
        std::process::Command::new(&bin)
            .arg(format!("127.0.0.1:{port}"))
            .args(hand_over.then_some("--hand-over"))
            .stdout(std::process::Stdio::piped())
            .spawn()
    };
    let mut child = nodes::pinned(ctx, start)
        .await?
        .map(Killed)
        .context("start bare_ws (build it: cargo build --release --examples)")?;
    // The first line says it is bound.
    if let Some(out) = child.0.stdout.take() {
        let mut line = String::new();
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .context("bare_ws output")?;
    }
    let rss = |pid: u32| confab_testkit::rss_kib_of(pid).context("bare_ws RSS");
    let pid = child.0.id();
    let before = rss(pid)?;
    let deadline = Instant::now() + limit;
    let url = format!("ws://127.0.0.1:{port}/ws");
    let mut sockets = Vec::with_capacity(count);
    for i in 0..count {
        let left = deadline.saturating_duration_since(Instant::now());
        let (ws, _) = tokio::time::timeout(left, tokio_tungstenite::connect_async(url.as_str()))
            .await
            .map_err(|_| crate::report::BenchError::new(format!("socket {i} timed out")))?
            .context("connect to bare_ws")?;
        sockets.push(ws);
    }
    sleep(Duration::from_millis(500)).await;
    let open = rss(pid)?;
    drop(sockets);
    Ok(open.saturating_sub(before) as f64 / count as f64)
}

/// A child process killed when dropped (also on an early return).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
