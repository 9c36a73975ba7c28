//! The pages door: the built UI (`trunk build` output) served from
//! `--site-dir`, with every unknown path answered by `index.html` so the
//! client-side router can handle it.

use std::path::Path;

use actix_files::{Files, NamedFile};
use actix_web::dev::{fn_service, ServiceRequest, ServiceResponse};
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig, site_dir: Option<&Path>) {
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
