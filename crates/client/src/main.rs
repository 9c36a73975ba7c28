//! Entry point of the client-side-rendered build (`trunk serve`, `trunk build`).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(confab_client::App);
}
