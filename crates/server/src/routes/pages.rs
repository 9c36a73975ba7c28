//! The pages door: the built UI (`trunk build` output) served from
//! `--site-dir`, with every unknown path answered by `index.html` so the
//! client-side router can handle it.

use std::path::Path;

use actix_files::{Files, NamedFile};
use actix_web::dev::{fn_service, ServiceRequest, ServiceResponse};
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig, site_dir: Option<&Path>) {
    #[cfg(feature = "ssr")]
    match configure_ssr(cfg) {
        Ok(()) => return,
        Err(e) => tracing::error!(error = %e, "no leptos site configuration; serving --site-dir"),
    }
    let Some(dir) = site_dir.filter(|d| d.join("index.html").is_file()) else {
        cfg.route("/", web::get().to(no_ui));
        return;
    };
    let index = dir.join("index.html");
    cfg.service(
        Files::new("/", dir)
            .index_file("index.html")
            .prefer_utf8(true)
            .default_handler(fn_service(move |req: ServiceRequest| {
                let index = index.clone();
                async move {
                    let (req, _) = req.into_parts();
                    let file = NamedFile::open_async(&index).await?;
                    let res = file.into_response(&req);
                    Ok(ServiceResponse::new(req, res))
                }
            })),
    );
}

async fn no_ui() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(
            "Confab's server is running, but no UI was built.\n\
         Start it with scripts/run (which builds the UI), or pass --site-dir DIR.\n",
        )
}

/// Server-side rendering (`--features ssr`, what `cargo leptos build|watch`
/// runs): the page is rendered here and hydrated by the WASM bundle that
/// cargo-leptos puts in `<site-root>/<site-pkg-dir>`. The site settings come
/// from the `LEPTOS_*` variables cargo-leptos sets (or the workspace's
/// `[[workspace.metadata.leptos]]`).
#[cfg(feature = "ssr")]
pub fn configure_ssr(cfg: &mut web::ServiceConfig) -> Result<(), String> {
    use leptos::prelude::get_configuration;
    use leptos_actix::{generate_route_list, LeptosRoutes};

    let options = get_configuration(None)
        .map_err(|e| e.to_string())?
        .leptos_options;
    let site_root = options.site_root.to_string();
    let pkg_dir = options.site_pkg_dir.to_string();
    let routes = generate_route_list(confab_client::App);
    cfg.app_data(web::Data::new(options.clone()));
    cfg.service(Files::new(
        &format!("/{pkg_dir}"),
        format!("{site_root}/{pkg_dir}"),
    ));
    cfg.leptos_routes(routes, move || confab_client::shell(options.clone()));
    Ok(())
}
